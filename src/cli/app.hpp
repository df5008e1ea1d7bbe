// The s3up program: command line in, exit status out.
#pragma once

namespace s3up::cli {

// 0 every file uploaded; 1 some files failed (each listed on stderr); 2 usage, configuration,
// credential or other run-wide errors (one line saying what to fix); 130 interrupted.
int run(int argc, char** argv);

}  // namespace s3up::cli
