#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang-14, ASan + UBSan) into build-fuzz and runs each
# for a fixed time: first over its seed corpus (tests/fuzz/corpus/NAME: every input there must
# pass, which makes the corpus a regression suite), then fuzzing from it. Any crash, leak,
# timeout, out-of-memory or sanitizer report fails the script; the input that caused it is saved
# in build-fuzz/fuzz-out/NAME/ (crash-*, leak-*, timeout-*, oom-*) and its path printed.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [NAME...]    # default 60 s, every target
# Environment: FUZZ_BUILD_DIR (build-fuzz), FUZZ_CXX (clang++-14), FUZZ_JOBS (build jobs, 2),
# FUZZ_TIMEOUT (seconds one input may take, 10), FUZZ_RSS_MB (memory limit, 2048).
# New inputs found go to build-fuzz/fuzz-out/NAME/corpus, not into the repository: add the
# interesting ones to tests/fuzz/corpus/NAME by hand (or with -merge=1).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ "$#" -gt 0 ] && shift
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
export CXX=${FUZZ_CXX:-clang++-14}
command -v "$CXX" >/dev/null || { echo "error: $CXX not found (scripts/install-deps.sh installs clang-14)" >&2; exit 1; }
generator=()
command -v ninja >/dev/null && [ ! -f "$BUILD_DIR/CMakeCache.txt" ] && generator=(-G Ninja)
cmake -S . -B "$BUILD_DIR" "${generator[@]}" -DS3UP_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j "${FUZZ_JOBS:-2}"

bin="$BUILD_DIR/tests/fuzz"
# Stack traces with file and line.
[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ] && export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.cpp; do t=$(basename "$f" .cpp); targets+=("${t#fuzz_}"); done
fi
# The dictionary of each target's format.
dict_of() {
  case "$1" in
    xml_*|sts_reply) echo xml ;;
    credentials_json|sso|journal) echo json ;;
    ini|aws_config) echo ini ;;
    http_response) echo http ;;
    glob) echo glob ;;
    cli_options) echo cli ;;
  esac
}
failed=()
printf '%-18s %10s %8s %6s %s\n' target executions exec/s cov result
for t in "${targets[@]}"; do
  out="$BUILD_DIR/fuzz-out/$t"
  rm -rf "$out"
  mkdir -p "$out/corpus"
  args=(-max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}"
        -print_final_stats=1 -artifact_prefix="$out/")
  d=$(dict_of "$t")
  [ -n "$d" ] && args+=(-dict="tests/fuzz/dict/$d.dict")
  set +e
  "$bin/fuzz_$t" "${args[@]}" "$out/corpus" "tests/fuzz/corpus/$t" >"$out/log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$out/log" | tail -1 | cut -d' ' -f2)
  rate=$(( ${runs:-0} / (seconds > 0 ? seconds : 1) ))
  result=ok
  artifacts=$(find "$out" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) | grep -v slow-unit || true)
  if [ "$rc" -ne 0 ] || [ -n "$artifacts" ]; then
    result="FAILED (exit $rc) ${artifacts//$'\n'/ }"
    failed+=("$t")
    grep -m5 -E 'ERROR:|runtime error|fuzz property|deadly signal' "$out/log" >&2 || true
  fi
  printf '%-18s %10s %8s %6s %s\n' "$t" "${runs:-?}" "$rate" "${cov:-?}" "$result"
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]} (logs: $BUILD_DIR/fuzz-out/NAME/log)" >&2
  exit 1
fi
