# Sourced by bench/run.sh and bench/memory.sh: installs the benchmark's tools when missing.
bench_deps() {
  local need=()
  command -v nginx >/dev/null || need+=(nginx-light)
  command -v rclone >/dev/null || need+=(rclone)
  command -v curl >/dev/null || need+=(curl)
  command -v gnuplot >/dev/null || need+=(gnuplot-nox)
  command -v openssl >/dev/null || need+=(openssl)
  [ -x /usr/bin/time ] || need+=(time)
  command -v cmake >/dev/null || need+=(cmake)
  command -v chrt >/dev/null || need+=(util-linux)      # wanproxy runs under SCHED_FIFO
  command -v ninja >/dev/null || need+=(ninja-build)
  if [ "${#need[@]}" -gt 0 ]; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "bench: installing ${need[*]}" >&2
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}"
  fi
  # The project's own build dependencies (compiler, Boost, OpenSSL...), when the script exists.
  if [ -x scripts/install-deps.sh ] && [ "${BENCH_SKIP_PROJECT_DEPS:-0}" != 1 ]; then
    scripts/install-deps.sh >&2 || echo "bench: scripts/install-deps.sh failed; going on" >&2
  fi
  command -v aws >/dev/null || echo "bench: aws-cli missing (pip install awscli): its rows are skipped" >&2
  python3 -c 'import boto3' 2>/dev/null || echo "bench: python3 has no boto3: seed_threads rows are skipped" >&2
}
