// DataBuffer: buffers of a MiB or more are reused from a cache of freed ones, which with the
// buffers in use stays within a limit; from 2 MiB on they start on a huge-page boundary.
#include <boost/test/unit_test.hpp>

#include "engine/file_data.hpp"

#include <cstdint>
#include <memory>
#include <vector>

using namespace s3up::engine;

namespace {
constexpr std::size_t kMiB = std::size_t{1} << 20;
}

BOOST_AUTO_TEST_SUITE(data_buffer)

BOOST_AUTO_TEST_CASE(a_freed_buffer_of_a_mib_or_more_is_taken_again) {
  DataBuffer::drop_reusable();  // whatever other suites left
  DataBuffer::hold_at_most(DataBuffer::kHeldByDefault);
  const std::size_t before = DataBuffer::reusable_bytes();
  BOOST_TEST(before == 0u);
  char* first = nullptr;
  {
    DataBuffer a(5 * kMiB + 7);
    BOOST_TEST(a.size == 5 * kMiB + 7);
    first = a.data.get();
    a.data[5 * kMiB + 6] = 'x';  // the whole size is usable
  }
  BOOST_TEST(DataBuffer::reusable_bytes() == before + 6 * kMiB);  // rounded up to whole MiB
  {
    DataBuffer b(5 * kMiB + 100);  // the same whole MiB: the same memory
    BOOST_TEST(static_cast<void*>(b.data.get()) == static_cast<void*>(first));
    BOOST_TEST(b.size == 5 * kMiB + 100);
    BOOST_TEST(DataBuffer::reusable_bytes() == before);
    DataBuffer c(6 * kMiB + 1);  // another size: new memory
    BOOST_TEST(static_cast<void*>(c.data.get()) != static_cast<void*>(first));
  }
  BOOST_TEST(DataBuffer::reusable_bytes() == before + 13 * kMiB);
}

BOOST_AUTO_TEST_CASE(small_buffers_are_not_kept_and_the_cache_is_bounded) {
  DataBuffer::drop_reusable();
  DataBuffer::hold_at_most(DataBuffer::kHeldByDefault);
  const std::size_t before = DataBuffer::reusable_bytes();
  { DataBuffer small(64 * 1024); }
  { DataBuffer empty(0); BOOST_TEST(!empty.data); }
  BOOST_TEST(DataBuffer::reusable_bytes() == before);
  {
    // More freed at once than the cache holds: what does not fit is freed.
    std::vector<std::unique_ptr<DataBuffer>> many;
    for (int i = 0; i < 40; ++i) many.push_back(std::make_unique<DataBuffer>(3 * kMiB));
  }
  BOOST_TEST(DataBuffer::reusable_bytes() <= DataBuffer::kHeldByDefault);
  BOOST_TEST(DataBuffer::reusable_bytes() + 3 * kMiB > DataBuffer::kHeldByDefault);
  DataBuffer::drop_reusable();
  BOOST_TEST(DataBuffer::reusable_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(buffers_of_two_mib_or_more_start_on_a_huge_page_boundary) {
  DataBuffer::drop_reusable();
  DataBuffer::hold_at_most(DataBuffer::kHeldByDefault);
  char* first = nullptr;
  {
    DataBuffer a(5 * kMiB + 3);
    first = a.data.get();
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(first) % DataBuffer::kHugeFrom == 0u);
    a.data[0] = 'a';
    a.data[5 * kMiB + 2] = 'z';  // the whole size is usable
    DataBuffer small(kMiB);  // reused from a MiB on, mapped only from kHugeFrom
    small.data[kMiB - 1] = 's';
  }
  {
    DataBuffer b(6 * kMiB);  // the freed mapping, taken again
    BOOST_TEST(static_cast<void*>(b.data.get()) == static_cast<void*>(first));
    BOOST_TEST(b.data[5 * kMiB + 2] == 'z');  // not cleared: file data overwrites it
  }
  // Mapped buffers the cache cannot hold are unmapped.
  {
    std::vector<std::unique_ptr<DataBuffer>> many;
    for (int i = 0; i < 20; ++i) many.push_back(std::make_unique<DataBuffer>(4 * kMiB));
    for (auto& b : many) b->data[4 * kMiB - 1] = 'x';
  }
  BOOST_TEST(DataBuffer::reusable_bytes() <= DataBuffer::kHeldByDefault);
  DataBuffer::drop_reusable();
}

BOOST_AUTO_TEST_CASE(buffers_in_use_and_cached_stay_within_the_limit) {
  DataBuffer::drop_reusable();
  DataBuffer::hold_at_most(20 * kMiB);
  {
    // In use: 12 MiB; freed: cached, for 20 MiB held at most.
    DataBuffer a(4 * kMiB), b(4 * kMiB), c(4 * kMiB);
  }
  BOOST_TEST(DataBuffer::reusable_bytes() == 12 * kMiB);
  {
    DataBuffer big(10 * kMiB);  // another size: cached buffers make room (10 + 12 > 20)
    BOOST_TEST(DataBuffer::reusable_bytes() <= 10 * kMiB);
    DataBuffer d(4 * kMiB);  // a cached one, if any is left, else new
    BOOST_TEST(DataBuffer::reusable_bytes() + 14 * kMiB <= 20 * kMiB);
  }
  BOOST_TEST(DataBuffer::reusable_bytes() <= 20 * kMiB);
  // A freed buffer that would take the held bytes over the limit is released.
  {
    std::vector<std::unique_ptr<DataBuffer>> many;
    for (int i = 0; i < 8; ++i) many.push_back(std::make_unique<DataBuffer>(5 * kMiB));
  }
  BOOST_TEST(DataBuffer::reusable_bytes() <= 20 * kMiB);
  BOOST_TEST(DataBuffer::reusable_bytes() >= 15 * kMiB);
  // A lower limit releases what is over it at once.
  DataBuffer::hold_at_most(6 * kMiB);
  BOOST_TEST(DataBuffer::reusable_bytes() <= 6 * kMiB);
  DataBuffer::hold_at_most(DataBuffer::kHeldByDefault);
  DataBuffer::drop_reusable();
}

BOOST_AUTO_TEST_SUITE_END()
