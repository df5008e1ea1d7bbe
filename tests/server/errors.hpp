// S3 errors as the handlers raise them: HTTP status, S3 error code and message.
#pragma once
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace s3up::testserver {

class S3Error : public std::runtime_error {
 public:
  S3Error(unsigned status, std::string code, std::string message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}

  unsigned status() const { return status_; }
  const std::string& code() const { return code_; }

  // Extra elements of the <Error> document, e.g. {"StringToSign", ...}.
  std::vector<std::pair<std::string, std::string>> details;

 private:
  unsigned status_;
  std::string code_;
};

// The common ones.
inline S3Error no_such_bucket(const std::string& bucket) {
  S3Error e(404, "NoSuchBucket", "The specified bucket does not exist");
  e.details.emplace_back("BucketName", bucket);
  return e;
}
inline S3Error no_such_key(const std::string& key) {
  S3Error e(404, "NoSuchKey", "The specified key does not exist.");
  e.details.emplace_back("Key", key);
  return e;
}
inline S3Error no_such_upload(const std::string& upload_id) {
  S3Error e(404, "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload "
            "may have been aborted or completed.");
  e.details.emplace_back("UploadId", upload_id);
  return e;
}
inline S3Error invalid_argument(std::string message) {
  return S3Error(400, "InvalidArgument", std::move(message));
}

}  // namespace s3up::testserver
