#include <boost/test/unit_test.hpp>
BOOST_AUTO_TEST_SUITE(build)
BOOST_AUTO_TEST_CASE(links) { BOOST_TEST(1 + 1 == 2); }
BOOST_AUTO_TEST_SUITE_END()
