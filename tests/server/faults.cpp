#include "server/faults.hpp"

#include <fnmatch.h>

#include <charconv>

namespace s3up::testserver {
namespace {

struct NamedFault {
  std::string_view name;
  FaultKind kind;
};
constexpr NamedFault kFaultNames[] = {
    {"500", FaultKind::InternalError},     {"503", FaultKind::SlowDown},
    {"reset-before", FaultKind::ResetBefore}, {"reset-mid", FaultKind::ResetMid},
    {"stall", FaultKind::Stall},            {"truncate", FaultKind::Truncate},
    {"complete-error", FaultKind::CompleteError}, {"corrupt", FaultKind::Corrupt},
    {"corrupt-echo", FaultKind::CorruptEcho},
    {"stall-body", FaultKind::StallBody},   {"stall-reply", FaultKind::StallReply},
    {"length-long", FaultKind::LengthLong}, {"length-short", FaultKind::LengthShort},
    {"endless-header", FaultKind::EndlessHeader}, {"continue-early", FaultKind::ContinueEarly},
    {"continue-stall", FaultKind::ContinueStall}, {"unsolicited", FaultKind::Unsolicited},
    {"idle-close", FaultKind::IdleClose},   {"empty-200", FaultKind::Empty200},
    {"garbage-200", FaultKind::Garbage200},
};

// splitmix64's finaliser: a good 64-bit mixer.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// FNV-1a over the bytes, folded into h.
std::uint64_t absorb(std::uint64_t h, std::string_view bytes) {
  std::uint64_t f = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) f = (f ^ c) * 0x100000001b3ull;
  return mix(h ^ f ^ (bytes.size() << 56));
}

}  // namespace

std::optional<FaultKind> parse_fault_kind(std::string_view name) {
  for (const auto& f : kFaultNames)
    if (f.name == name) return f.kind;
  return std::nullopt;
}

std::string_view fault_name(FaultKind kind) {
  for (const auto& f : kFaultNames)
    if (f.kind == kind) return f.name;
  return "-";
}

bool skips_operation(FaultKind kind) {
  switch (kind) {
    case FaultKind::ResetBefore:
    case FaultKind::ResetMid:
    case FaultKind::Stall:
    case FaultKind::StallBody:
    case FaultKind::ContinueStall:
    case FaultKind::EndlessHeader:
    case FaultKind::Empty200:
    case FaultKind::Garbage200:
      return true;
    default:
      return false;
  }
}

std::optional<FailKey> parse_fail_key(std::string_view text) {
  FailKey fk;
  const auto eq = text.rfind('=');
  if (eq != std::string_view::npos) {
    const auto status = text.substr(eq + 1);
    int value = 0;
    const auto [p, ec] = std::from_chars(status.data(), status.data() + status.size(), value);
    if (ec == std::errc() && p == status.data() + status.size() &&
        (value == 500 || value == 403 || value == 503)) {
      fk.status = value;
      text = text.substr(0, eq);
    }
  }
  if (text.empty()) return std::nullopt;
  fk.glob = std::string(text);
  return fk;
}

FaultInjector::FaultInjector(std::uint64_t seed, double rate, std::vector<FaultKind> kinds,
                             std::vector<FailKey> fail_keys)
    : seed_(seed), rate_(rate), kinds_(std::move(kinds)), fail_keys_(std::move(fail_keys)) {}

FaultDecision FaultInjector::decide(std::string_view method, std::string_view bucket,
                                    std::string_view key, int part_number, bool object_request,
                                    bool is_complete) {
  FaultDecision d;
  if (object_request) {
    const std::string k(key);
    for (const auto& fk : fail_keys_) {
      if (fnmatch(fk.glob.c_str(), k.c_str(), 0) == 0) {
        d.permanent_status = fk.status;
        return d;
      }
    }
  }
  if (!active()) return d;

  std::string id;
  id.reserve(bucket.size() + key.size() + 16);
  id.append(bucket).push_back('/');
  id.append(key).push_back('\0');
  id.append(std::to_string(part_number));
  std::uint32_t attempt;
  {
    const std::lock_guard lock(mutex_);
    attempt = attempts_[id]++;
  }
  std::uint64_t h = mix(seed_);
  h = absorb(h, method);
  h = absorb(h, id);
  h = mix(h ^ attempt);
  const double u = static_cast<double>(h >> 11) * 0x1.0p-53;
  if (u >= rate_) return d;

  // The kinds that can apply to this request, in the order given on the command line.
  FaultKind eligible[std::size(kFaultNames)];
  std::size_t n = 0;
  for (auto k : kinds_)
    if ((k != FaultKind::CompleteError || is_complete) && n < std::size(eligible)) eligible[n++] = k;
  if (n == 0) return d;
  d.kind = eligible[mix(h) % n];
  d.salt = mix(h ^ 0x5a17);
  return d;
}

}  // namespace s3up::testserver
