// The command line and the S3UP_* variables (cli::parse_command_line): the input is the
// arguments after "s3up", separated by NUL bytes; an argument "S3UP_NAME=value" is a variable
// instead. Every size, duration, count, list and flag s3up reads from them goes through here.
// Only UsageError may be thrown (the contract: one line saying what is wrong).
#include <string>
#include <vector>

#include "cli/cli_options.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace cli = s3up::cli;
  std::vector<std::string> args{"s3up"};
  cli::Environment env;
  for (const std::string_view piece : s3up::fuzz::split(s3up::fuzz::as_text(data, size), '\0', 64)) {
    const std::size_t equals = piece.find('=');
    if (piece.starts_with("S3UP_") && equals != std::string_view::npos)
      env.insert_or_assign(std::string(piece.substr(0, equals)), std::string(piece.substr(equals + 1)));
    else
      args.emplace_back(piece);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  try {
    const cli::CliOptions options = cli::parse_command_line(static_cast<int>(args.size()), argv.data(), env);
    (void)options;
  } catch (const cli::UsageError& e) {
    s3up::fuzz::check(std::string_view(e.what()).find('\n') == std::string_view::npos,
                      "a usage error of more than one line");
  }
  return 0;
}
