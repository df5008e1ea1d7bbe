// The HTTP(S) side: a Beast server with C++20 coroutines on an io_context run by N threads.
#pragma once
#include "server/options.hpp"

namespace s3up::testserver {

// Listens on 127.0.0.1:options.port, prints "listening on 127.0.0.1:PORT" on stdout, and serves
// until SIGINT or SIGTERM. Returns the process exit code. Throws on setup errors (bad
// certificate, port in use, unusable --root).
int run_server(const Options& options);

}  // namespace s3up::testserver
