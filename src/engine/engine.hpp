// Runs one upload: walks the source, uploads every file, returns what happened.
#pragma once
#include "engine/options.hpp"
#include "engine/report.hpp"

namespace s3up::engine {

// The coroutine engine: every file upload is a coroutine on one io_context run by
// opt.threads threads; an async semaphore caps requests in flight. Throws walker::WalkError
// when the source cannot be read at all, std::runtime_error for a bad CA bundle; everything
// that goes wrong after that is in the summary.
RunSummary run_async(const ServiceOptions& service, const UploadOptions& opt);

// The threaded engine, for comparison: a pool of OS threads doing blocking requests, throttled
// by std::counting_semaphore. Same walker, signing, checksums, part planning, retries and report;
// same exceptions as run_async.
RunSummary run_threaded(const ServiceOptions& service, const UploadOptions& opt);

}  // namespace s3up::engine
