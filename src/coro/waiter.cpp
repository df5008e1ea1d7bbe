#include "coro/waiter.hpp"

#include <boost/asio/post.hpp>

namespace s3up::coro::detail {

Completions::~Completions() { post_all(); }

void Completions::add(Waiter waiter, boost::system::error_code ec) {
  items_.emplace_back(std::move(waiter), ec);
}

std::size_t Completions::post_all() {
  std::size_t count = items_.size();
  for (auto& [waiter, ec] : items_) {
    net::post(waiter.executor,
              [handler = std::move(waiter.handler), ec = ec]() mutable { std::move(handler)(ec); });
  }
  items_.clear();
  return count;
}

}  // namespace s3up::coro::detail
