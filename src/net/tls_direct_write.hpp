// Writing a large request body's TLS records straight to the socket (the coroutine client's
// bodies of kDirectTlsBodyFrom bytes or more over HTTPS: streamed files, multipart parts).
//
// Asio's TLS stream encrypts into a BIO pair and hands each 16 KiB record to a composed operation
// that copies it into Asio's buffer and sends it: per record a copy, a handler through the
// scheduler and a coroutine resumption (a large PUT over HTTPS cost 16% more CPU than curl on
// loopback, the threaded engine's synchronous writes none). Here OpenSSL's write side is
// pointed at the socket for the length of the body (a BIO that send()s with MSG_NOSIGNAL), so
// each record leaves in one send() from OpenSSL's own buffer, and the coroutine waits on the
// socket (async_wait) only when the socket is full. The records on the wire are the ones Asio's
// stream would have sent; reading is untouched.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <openssl/ssl.h>

#include "net/http_client.hpp"
#include "net/straggler_watch.hpp"

#include <chrono>
#include <cstdint>
#include <optional>

namespace s3up::http::detail {

// Writes the body of `request` (a file range read piece by piece, or memory) over the TLS
// connection `ssl` whose socket is `socket`: for an established Asio TLS stream whose header
// was just written through it, with nothing pending in its write direction (true between its
// operations, each of which completes only once its output is sent). The stream's own BIO is
// back in place when this returns, so the stream carries on (the reply is read through it).
// Waits at most `idle` each time the socket is full, and never past `deadline`:
// beast::error::timeout then. Tells `exchange` of the bytes written, and stops with
// asio::error::operation_aborted when it finds the body a straggler (straggler_watch.hpp). Other
// errors: the file's (PayloadBody), the socket's (broken pipe, reset) or OpenSSL's.
boost::asio::awaitable<boost::system::error_code> write_body_tls_direct(
    SSL* ssl, boost::asio::ip::tcp::socket& socket, const Request& request,
    std::chrono::steady_clock::duration idle,
    std::optional<std::chrono::steady_clock::time_point> deadline,
    StragglerWatch::Exchange* exchange);

}  // namespace s3up::http::detail
