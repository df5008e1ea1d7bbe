// Reproduces, without s3up, the TSan report suppressed by `race:ASN1_STRING_cmp` in tsan.supp:
// threads that each complete a TLS handshake (against an in-memory server) on one shared client
// SSL_CTX, whose store holds the CA. The first to verify the server's certificate decodes the
// CA's extensions under the CA's lock; the others read them through OpenSSL's lock-free fast path
// (an acquire load inside libcrypto, which TSan cannot see). Built and run by
// openssl-cache-race.sh; arguments: the certificate and key files (the certificate self-signed,
// so it is its own CA).
#include <openssl/ssl.h>

#include <cstdio>
#include <thread>
#include <vector>

namespace {

SSL_CTX* client_ctx = nullptr;
const char* cert_file = nullptr;
const char* key_file = nullptr;

// Moves what `from` wrote to what `to` reads.
void pump(SSL* from, SSL* to) {
  char buf[16384];
  int n;
  while ((n = BIO_read(SSL_get_wbio(from), buf, sizeof buf)) > 0)
    BIO_write(SSL_get_rbio(to), buf, n);
}

bool handshake_once() {
  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate_file(server_ctx, cert_file, SSL_FILETYPE_PEM);
  SSL_CTX_use_PrivateKey_file(server_ctx, key_file, SSL_FILETYPE_PEM);
  SSL* client = SSL_new(client_ctx);
  SSL* server = SSL_new(server_ctx);
  SSL_set_bio(client, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_bio(server, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(client), "127.0.0.1");
  int c = 0, s = 0;
  for (int i = 0; i < 20 && (c != 1 || s != 1); ++i) {
    c = SSL_do_handshake(client);
    pump(client, server);
    s = SSL_do_handshake(server);
    pump(server, client);
  }
  const bool ok = c == 1 && s == 1 && SSL_get_verify_result(client) == X509_V_OK;
  SSL_free(client);
  SSL_free(server);
  SSL_CTX_free(server_ctx);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s CERT KEY\n", argv[0]);
    return 2;
  }
  cert_file = argv[1];
  key_file = argv[2];
  client_ctx = SSL_CTX_new(TLS_client_method());
  if (SSL_CTX_load_verify_locations(client_ctx, cert_file, nullptr) != 1) return 2;
  SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, nullptr);
  std::vector<std::thread> threads;
  std::vector<char> ok(32, 0);
  for (std::size_t i = 0; i < ok.size(); ++i)
    threads.emplace_back([&ok, i] { ok[i] = handshake_once(); });
  for (auto& t : threads) t.join();
  SSL_CTX_free(client_ctx);
  for (char o : ok)
    if (!o) {
      std::fprintf(stderr, "a handshake failed\n");
      return 1;
    }
  return 0;
}
