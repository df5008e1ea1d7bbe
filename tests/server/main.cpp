// s3-testserver: a local S3-compatible server for tests, benchmarks and fault injection.
#include <exception>
#include <iostream>

#include "server/options.hpp"
#include "server/server.hpp"

int main(int argc, char** argv) {
  const auto options = s3up::testserver::parse_options(argc, argv);
  try {
    return s3up::testserver::run_server(options);
  } catch (const std::exception& e) {
    std::cerr << "s3-testserver: " << e.what() << "\n";
    return 1;
  }
}
