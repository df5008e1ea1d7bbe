// The start order (engine/start_order.hpp): large bodies keep a quarter of the limit (the largest
// large file first while they are fewer; of one size, the oldest), smaller files in walk order
// take the rest; nothing is held back when only large ones wait.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/start_order.hpp"

using namespace s3up::engine;

namespace {

// Queues `name`: a large body of kLargeBody bytes when it starts with 'L'.
void add(StartOrder<std::string>& order, const std::string& name) {
  order.push(name, name[0] == 'L' ? kLargeBody : 0);
}

// Pops everything with `large_in_flight` fixed, returning the order and which were large.
std::vector<std::string> drain(StartOrder<std::string>& order, std::size_t large_in_flight,
                               std::size_t limit) {
  std::vector<std::string> out;
  while (!order.empty()) {
    bool large = false;
    out.push_back(order.pop(large_in_flight, limit, large));
    BOOST_TEST(large == (out.back()[0] == 'L'));
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(start_order)

BOOST_AUTO_TEST_CASE(large_means_a_mebibyte_and_its_share_is_a_quarter_of_the_limit) {
  BOOST_TEST(!is_large_body(kLargeBody - 1));
  BOOST_TEST(is_large_body(kLargeBody));
  BOOST_TEST(kLargeBody == 1u << 20);
  BOOST_TEST(large_share(64) == 16u);
  BOOST_TEST(large_share(400) == 100u);
  BOOST_TEST(large_share(3) == 1u);  // never none: a large file always may start
  BOOST_TEST(large_share(0) == 1u);
}

BOOST_AUTO_TEST_CASE(large_files_go_first_while_below_their_share) {
  StartOrder<std::string> order;
  for (const char* name : {"s1", "L1", "s2", "L2", "s3"})
    add(order, name);
  BOOST_TEST(order.size() == 5u);
  BOOST_TEST((drain(order, 0, 64) == std::vector<std::string>{"L1", "L2", "s1", "s2", "s3"}));
}

BOOST_AUTO_TEST_CASE(the_largest_large_file_goes_first_and_of_one_size_the_oldest) {
  // As in the benchmark's tree: 2 MiB copyright files walked before one 8 MiB manual. Largest
  // first, the manual shares the link with the others instead of being left alone at the end.
  StartOrder<std::string> order;
  order.push("copyright-a", 2 * kLargeBody);
  order.push("small", kLargeBody - 1);  // not a large body
  order.push("copyright-b", 2 * kLargeBody);
  order.push("manual", 8 * kLargeBody);
  order.push("changelog", kLargeBody);
  bool large = false;
  BOOST_TEST(order.pop(0, 64, large) == "manual");
  BOOST_TEST(large);
  BOOST_TEST(order.pop(1, 64, large) == "copyright-a");
  BOOST_TEST(order.pop(2, 64, large) == "copyright-b");
  BOOST_TEST(order.pop(3, 64, large) == "changelog");
  BOOST_TEST(large);
  BOOST_TEST(order.pop(4, 64, large) == "small");
  BOOST_TEST(!large);
  BOOST_TEST(order.empty());
}

BOOST_AUTO_TEST_CASE(large_bodies_at_their_share_wait_behind_smaller_files) {
  StartOrder<std::string> order;
  for (const char* name : {"L1", "L2", "s1", "L3", "s2"})
    add(order, name);
  // 16 large in flight at a limit of 64: the small ones go first, then the large in walk order
  // (when only large ones wait they start anyway).
  BOOST_TEST((drain(order, 16, 64) == std::vector<std::string>{"s1", "s2", "L1", "L2", "L3"}));
}

BOOST_AUTO_TEST_CASE(the_share_follows_the_limit_and_the_large_bodies_in_flight) {
  StartOrder<std::string> order;
  for (const char* name : {"L1", "s1", "L2", "s2"})
    add(order, name);
  bool large = false;
  BOOST_TEST(order.pop(1, 8, large) == "L1");  // 1 of a share of 2
  BOOST_TEST(large);
  BOOST_TEST(order.pop(2, 8, large) == "s1");  // share taken
  BOOST_TEST(!large);
  BOOST_TEST(order.pop(2, 12, large) == "L2");  // the limit grew to 12: a share of 3
  BOOST_TEST(large);
  BOOST_TEST(order.pop(3, 12, large) == "s2");
  BOOST_TEST(order.empty());
}

BOOST_AUTO_TEST_CASE(a_cluster_of_large_files_is_spread_among_the_small_ones) {
  // A directory of 40 large files between small ones, as a sorted walk delivers it, at a limit
  // of 16. Simulated: each pop is a place freed; a large body stays in flight for 10 pops.
  StartOrder<std::string> order;
  int small_left = 0;
  for (int i = 0; i < 10; ++i, ++small_left) add(order, "s" + std::to_string(i));
  for (int i = 0; i < 40; ++i) add(order, "L" + std::to_string(i));
  for (int i = 10; i < 60; ++i, ++small_left) add(order, "s" + std::to_string(i));
  std::vector<int> ends;  // the pop at which each large body in flight ends
  std::vector<std::string> started;
  for (int pops = 0; !order.empty(); ++pops) {
    std::erase_if(ends, [&](int end) { return end <= pops; });
    bool large = false;
    const std::size_t before = ends.size();
    started.push_back(order.pop(before, 16, large));
    if (large) {
      // While smaller files wait, never more than a quarter of the limit in large bodies.
      if (small_left > 0) BOOST_TEST(before < 4u);
      ends.push_back(pops + 10);
    } else {
      --small_left;
    }
  }
  // The cluster's first four take the share at once; then small files in walk order and large
  // ones as places in the share free up: four large and six small of every ten places.
  BOOST_TEST(started.size() == 100u);
  BOOST_TEST(started[0] == "L0");
  BOOST_TEST(started[3] == "L3");
  BOOST_TEST(started[4] == "s0");
  BOOST_TEST(started[10] == "L4");
  // In walk order the first 50 starts would hold 10 small files and the 40 large ones; here the
  // small files keep six of every ten places freed.
  const auto small_first_50 =
      std::count_if(started.begin(), started.begin() + 50, [](const std::string& n) {
        return n[0] == 's';
      });
  BOOST_TEST(small_first_50 == 30);
  BOOST_TEST(started.back() == "s59");  // in walk order the 40 large ones would have ended it
}

BOOST_AUTO_TEST_CASE(clear_drops_everything) {
  StartOrder<int> order;
  order.push(1, kLargeBody);
  order.push(2, 0);
  order.clear();
  BOOST_TEST(order.empty());
  BOOST_TEST(order.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
