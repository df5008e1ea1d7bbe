// The Boost.Test module of the unit-test program; the suites live in test_*.cpp beside it.
#define BOOST_TEST_MODULE s3up_unit_tests
#include <boost/test/unit_test.hpp>
