// One thread reads a file and computes its CRC32C (ISA-L): mode 0 pread into a buffer of CHUNK
// bytes, 1 mmap of CHUNK-byte windows, 2 the same with MAP_POPULATE, 3 with MADV_SEQUENTIAL.
// g++ -O2 -std=c++20 read_crc.cpp -o read_crc -lisal && ./read_crc FILE MODE CHUNK
#include <isa-l/crc.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <chrono>
static double cpu(){ rusage r; getrusage(RUSAGE_SELF,&r); return r.ru_utime.tv_sec+r.ru_utime.tv_usec/1e6+r.ru_stime.tv_sec+r.ru_stime.tv_usec/1e6;}
int main(int argc,char**argv){
  int fd=open(argv[1],O_RDONLY); off_t size=lseek(fd,0,SEEK_END);
  int mode=atoi(argv[2]); size_t chunk=(size_t)atol(argv[3]);
  double c0=cpu(); auto t0=std::chrono::steady_clock::now();
  unsigned crc=0;
  if(mode==0){ std::vector<char> b(chunk); for(off_t o=0;o<size;o+=chunk){ ssize_t g=pread(fd,b.data(),chunk,o); crc=crc32_iscsi((unsigned char*)b.data(),g,crc);} }
  else { for(off_t o=0;o<size;o+=chunk){ size_t n=std::min<off_t>(chunk,size-o); void*p=mmap(nullptr,n,PROT_READ,MAP_PRIVATE|(mode==2?MAP_POPULATE:0),fd,o); if(mode==3) madvise(p,n,MADV_SEQUENTIAL); crc=crc32_iscsi((unsigned char*)p,n,crc); munmap(p,n);} }
  double c1=cpu(); auto t1=std::chrono::steady_clock::now();
  printf("mode %d chunk %zu crc %08x cpu %.4f wall %.4f\n",mode,chunk,crc,c1-c0,std::chrono::duration<double>(t1-t0).count());
}
