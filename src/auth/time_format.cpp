#include "auth/time_format.hpp"

#include "s3/sigv4.hpp"

namespace s3up::auth {
namespace {

// A cursor over the text with the few readers the format needs.
struct Reader {
  std::string_view s;
  std::size_t pos = 0;

  bool done() const { return pos >= s.size(); }
  char peek() const { return done() ? '\0' : s[pos]; }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos;
    return true;
  }
  // Exactly `n` digits.
  bool digits(int n, int& value) {
    value = 0;
    for (int i = 0; i < n; ++i) {
      const char c = peek();
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
      ++pos;
    }
    return true;
  }
  bool accept_ci(std::string_view word) {
    if (s.size() - pos < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
      char c = s[pos + i];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (c != word[i]) return false;
    }
    pos += word.size();
    return true;
  }
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<SysTime> parse_iso8601(std::string_view text) {
  using namespace std::chrono;
  Reader r{trim(text)};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!r.digits(4, y) || !r.accept('-') || !r.digits(2, mo) || !r.accept('-') || !r.digits(2, d))
    return std::nullopt;
  if (!r.accept('T') && !r.accept('t') && !r.accept(' ')) return std::nullopt;
  if (!r.digits(2, h) || !r.accept(':') || !r.digits(2, mi) || !r.accept(':') || !r.digits(2, sec))
    return std::nullopt;
  nanoseconds fraction{0};
  if (r.accept('.') || r.accept(',')) {
    int count = 0;
    long long ns = 0;
    while (r.peek() >= '0' && r.peek() <= '9') {
      if (count < 9) ns = ns * 10 + (r.peek() - '0');
      ++count;
      ++r.pos;
    }
    if (count == 0) return std::nullopt;
    for (int i = count; i < 9; ++i) ns *= 10;
    fraction = nanoseconds(ns);
  }
  // The zone: Z, UTC/GMT (the SSO cache writes "...UTC"), +hh:mm, +hhmm, +hh; none means UTC.
  minutes offset{0};
  r.accept(' ');
  if (r.accept('Z') || r.accept('z') || r.accept_ci("UTC") || r.accept_ci("GMT")) {
  } else if (r.peek() == '+' || r.peek() == '-') {
    const bool negative = r.peek() == '-';
    ++r.pos;
    int oh = 0, om = 0;
    if (!r.digits(2, oh)) return std::nullopt;
    if (r.accept(':')) {
      if (!r.digits(2, om)) return std::nullopt;
    } else if (!r.done()) {
      if (!r.digits(2, om)) return std::nullopt;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    offset = hours(oh) + minutes(om);
    if (negative) offset = -offset;
  } else if (!r.done()) {
    return std::nullopt;
  }
  if (!r.done()) return std::nullopt;

  const year_month_day date{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!date.ok()) return std::nullopt;
  // 24:00:00 is the end of the day; :60 a leap second, counted as the next second.
  if (h > 24 || mi > 59 || sec > 60) return std::nullopt;
  if (h == 24 && (mi != 0 || sec != 0 || fraction.count() != 0)) return std::nullopt;
  // In seconds first: every year from 0000 to 9999 fits, while SysTime (nanoseconds with GCC)
  // holds about 1678 to 2262 only; converting an earlier or later time overflowed (found by
  // tests/fuzz/fuzz_iso8601). Such times, and times before 1970, are clamped to
  // [kEarliestTime, kLatestTime]: an Expiration of 9999-12-31 still reads as far in the future,
  // one of 0001-01-01 as long past, and the difference with the present never overflows.
  const sys_seconds utc = sys_days(date) + hours(h) + minutes(mi) + seconds(sec) - offset;
  if (utc < time_point_cast<seconds>(kEarliestTime)) return kEarliestTime;
  if (utc >= time_point_cast<seconds>(kLatestTime)) return kLatestTime;
  return time_point_cast<SysTime::duration>(utc) + fraction;
}

std::string format_iso8601(SysTime t) {
  // SigV4's x-amz-date ("20261202T030405Z") holds the same fields: punctuate them.
  const std::string d = s3::format_amz_date(t);
  return d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2) + "T" + d.substr(9, 2) +
         ":" + d.substr(11, 2) + ":" + d.substr(13, 2) + "Z";
}

}  // namespace s3up::auth
