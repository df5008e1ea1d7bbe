// A scratch directory tree for file-system tests, removed on destruction. Created under
// $S3UP_TEST_TMP when set (made if missing), else under the system temporary directory. Names
// are raw bytes (POSIX calls), so trees may hold names that are not valid UTF-8.
#pragma once
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace s3up::test {

class TempTree {
 public:
  TempTree() {
    const char* base_env = std::getenv("S3UP_TEST_TMP");
    std::filesystem::path base = base_env != nullptr && *base_env != '\0'
                                     ? std::filesystem::path(base_env)
                                     : std::filesystem::temp_directory_path();
    std::filesystem::create_directories(base);
    std::string templ = (base / "s3up-test-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) fail("mkdtemp", templ);
    root_ = templ;
  }
  ~TempTree() {
    std::error_code ec;
    // Make everything removable again (tests chmod things to 000).
    for (auto it = std::filesystem::recursive_directory_iterator(
             root_, std::filesystem::directory_options::none, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_symlink(ec)) ::chmod(it->path().c_str(), 0755);
    }
    ::chmod(root_.c_str(), 0755);
    std::filesystem::remove_all(root_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& root() const { return root_; }
  std::string path(const std::string& rel) const { return root_ + "/" + rel; }

  // A regular file of `size` bytes ('x').
  void file(const std::string& rel, std::size_t size = 0) const {
    const std::string p = path(rel);
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("create", p);
    const std::string data(size, 'x');
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n <= 0) {
        ::close(fd);
        fail("write", p);
      }
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  void dir(const std::string& rel) const {
    if (::mkdir(path(rel).c_str(), 0755) != 0) fail("mkdir", path(rel));
  }
  // rel -> target (target taken literally, relative to the link's folder if not absolute).
  void symlink(const std::string& target, const std::string& rel) const {
    if (::symlink(target.c_str(), path(rel).c_str()) != 0) fail("symlink", path(rel));
  }
  void fifo(const std::string& rel) const {
    if (::mkfifo(path(rel).c_str(), 0644) != 0) fail("mkfifo", path(rel));
  }
  // A bound unix-domain socket file (the socket itself is closed again).
  void socket(const std::string& rel) const {
    const std::string p = path(rel);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (p.size() >= sizeof(address.sun_path))
      throw std::runtime_error("socket path too long: " + p);
    std::memcpy(address.sun_path, p.c_str(), p.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket", p);
    const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    const int error = errno;
    ::close(fd);
    if (rc != 0) throw std::system_error(error, std::generic_category(), "bind " + p);
  }
  void chmod(const std::string& rel, mode_t mode) const {
    if (::chmod(path(rel).c_str(), mode) != 0) fail("chmod", path(rel));
  }

 private:
  [[noreturn]] static void fail(const char* what, const std::string& p) {
    throw std::system_error(errno, std::generic_category(), std::string(what) + " " + p);
  }

  std::string root_;
};

}  // namespace s3up::test
