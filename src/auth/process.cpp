#include "auth/process.hpp"

#include <boost/json.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "auth/imds.hpp"
#include "auth/time_format.hpp"

extern char** environ;

namespace s3up::auth {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kProcessTimeout = std::chrono::seconds(60);
constexpr std::size_t kMaxOutput = 1 << 20;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

class ProcessProvider final : public Provider {
 public:
  ProcessProvider(std::string command, std::string profile)
      : command_(std::move(command)), profile_(std::move(profile)) {}

  s3::Credentials fetch() override {
    const std::vector<std::string> args = split(command_);
    const std::string output = run(args);
    try {
      return parse_process_output(output);
    } catch (const ProviderError& e) {
      // "credential_process wrote ..." -> "credential_process for profile 'X' wrote ..."
      const std::string_view message = e.what();
      constexpr std::string_view prefix = "credential_process";
      if (message.starts_with(prefix))
        throw ProviderError(who() + std::string(message.substr(prefix.size())));
      throw ProviderError(who() + ": " + std::string(message));
    }
  }

  std::string name() const override { return "process"; }
  std::string describe() const override { return "credential_process of profile '" + profile_ + "'"; }

 private:
  std::string who() const { return "credential_process for profile '" + profile_ + "'"; }

  std::vector<std::string> split(const std::string& command) const {
    try {
      return split_command_line(command);
    } catch (const ProviderError& e) {
      throw ProviderError(who() + ": " + e.what());
    }
  }

  // Runs the program with stdin from /dev/null and stdout into a pipe, and returns what it
  // wrote, once it exited with status 0.
  std::string run(const std::vector<std::string>& args) const {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      throw ProviderError(who() + ": cannot create a pipe: " + std::strerror(errno));
    Fd read_end{fds[0]}, write_end{fds[1]};

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, write_end.fd, 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    // No signal blocked, SIGPIPE back to its default action (the run may ignore it).
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t signals;
    sigemptyset(&signals);
    posix_spawnattr_setsigmask(&attributes, &signals);
    sigaddset(&signals, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &signals);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
      throw ProviderError(who() + ": cannot run " + args[0] + ": " + std::strerror(rc));
    write_end.reset();

    const auto deadline = Clock::now() + kProcessTimeout;
    std::string output;
    bool too_long = false, timed_out = false;
    char buffer[4096];
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        break;
      }
      pollfd p{read_end.fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;  // the deadline is checked above
      const ssize_t n = ::read(read_end.fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      output.append(buffer, static_cast<std::size_t>(n));
      if (output.size() > kMaxOutput) {
        too_long = true;
        break;
      }
    }
    read_end.reset();
    if (too_long) ::kill(pid, SIGKILL);
    const int status = wait_for(pid, deadline, timed_out);
    if (timed_out)
      throw ProviderError(who() + " did not finish within " +
                          std::to_string(kProcessTimeout.count()) + " s and was killed");
    if (too_long) throw ProviderError(who() + " wrote more than 1 MiB");
    if (WIFSIGNALED(status))
      throw ProviderError(who() + " was killed by signal " + std::to_string(WTERMSIG(status)));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw ProviderError(who() + " exited with status " + std::to_string(WEXITSTATUS(status)));
    return output;
  }

  // Reaps the child; kills it first when it timed out, or once the deadline passes.
  static int wait_for(pid_t pid, Clock::time_point deadline, bool& timed_out) {
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    for (;;) {
      const pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) return status;
      if (r < 0) {
        if (errno == EINTR) continue;
        return status;
      }
      if (!timed_out && Clock::now() >= deadline) {
        timed_out = true;
        ::kill(pid, SIGKILL);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::string command_;
  std::string profile_;
};

}  // namespace

std::vector<std::string> split_command_line(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (is_space(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\\') {
      if (i + 1 >= command.size()) throw ProviderError("the command ends with a lone backslash");
      word += command[++i];
      in_word = true;
    } else if (c == '\'') {
      const std::size_t close = command.find('\'', i + 1);
      if (close == std::string_view::npos) throw ProviderError("the command has an unterminated ' quote");
      word += command.substr(i + 1, close - i - 1);
      i = close;
      in_word = true;
    } else if (c == '"') {
      // As shlex: only \\ and \" are escapes inside double quotes; any other backslash stays.
      std::size_t j = i + 1;
      for (;; ++j) {
        if (j >= command.size()) throw ProviderError("the command has an unterminated \" quote");
        if (command[j] == '"') break;
        if (command[j] == '\\' && j + 1 < command.size() &&
            (command[j + 1] == '\\' || command[j + 1] == '"')) {
          word += command[++j];
        } else {
          word += command[j];
        }
      }
      i = j;
      in_word = true;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) throw ProviderError("the command is empty");
  return words;
}

ProviderPtr make_process_provider(std::string command, std::string profile) {
  return std::make_shared<ProcessProvider>(std::move(command), std::move(profile));
}

s3::Credentials parse_process_output(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(json, ec);
  if (ec || !doc.is_object()) throw ProviderError("credential_process wrote no JSON object");
  const auto* version = doc.get_object().if_contains("Version");
  if (version == nullptr) throw ProviderError("credential_process wrote no Version (1 expected)");
  const double number = version->to_number<double>(ec);
  if (ec || number != 1.0)
    throw ProviderError("credential_process wrote a Version other than 1, the only one supported");
  return parse_credentials_json(json, "credential_process");
}

}  // namespace s3up::auth
