#include "path_model.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace wanproxy {

Link::Slot Link::send(double now, std::int64_t n) {
    if (rate_ <= 0.0)
        return {now, now, false};
    const double start = free_ > now ? free_ : now;
    const double queued = start - now;
    max_queue_ = std::max(max_queue_, queued);
    free_ = start + static_cast<double>(n) / rate_;
    return {start, free_, queued > qmax_};
}

void Lateness::add(double late) {
    ++n_;
    sum_ += late;   // signed: the mean says whether releases are early on average
    late = std::max(late, 0.0);
    max_ = std::max(max_, late);
    if (late > 0.001)
        ++over_1ms_;
    const auto i = static_cast<std::size_t>(late / kBin);
    if (i < kBins)
        ++bins_[i];
    else
        over_.push_back(late);
}

double Lateness::quantile(double q) const {
    if (n_ == 0)
        return 0.0;
    const double want = q * static_cast<double>(n_);
    double acc = 0;
    for (std::size_t i = 0; i < kBins; ++i) {
        acc += static_cast<double>(bins_[i]);
        if (acc >= want && bins_[i])
            return static_cast<double>(i + 1) * kBin;
    }
    if (over_.empty())
        return max_;
    std::vector<double> sorted = over_;
    std::sort(sorted.begin(), sorted.end());
    const auto k = static_cast<std::size_t>(
        std::clamp(want - acc, 0.0, static_cast<double>(sorted.size() - 1)));
    return sorted[k];
}

LossModel::LossModel(double loss, std::uint64_t seed)
    : log_keep_(loss > 0 ? std::log1p(-loss) : 0.0), rng_(seed) {}

bool LossModel::lost(std::int64_t segments) {
    if (log_keep_ == 0.0)
        return false;
    return uniform_(rng_) < -std::expm1(log_keep_ * static_cast<double>(segments));
}

namespace {

std::string lower_trimmed(std::string s) {
    std::string out;
    for (char c : s)
        if (!std::isspace(static_cast<unsigned char>(c)))
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool strip_suffix(std::string& s, const std::string& suffix) {
    if (s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
        s.resize(s.size() - suffix.size());
        return true;
    }
    return false;
}

double number(const std::string& s, const std::string& what) {
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(s, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != s.size() || !std::isfinite(v) || v < 0)
        throw std::invalid_argument("cannot read " + what + " '" + s + "'");
    return v;
}

}  // namespace

double parse_duration(std::string s) {
    s = lower_trimmed(std::move(s));
    if (strip_suffix(s, "ms"))
        return number(s, "duration") * 1e-3;
    if (strip_suffix(s, "us"))
        return number(s, "duration") * 1e-6;
    if (strip_suffix(s, "s"))
        return number(s, "duration");
    return number(s, "duration") * 1e-3;   // a bare number is milliseconds
}

double parse_rate(std::string s) {
    s = lower_trimmed(std::move(s));
    strip_suffix(s, "/s");
    strip_suffix(s, "bps");
    strip_suffix(s, "bit");
    double mul = 1.0;
    if (strip_suffix(s, "k"))
        mul = 1e3;
    else if (strip_suffix(s, "m"))
        mul = 1e6;
    else if (strip_suffix(s, "g"))
        mul = 1e9;
    return number(s, "rate") * mul;
}

std::int64_t parse_size(std::string s) {
    s = lower_trimmed(std::move(s));
    strip_suffix(s, "b");
    strip_suffix(s, "i");
    double mul = 1;
    if (strip_suffix(s, "k"))
        mul = 1 << 10;
    else if (strip_suffix(s, "m"))
        mul = 1 << 20;
    else if (strip_suffix(s, "g"))
        mul = 1 << 30;
    return static_cast<std::int64_t>(number(s, "size") * mul);
}

}  // namespace wanproxy
