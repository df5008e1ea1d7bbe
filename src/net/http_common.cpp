#include "net/http_common.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>

#include <stdexcept>

namespace s3up::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;

void configure_tls_context(ssl::context& context, const TlsSettings& tls) {
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  error_code ec;
  if (tls.ca_bundle && !tls.ca_bundle->empty()) {
    context.load_verify_file(*tls.ca_bundle, ec);
    if (ec)
      throw std::runtime_error("cannot load CA bundle " + *tls.ca_bundle + ": " + ec.message());
  } else {
    context.set_default_verify_paths(ec);
  }
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool idle_connection_is_clean(int fd, SSL* ssl, bool used) {
  if (ssl && !used) return true;
  // Under TLS, records may wait inside OpenSSL (or in the BIO that Asio feeds it) rather than
  // in the socket.
  if (ssl && (SSL_has_pending(ssl) || SSL_pending(ssl) > 0)) return false;
  if (ssl && SSL_get_rbio(ssl) && BIO_ctrl_pending(SSL_get_rbio(ssl)) > 0) return false;
  pollfd p{fd, POLLIN, 0};
  // Readable (data, end of stream, an error) or not pollable: not to be used again.
  return ::poll(&p, 1, 0) == 0;
}

void expect_peer_name(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip_literal(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    // (The same rules as Asio's host_name_verification, X509_check_host with no flags.)
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  }
}

namespace {

// What the user can do about a certificate that failed verification.
std::string certificate_advice(long result) {
  switch (result) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
      return "not signed by a trusted CA: trust its CA with --ca-bundle FILE or AWS_CA_BUNDLE";
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the endpoint must renew its certificate (or this machine's clock is wrong)";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the certificate names another host: check --endpoint-url";
    default:
      return "trust its CA with --ca-bundle FILE or AWS_CA_BUNDLE";
  }
}

}  // namespace

bool send_again_at_once(const error_code& ec, bool reused, bool straggler) {
  return straggler || (reused && is_reset(ec));
}

void discard_unsent_on_close(int fd) {
  const ::linger abort{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);  // best effort
}

bool is_reset(const error_code& ec) {
  return ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::eof || ec == bhttp::error::end_of_stream ||
         ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated ||
         ec == bhttp::error::partial_message;
}

// Beast's stream deadline closes the socket; under TLS the pending operation then reports
// operation_aborted rather than timeout. Nothing else cancels our operations, so both mean the
// deadline passed.
bool is_timeout(const error_code& ec) {
  return ec == beast::error::timeout || ec == asio::error::operation_aborted;
}

Failure classify(const error_code& ec) {
  if (is_timeout(ec)) return Failure::Timeout;
  if (is_reset(ec)) return Failure::Reset;
  if (ec.category() == make_error_code(bhttp::error::end_of_stream).category()) return Failure::Protocol;
  return Failure::Reset;
}

Outcome resolve_failure(const error_code& ec, const Target& target) {
  return {Failure::Resolve, ec, "cannot resolve " + target.host + ": " + ec.message(), {}};
}

Outcome connect_failure(const error_code& ec, const std::string& where) {
  const Failure f = is_timeout(ec) ? Failure::Timeout : Failure::Connect;
  return {f, ec, "cannot connect to " + where + ": " + (is_timeout(ec) ? "timed out" : ec.message()), {}};
}

Outcome handshake_failure(SSL* ssl, const error_code& ec, const std::string& where) {
  const long result = SSL_get_verify_result(ssl);
  if (result != X509_V_OK)
    return {Failure::Certificate, ec,
            "TLS certificate verification failed for " + where + ": " +
                X509_verify_cert_error_string(result) + " (" + certificate_advice(result) + ")",
            {}};
  const Failure f = is_timeout(ec) ? Failure::Timeout : Failure::Tls;
  return {f, ec, "TLS handshake with " + where + " failed: " + (is_timeout(ec) ? "timed out" : ec.message()), {}};
}

Outcome exchange_failure(const error_code& ec, const std::string& where) {
  const Failure f = classify(ec);
  return {f, ec, std::string(to_string(f)) + " talking to " + where + (f == Failure::Timeout ? std::string() : ": " + ec.message()), {}};
}

void prepare_request(Request& request, const Target& target) {
  request.prepare_payload();
  if (request.find(bhttp::field::host) == request.end()) request.set(bhttp::field::host, target.host);
}

}  // namespace s3up::http::detail
