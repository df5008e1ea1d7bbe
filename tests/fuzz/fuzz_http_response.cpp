// HTTP responses as both clients read them (net/response_reader.hpp): status line, headers,
// Content-Length and chunked bodies, read with the parser and limits the clients set from an
// in-memory stream (Beast's test stream) that the server side closes after the input, through a
// buffer kept across responses as on a keep-alive connection. Byte 0 of the input picks a reply
// to HEAD (bit 0) and bhttp::read_some in a loop as http_client.cpp does (bit 1) rather than
// bhttp::read as blocking_http_client.cpp does; byte 1 is how many bytes each read returns at most
// (0: all there are). Two responses are read in a row. The same bytes read all at once must give
// the same responses as read piece by piece.
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include "fuzz_support.hpp"
#include "net/response_reader.hpp"

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using s3up::http::detail::ResponseParser;

struct Read {
  bool ok = false;
  unsigned status = 0;
  std::string body;
  bool keep_alive = false;
};

std::vector<Read> read_responses(std::string_view bytes, bool head, bool loop, std::size_t piece) {
  boost::asio::io_context ioc;
  beast::test::stream client(ioc);
  beast::test::stream server(ioc);
  client.connect(server);
  client.append(bytes);
  if (piece > 0) client.read_size(piece);
  server.close();  // the client reads the bytes, then end of stream

  beast::flat_buffer buffer;  // one per connection, as the clients keep it
  std::vector<Read> out;
  for (int i = 0; i < 2; ++i) {
    ResponseParser parser;
    s3up::http::detail::limit_response_parser(parser, head ? bhttp::verb::head : bhttp::verb::get);
    beast::error_code ec;
    if (loop) {
      while (!ec && !parser.is_done()) bhttp::read_some(client, buffer, parser, ec);
    } else {
      bhttp::read(client, buffer, parser, ec);
    }
    Read r;
    if (!ec) {
      auto response = parser.release();
      r.ok = true;
      r.status = response.result_int();
      r.body = std::move(response.body());
      r.keep_alive = response.keep_alive();
      // What the clients look at in a response.
      (void)response[bhttp::field::etag];
      (void)response[bhttp::field::content_type];
      (void)response["x-amz-request-id"];
      s3up::fuzz::check(!head || r.body.empty(), "a reply to HEAD with a body");
      s3up::fuzz::check(r.body.size() <= s3up::http::detail::kResponseBodyLimit,
                        "a body over the limit");
    }
    out.push_back(std::move(r));
    if (ec) break;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool head = (data[0] & 1) != 0;
  const bool loop = (data[0] & 2) != 0;
  const std::size_t piece = data[1];
  const std::string_view bytes = s3up::fuzz::as_text(data + 2, size - 2);
  const auto pieces = read_responses(bytes, head, loop, piece);
  const auto whole = read_responses(bytes, head, loop, 0);
  for (std::size_t i = 0; i < std::min(pieces.size(), whole.size()); ++i) {
    if (!pieces[i].ok || !whole[i].ok) break;
    s3up::fuzz::check(pieces[i].status == whole[i].status && pieces[i].body == whole[i].body,
                      "a response read piece by piece differs from the same read at once");
  }
  return 0;
}
