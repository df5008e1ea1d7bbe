// The body of a request, as Beast serializes it: caller-owned memory, or a byte range of an open
// file read piece by piece as it is sent (a large PutObject streamed from the file: the process
// holds one piece per request, not the whole file), optionally framed as chunks followed by
// trailer lines computed from the bytes as they go (S3's aws-chunked encoding with a trailing
// checksum: the file is read once, its checksum sent after it). Satisfies Beast's Body
// requirements (writer only: the body is never parsed).
#pragma once
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <boost/system/error_code.hpp>

#include "walker/mapped_view.hpp"

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include <unistd.h>

namespace s3up::http {

// What follows a chunked body's last chunk, computed from its bytes as they are read. Used by one
// request at a time; restart() begins each sending of the body (a request re-sent on a fresh
// connection sends it again from its first byte).
class BodyTrailer {
 public:
  virtual ~BodyTrailer() = default;
  virtual void restart() = 0;
  // The body's bytes, in order, as they are read to be sent.
  virtual void consume(std::span<const char> bytes) = 0;
  // After the last byte: the trailer lines, each "name:value\r\n", exactly size() bytes.
  virtual std::string lines() = 0;
  // Known before the body is sent (it is part of Content-Length).
  virtual std::size_t size() const = 0;
};

struct PayloadBody {
  // The size of the pieces a file range is sent in.
  static constexpr std::size_t kPiece = 256 * 1024;
  // A file range's pieces but the last are sent from the page cache, mapped this much at a time
  // (walker::MappedRange; TLS encrypts them from there, a plain socket copies them once), framed
  // or not; the last is read into a buffer, which finds a file cut short anywhere before its end.
  static constexpr std::size_t kWindow = 1024 * 1024;

  struct value_type {
    std::span<const char> memory;  // the body, when fd < 0
    int fd = -1;                   // else `length` bytes of this file from `offset`
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    // Set (with a file range): the range goes out in chunks of kPiece bytes, each
    // "<hex size>\r\n<bytes>\r\n", then "0\r\n", the trailer's lines and "\r\n".
    BodyTrailer* trailer = nullptr;

    value_type() = default;
    value_type(const char* data, std::size_t size) : memory(data, size) {}
    // The bytes on the wire (Content-Length).
    std::uint64_t size() const {
      if (fd < 0) return memory.size();
      return trailer ? chunked_size(length, trailer->size()) : length;
    }
  };

  static std::uint64_t size(const value_type& body) { return body.size(); }

  // The size of `length` bytes framed in chunks of kPiece with `trailer_size` bytes of trailer.
  static std::uint64_t chunked_size(std::uint64_t length, std::size_t trailer_size) {
    const auto chunk = [](std::uint64_t n) { return hex_digits(n) + 2 + n + 2; };
    const std::uint64_t full = length / kPiece, rest = length % kPiece;
    return full * chunk(kPiece) + (rest ? chunk(rest) : 0) + 3 + trailer_size + 2;
  }

  class writer {
   public:
    // A piece: a framed chunk from a mapped window is three buffers (its size line, its bytes
    // where they lie, their CRLF); any other piece is one, the others empty.
    using const_buffers_type = std::array<boost::asio::const_buffer, 3>;

    template <bool isRequest, class Fields>
    writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& body)
        : body_(body) {}

    void init(boost::system::error_code& ec) {
      ec = {};
      done_ = 0;
      finished_ = false;
      window_.reset();
      if (body_.trailer) body_.trailer->restart();
    }

    // The next piece: the whole memory at once, or the next kPiece bytes of the file range.
    // A file that ends early (it shrank while being sent) is an error, never a short body.
    boost::optional<std::pair<const_buffers_type, bool>> get(boost::system::error_code& ec) {
      ec = {};
      if (body_.fd < 0) {
        if (done_ > 0 || body_.memory.empty()) return boost::none;
        done_ = body_.memory.size();
        return {{one(body_.memory.data(), body_.memory.size()), false}};
      }
      if (body_.trailer) return next_chunk(ec);
      if (done_ >= body_.length) return boost::none;
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, body_.length - done_));
      if (torn(ec)) return boost::none;
      if (done_ + want < body_.length) {
        if (const char* mapped = map_piece(want)) {
          done_ += want;
          return {{one(mapped, want), true}};
        }
      }
      window_.reset();
      if (!piece_) piece_ = std::make_unique<char[]>(kPiece);
      const std::size_t got = read_at(piece_.get(), want, done_, ec);
      if (ec) return boost::none;
      done_ += got;
      return {{one(piece_.get(), got), done_ < body_.length}};
    }

   private:
    static const_buffers_type one(const char* data, std::size_t size) {
      return {boost::asio::const_buffer(data, size), {}, {}};
    }

    // Whether the file was cut short under the window the last piece came from (its pages past
    // the new end read as zeros): the body is torn, `ec` says so, nothing more is sent.
    bool torn(boost::system::error_code& ec) const {
      if (!window_ || !window_->faulted()) return false;
      ec = boost::system::errc::make_error_code(boost::system::errc::io_error);
      return true;
    }

    // The range's `want` bytes from done_ where they lie in the page cache (a mapped window of
    // kWindow bytes, mapped anew as the pieces pass its end), or null when the file cannot be
    // mapped (the pieces are then read, as the last one always is).
    const char* map_piece(std::size_t want) {
      if (unmappable_) return nullptr;
      if (!window_ || done_ + want > window_start_ + window_->bytes().size()) {
        window_.reset();
        const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(kWindow, body_.length - done_));
        window_ = walker::MappedRange::map(body_.fd, body_.offset + done_, length);
        if (!window_) {
          unmappable_ = true;
          return nullptr;
        }
        window_start_ = done_;
      }
      return window_->bytes().data() + (done_ - window_start_);
    }

    // Some bytes (1 to `want`) of the range from `at` into `out`; 0 with `ec` set on an error or
    // at the end of the file (it shrank).
    std::size_t read_at(char* out, std::size_t want, std::uint64_t at,
                        boost::system::error_code& ec) const {
      ssize_t got;
      do {
        got = ::pread(body_.fd, out, want, static_cast<off_t>(body_.offset + at));
      } while (got < 0 && errno == EINTR);
      if (got > 0) return static_cast<std::size_t>(got);
      ec = got < 0 ? boost::system::error_code(errno, boost::system::system_category())
                   : boost::system::errc::make_error_code(boost::system::errc::io_error);
      return 0;
    }

    // The next chunk of a framed body: its size line, its bytes where they lie in a mapped window,
    // and their CRLF; or, for the last (and where the file cannot be mapped), read whole into a
    // buffer with its framing, the last carrying the end of the body: the empty chunk and the
    // trailer. The trailer's checksum is computed from the bytes as they go.
    boost::optional<std::pair<const_buffers_type, bool>> next_chunk(boost::system::error_code& ec) {
      if (finished_) return boost::none;
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, body_.length - done_));
      if (torn(ec)) return boost::none;
      if (want > 0 && done_ + want < body_.length) {
        if (const char* mapped = map_piece(want)) {
          const int line = std::snprintf(size_line_.data(), size_line_.size(), "%zx\r\n", want);
          body_.trailer->consume({mapped, want});
          done_ += want;
          return {{{boost::asio::const_buffer(size_line_.data(), static_cast<std::size_t>(line)),
                    boost::asio::const_buffer(mapped, want), boost::asio::const_buffer("\r\n", 2)},
                   true}};
        }
      }
      window_.reset();
      if (!piece_) piece_ = std::make_unique<char[]>(kPiece + kFrameRoom + body_.trailer->size());
      char* const out = piece_.get();
      std::size_t n = 0;
      if (want > 0) {
        n = static_cast<std::size_t>(std::snprintf(out, kFrameRoom, "%zx\r\n", want));
        for (std::size_t got = 0; got < want;) {
          got += read_at(out + n + got, want - got, done_ + got, ec);
          if (ec) return boost::none;
        }
        body_.trailer->consume({out + n, want});
        n += want;
        out[n++] = '\r';
        out[n++] = '\n';
        done_ += want;
      }
      if (done_ >= body_.length) {
        const std::string lines = body_.trailer->lines();
        std::memcpy(out + n, "0\r\n", 3);
        n += 3;
        std::memcpy(out + n, lines.data(), lines.size());
        n += lines.size();
        out[n++] = '\r';
        out[n++] = '\n';
        finished_ = true;
      }
      return {{one(out, n), !finished_}};
    }

    // A chunk's size line and CRLF, and the empty chunk with the final CRLF.
    static constexpr std::size_t kFrameRoom = 32;

    const value_type& body_;
    std::uint64_t done_ = 0;
    bool finished_ = false;
    std::unique_ptr<char[]> piece_;
    std::array<char, kFrameRoom> size_line_{};   // a mapped chunk's "<hex size>\r\n"
    std::optional<walker::MappedRange> window_;  // from window_start_ in the range
    std::uint64_t window_start_ = 0;
    bool unmappable_ = false;
  };

 private:
  static std::uint64_t hex_digits(std::uint64_t n) {
    std::uint64_t digits = 1;
    while (n >>= 4) ++digits;
    return digits;
  }
};

}  // namespace s3up::http
