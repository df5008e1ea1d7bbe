// open_files: the soft limit on open descriptors raised to the hard one, and the requests in
// flight a limit leaves room for.
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/open_files.hpp"

using namespace s3up;

namespace {

// Runs `body` in a forked child (limits changed there stay there); its exit status.
template <class Body>
int in_child(Body body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(open_files)

BOOST_AUTO_TEST_CASE(two_descriptors_a_request_beyond_the_reserve) {
  BOOST_TEST(util::requests_for_open_files(1024) == (1024u - util::kFilesReserved) / 2);
  BOOST_TEST(util::requests_for_open_files(1u << 20) == ((1u << 20) - util::kFilesReserved) / 2);
  BOOST_TEST(util::requests_for_open_files(util::kFilesReserved + 2) == 1u);
  BOOST_TEST(util::requests_for_open_files(10) == 1u);
  BOOST_TEST(util::requests_for_open_files(0) == 1u);
}

BOOST_AUTO_TEST_CASE(the_soft_limit_is_raised_to_the_hard_one) {
  // Soft 100, hard 300: raised to 300.
  BOOST_TEST(in_child([] {
               const struct rlimit start {100, 300};
               if (::setrlimit(RLIMIT_NOFILE, &start) != 0) return 10;
               if (util::raise_open_files_limit() != 300) return 11;
               struct rlimit now {};
               ::getrlimit(RLIMIT_NOFILE, &now);
               return now.rlim_cur == 300 ? 0 : 12;
             }) == 0);
  // Capped by the ceiling asked for; never lowered.
  BOOST_TEST(in_child([] {
               const struct rlimit start {100, 5000};
               if (::setrlimit(RLIMIT_NOFILE, &start) != 0) return 10;
               if (util::raise_open_files_limit(2000) != 2000) return 11;
               return util::raise_open_files_limit(1000) == 2000 ? 0 : 12;
             }) == 0);
  // Already at the hard limit: unchanged.
  BOOST_TEST(in_child([] {
               const struct rlimit start {200, 200};
               if (::setrlimit(RLIMIT_NOFILE, &start) != 0) return 10;
               return util::raise_open_files_limit() == 200 ? 0 : 11;
             }) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
