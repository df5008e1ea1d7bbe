#include <malloc.h>

#include "cli/app.hpp"

int main(int argc, char** argv) {
  // File data buffers of 1 MiB and more come from mmap and go back to the system when freed,
  // so the resident size tracks --max-memory instead of the heap's high-water mark.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  return s3up::cli::run(argc, argv);
}
