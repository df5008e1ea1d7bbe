// The async engine's wait for the journal: the coroutine is suspended, never its thread, and
// resumed on its own executor once the journal's writer has synced the records (or failed).
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

#include "engine/async_io.hpp"

namespace s3up::engine {
namespace {

// Completes with "" once the records up to `seq` are durable, or with the journal's error. The
// handler is resumed through a post to its executor (never inside the journal's writer), and
// holds that executor's io_context running meanwhile.
template <class Token>
auto async_durable(Journal& journal, std::uint64_t seq, Token&& token) {
  return asio::async_initiate<Token, void(std::string)>(
      [&journal, seq](auto handler) {
        using Handler = decltype(handler);
        auto executor = asio::prefer(asio::get_associated_executor(handler),
                                     asio::execution::outstanding_work.tracked);
        auto shared = std::make_shared<Handler>(std::move(handler));
        journal.when_durable(seq, [shared, executor](const std::string& error) {
          asio::post(executor, [shared, error] { std::move(*shared)(error); });
        });
      },
      token);
}

}  // namespace

asio::awaitable<bool> journal_durable_async(RunControl* run, std::uint64_t seq) {
  if (!run->journal) co_return true;
  const std::string error = co_await async_durable(*run->journal, seq, asio::use_awaitable);
  if (error.empty()) co_return true;
  run->fail_run(error);
  co_return false;
}

}  // namespace s3up::engine
