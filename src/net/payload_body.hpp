// The body of a request, as Beast serializes it: caller-owned memory, or a byte range of an open
// file read piece by piece as it is sent (a large PutObject streamed from the file: the process
// holds one piece per request, not the whole file). Satisfies Beast's Body requirements
// (writer only: the body is never parsed).
#pragma once
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <boost/system/error_code.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

#include <unistd.h>

namespace s3up::http {

struct PayloadBody {
  // The size of the pieces a file range is read in.
  static constexpr std::size_t kPiece = 256 * 1024;

  struct value_type {
    std::span<const char> memory;  // the body, when fd < 0
    int fd = -1;                   // else `length` bytes of this file from `offset`
    std::uint64_t offset = 0;
    std::uint64_t length = 0;

    value_type() = default;
    value_type(const char* data, std::size_t size) : memory(data, size) {}
    std::uint64_t size() const { return fd >= 0 ? length : memory.size(); }
  };

  static std::uint64_t size(const value_type& body) { return body.size(); }

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& body)
        : body_(body) {}

    void init(boost::system::error_code& ec) {
      ec = {};
      done_ = 0;
    }

    // The next piece: the whole memory at once, or the next kPiece bytes of the file range.
    // A file that ends early (it shrank while being sent) is an error, never a short body.
    boost::optional<std::pair<const_buffers_type, bool>> get(boost::system::error_code& ec) {
      ec = {};
      if (body_.fd < 0) {
        if (done_ > 0 || body_.memory.empty()) return boost::none;
        done_ = body_.memory.size();
        return {{boost::asio::const_buffer(body_.memory.data(), body_.memory.size()), false}};
      }
      if (done_ >= body_.length) return boost::none;
      if (!piece_) piece_ = std::make_unique<char[]>(kPiece);
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, body_.length - done_));
      ssize_t got;
      do {
        got = ::pread(body_.fd, piece_.get(), want, static_cast<off_t>(body_.offset + done_));
      } while (got < 0 && errno == EINTR);
      if (got <= 0) {
        ec = got < 0 ? boost::system::error_code(errno, boost::system::system_category())
                     : boost::system::errc::make_error_code(boost::system::errc::io_error);
        return boost::none;
      }
      done_ += static_cast<std::uint64_t>(got);
      return {{boost::asio::const_buffer(piece_.get(), static_cast<std::size_t>(got)),
               done_ < body_.length}};
    }

   private:
    const value_type& body_;
    std::uint64_t done_ = 0;
    std::unique_ptr<char[]> piece_;
  };
};

}  // namespace s3up::http
