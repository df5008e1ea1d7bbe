// One large file as an S3 multipart upload: create, parts in parallel (each under the shared
// request throttle and memory budget), complete; abort on failure or interruption so nothing
// is left behind to be billed.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

#include <mutex>

#include "engine/adaptive_concurrency.hpp"
#include "engine/file_data.hpp"
#include "engine/multipart_parts.hpp"
#include "engine/part_plan.hpp"
#include "engine/run_context.hpp"
#include "engine/verify.hpp"

namespace s3up::engine {
namespace {

struct MultipartState {
  std::string upload_id;
  std::vector<s3::CompletedPart> parts;  // slot i is written only by part i's coroutine
  coro::WaitGroup parts_in_flight;
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::string failure;  // the first part failure

  void fail(std::string reason) {
    std::lock_guard lock(mutex);
    if (!failed.exchange(true)) failure = std::move(reason);
  }
};

// Calls WaitGroup::done() however the coroutine ends.
struct DoneGuard {
  coro::WaitGroup& group;
  ~DoneGuard() { group.done(); }
};

// Runs one request kind with the retry policy, holding a request permit per attempt.
// `send` is called afresh for each attempt (it re-signs).
template <class Send>
asio::awaitable<s3::OpResult> with_retries(RunContext& ctx, Send send) {
  for (int attempt = 0;; ++attempt) {
    s3::OpResult r;
    {
      coro::Permit permit = co_await coro::acquire_permit(ctx.requests);
      r = co_await send();
    }
    if (r.ok) co_return r;
    const Next next = co_await settle_failure(ctx, r, attempt);
    if (!retrying(next)) co_return r;
  }
}

asio::awaitable<void> upload_part(RunContext& ctx, walker::Entry entry, std::string key,
                                  std::shared_ptr<MultipartState> state, PartPlan plan,
                                  std::uint64_t index, coro::Permit permit) {
  DoneGuard done{state->parts_in_flight};
  const std::uint64_t length = plan.length(index);
  const int number = static_cast<int>(index + 1);
  coro::Permit memory = co_await coro::acquire_permit(ctx.memory, std::max<std::uint64_t>(length, 1));
  DataBuffer buffer(length);
  for (int attempt = 0;; ++attempt) {
    if (state->failed.load() || (attempt > 0 && ctx.stopping.load())) co_return;
    bool paced = true;
    if (!ctx.rate.unlimited()) paced = co_await ctx.rate.consume(length, ctx.stopping);
    if (!paced) co_return;  // the run stopped while this part waited: the upload is aborted
    ReadDigest read = co_await read_and_digest_async(ctx, entry, plan.offset(index), buffer.span());
    if (!read.problem.empty()) {
      state->fail(read.problem);
      co_return;
    }
    s3::Headers headers;
    const std::string checksum = std::move(read.checksum);
    if (ctx.opt.checksum != s3::ChecksumAlgorithm::None)
      headers.emplace_back(std::string(s3::header_name(ctx.opt.checksum)), checksum);
    s3::OpResult r = co_await ctx.s3.upload_part(
        key, state->upload_id, number, std::span<const char>(buffer.data.get(), buffer.size),
        headers, std::move(read.sha256));
    require_part_etag(r, number);
    if (r.ok) {
      if (auto bad = verify_stored_checksum(ctx.opt.checksum, checksum, r); !bad.empty()) {
        state->fail("part " + std::to_string(number) + ": " + bad);
        co_return;
      }
      fill_part_slot(state->parts[index], number, r.etag, ctx.opt.checksum, checksum);
      ctx.report.sent(length);
      if (ctx.journal)
        ctx.journal->record_part(key, state->upload_id, {number, r.etag, checksum, length});
      co_return;
    }
    // Release the request slot while backing off so other work keeps the pipe full.
    permit = coro::Permit();
    const Next next = co_await settle_failure(ctx, r, attempt);
    if (next == Next::Fail) state->fail("part " + std::to_string(number) + ": " + r.message);
    if (next == Next::Stop) state->fail("stopped: " + r.message);
    if (!retrying(next)) co_return;
    permit = co_await coro::acquire_permit(ctx.requests);
  }
}

// Whether `key` exists as the multipart object we meant to complete: its size and its ETag's
// part count ("...-N") match.
asio::awaitable<bool> object_is_complete(RunContext& ctx, std::string key, std::uint64_t size,
                                         std::uint64_t parts) {
  const s3::OpResult head = co_await with_retries(ctx, [&] { return ctx.s3.head_object(key); });
  if (!head.ok) co_return false;
  std::string etag = head.header("etag");
  while (!etag.empty() && etag.back() == '"') etag.pop_back();
  const std::string suffix = "-" + std::to_string(parts);
  co_return head.header("content-length") == std::to_string(size) && etag.size() > suffix.size() &&
      etag.compare(etag.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Fills `state.parts` with the parts of the journal's open upload that S3 still holds (ListParts,
// ETag and size agreeing with the journal). Returns false when the upload is gone (start over).
asio::awaitable<bool> resume_parts(RunContext& ctx, std::string key, JournalUpload open,
                                   PartPlan plan, MultipartState& state) {
  int marker = 0;
  for (;;) {
    const s3::OpResult r =
        co_await with_retries(ctx, [&] { return ctx.s3.list_parts(key, open.upload_id, marker); });
    if (!r.ok) co_return false;
    const auto page = s3::parse_list_parts(r.body);
    if (!page) co_return false;
    match_resumed_parts(page->parts, open, plan, ctx.opt.checksum, state.parts);
    if (!page->truncated) co_return true;
    marker = page->next_part_number_marker;
  }
}

}  // namespace

asio::awaitable<void> upload_multipart(RunContext& ctx, walker::Entry entry, std::string key,
                                       [[maybe_unused]] coro::Permit slot) {
  const PartPlan plan = plan_parts(entry.size, ctx.opt.part_size);
  if (plan.part_count == 0) {
    ctx.report.failed({entry.path, key, "file is larger than S3's 5 TiB object limit"});
    co_return;
  }
  // --concurrency auto starts with fewer requests in flight when they are parts this large.
  if (ctx.concurrency) ctx.concurrency->request_size_hint(plan.part_size);
  auto state = std::make_shared<MultipartState>();
  state->parts.resize(plan.part_count);
  // --journal: continue an upload an earlier run left open, from the parts S3 still holds.
  if (ctx.journal) {
    if (auto open = ctx.journal->open_upload(key); open && open->size == entry.size &&
                                                   open->mtime_ns == entry.mtime_ns &&
                                                   open->part_size == plan.part_size) {
      if (co_await resume_parts(ctx, key, *open, plan, *state)) state->upload_id = open->upload_id;
    }
  }
  if (state->upload_id.empty()) {
    s3::Headers create_headers = s3::object_headers(ctx.opt.object, entry.rel, entry.mtime_ns);
    if (auto algo = s3::algorithm_header_value(ctx.opt.checksum); !algo.empty())
      create_headers.emplace_back("x-amz-checksum-algorithm", std::string(algo));
    const s3::OpResult created = co_await with_retries(
        ctx, [&] { return ctx.s3.create_multipart(key, create_headers); });
    if (!created.ok) {
      if (created.error_class != s3::ErrorClass::FatalForRun)
        ctx.report.failed({entry.path, key, created.message});
      co_return;
    }
    state->upload_id = *s3::parse_upload_id(created.body);
    for (auto& part : state->parts) part = {};
    if (ctx.journal)
      ctx.journal->record_upload_started(
          {key, state->upload_id, entry.size, entry.mtime_ns, plan.part_size, {}});
  }

  for (std::uint64_t index = 0; index < plan.part_count; ++index) {
    if (state->failed.load() || ctx.stopping.load()) break;
    if (!state->parts[index].etag.empty()) {  // resumed: S3 holds this part already
      ctx.report.sent(plan.length(index));
      continue;
    }
    coro::Permit permit = co_await coro::acquire_permit(ctx.requests);
    if (state->failed.load() || ctx.stopping.load()) break;
    state->parts_in_flight.add();
    asio::co_spawn(ctx.next_lane(),
                   upload_part(ctx, entry, key, state, plan, index, std::move(permit)),
                   [state](std::exception_ptr e) {
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         state->fail(std::string("internal error: ") + ex.what());
                       }
                     }
                   });
  }
  co_await state->parts_in_flight.wait();

  if (state->failed.load() || ctx.stopping.load()) {
    std::string reason = state->failure.empty() ? "interrupted" : state->failure;
    const s3::OpResult aborted = co_await with_retries(
        ctx, [&] { return ctx.s3.abort_multipart(key, state->upload_id); });
    if (aborted.ok && ctx.journal) ctx.journal->record_upload_closed(key, state->upload_id);
    reason += aborted.ok ? "; multipart upload aborted"
                         : "; could not abort multipart upload " + state->upload_id + ": " +
                               aborted.message;
    ctx.report.failed({entry.path, key, reason});
    co_return;
  }

  s3::OpResult completed = co_await with_retries(
      ctx, [&] { return ctx.s3.complete_multipart(key, state->upload_id, state->parts); });
  if (!completed.ok && completed.code == "NoSuchUpload") {
    // An earlier attempt may have completed the upload and lost its reply: look for the object.
    // (No co_await inside a short-circuit condition: GCC 12 miscompiles it.)
    completed.ok = co_await object_is_complete(ctx, key, entry.size, plan.part_count);
  }
  if (!completed.ok) {
    const s3::OpResult aborted = co_await with_retries(
        ctx, [&] { return ctx.s3.abort_multipart(key, state->upload_id); });
    if (aborted.ok && ctx.journal) ctx.journal->record_upload_closed(key, state->upload_id);
    ctx.report.failed({entry.path, key,
                       completed.message + (aborted.ok ? "; multipart upload aborted"
                                                       : "; abort failed: " + aborted.message)});
    co_return;
  }
  ctx.report.uploaded(entry.size, true);
  if (ctx.journal) {
    ctx.journal->record_finished(key, entry.size, entry.mtime_ns);
    ctx.journal->record_upload_closed(key, state->upload_id);
  }
}

}  // namespace s3up::engine
