#include <stdexcept>

#include "engine/engine.hpp"

namespace s3up::engine {

// Placeholder until the threaded engine lands (replaced in the same session).
RunSummary run_threaded(const ServiceOptions&, const UploadOptions&) {
  throw std::runtime_error("--engine threaded is not available in this build");
}

}  // namespace s3up::engine
