#!/usr/bin/env python3
"""When a multipart run's parts start sending, from `strace -f -ttt -e
trace=connect,sendmsg,write,writev,sendto -o FILE s3up ...`: per socket, the time (from the
run's first connect) at which 64 KiB have been written to it, which on a part's connection is
its body under way (a request's headers and a TLS handshake are a few KiB). Prints how many
sockets got there, the median and the last of those times.
usage: part_starts.py STRACE_FILE"""
import re
import statistics
import sys

CALL = re.compile(r"(\d+)\s+(\d+\.\d+) (\w+)\((\d+),.*= (-?\d+)")


def part_starts(path, threshold=64 * 1024):
    t0 = None
    written, started = {}, {}
    with open(path) as f:
        for line in f:
            m = CALL.match(line)
            if not m:
                continue
            _, t, call, fd, ret = m.groups()
            t, ret = float(t), int(ret)
            if call == "connect":
                t0 = t if t0 is None else t0
                continue
            if ret <= 0 or t0 is None:
                continue
            written[fd] = written.get(fd, 0) + ret
            if written[fd] >= threshold and fd not in started:
                started[fd] = t - t0
    return sorted(started.values())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.rsplit("usage: ", 1)[1])
    ts = part_starts(sys.argv[1])
    if not ts:
        sys.exit("no socket reached 64 KiB")
    print(f"{len(ts)} sockets; started: median {statistics.median(ts):.2f} s, last {ts[-1]:.2f} s")
