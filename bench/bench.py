#!/usr/bin/env python3
"""s3up benchmark: s3up (both engines) side by side with its peers on local sinks.
Run through bench/run.sh, which installs the tools first. See bench/README.md."""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import build as buildmod                           # noqa: E402
from benchlib import clients, datasets, network, report, sinks   # noqa: E402
from benchlib import wanreport                                   # noqa: E402
from benchlib.clients import Config, Peers, S3up                 # noqa: E402
from benchlib.common import BENCH_DIR, log, work_dir             # noqa: E402
from benchlib.runner import Result, Runner                       # noqa: E402

NGINX_T = ["nginx-http", "nginx-https"]
TS_T = ["ts-http", "ts-https"]


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small datasets, 1 repetition (smoke test)")
    ap.add_argument("--reps", type=int, help="repetitions per configuration (default 3, quick 1)")
    ap.add_argument("--datasets", default="",
                    help="comma list of small,medium,large,tree,wlarge,whuge,wsmall (default: small,medium,large,tree; "
                         "with --network: small,wlarge)")
    ap.add_argument("--network", default="",
                    help="comma list of network profiles (" + ",".join(network.ORDER) + "): run the "
                         "WAN matrix, each sink reached through s3up-wanproxy (lan: directly)")
    ap.add_argument("--threads", default="",
                    help="s3up --threads values (default 1,2; with --network: s3up's own default)")
    ap.add_argument("--transports", default="",
                    help="comma list of nginx-http,nginx-https,ts-http,ts-https (default: all that apply)")
    ap.add_argument("--only", choices=["s3up", "peers"], help="run only s3up or only the peers")
    ap.add_argument("--peers", default="", help="comma list of the peers to run (default: all of "
                                                 "seed_threads,aws-cli,rclone,curl)")
    ap.add_argument("--concurrency", default="",
                    help="s3up --concurrency values (default 1,8,32,64,128,256 [+auto]; with --network "
                         "64,128,256 [+auto], big files 64 [+auto])")
    ap.add_argument("--peer-settings", default="",
                    help="concurrency settings tried for every peer besides its default "
                         "(default: quick 64; full aws-cli/seed 32,64, rclone/curl 64,128; with "
                         "--network: these only, default 64, curl 64,256)")
    ap.add_argument("--no-build", action="store_true", help="use build-release/ as it is")
    ap.add_argument("--out", help="results folder (default bench/results, bench/results/quick, "
                                  "bench/results/[quick-]only-s3up|peers)")
    return ap.parse_args(argv)


def main(argv) -> int:
    a = parse_args(argv)
    t_start = time.monotonic()
    reps = a.reps or (1 if a.quick else 3)
    # --quick and --only runs get their own folders so they never overwrite a full run.
    wan = bool(a.network)
    sub = "-".join(x for x in ("quick" if a.quick else "", "wan" if wan else "",
                               f"only-{a.only}" if a.only else "") if x)
    outdir = Path(a.out) if a.out else BENCH_DIR / "results" / sub
    outdir.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    want_ds = [d for d in a.datasets.split(",") if d] or (
        ["small", "wlarge"] if wan else ["small", "medium", "large", "tree"])
    for d in want_ds:
        if d not in datasets.ORDER:
            sys.exit(f"unknown dataset {d!r} ({', '.join(datasets.ORDER)})")
    want_t = [t for t in a.transports.split(",") if t] or (["nginx-https", "ts-https"] if wan else [])
    nets = [n for n in a.network.split(",") if n] or ["lan"]
    for n in nets:
        if n not in network.PROFILES:
            sys.exit(f"unknown network profile {n!r} ({', '.join(network.ORDER)})")
    threads = [None if x in ("def", "default") else int(x) for x in a.threads.split(",") if x] or (
        [None] if wan else clients.S3UP_THREADS)

    # Build.
    s3up_bin = Path(os.environ.get("S3UP_BIN", buildmod.BUILD_DIR / "s3up"))
    ts_bin = Path(os.environ.get("TESTSERVER_BIN", buildmod.BUILD_DIR / "s3-testserver"))
    # The test server takes the big sets (multipart), and any set whose ts-* transport is asked
    # for by name (the tree, whose files over 8 MiB go in parts by default).
    asked_ts = [t for t in a.transports.split(",") if t.startswith("ts-")]
    need_ts = bool(asked_ts) or (any(d in datasets.BIG for d in want_ds) and (
        not want_t or any(t.startswith("ts-") for t in want_t)))
    if not a.no_build:
        targets = (([] if a.only == "peers" else ["s3up"]) + (["s3-testserver"] if need_ts else [])
                   + ([network.PROXY_TARGET] if any(network.PROFILES[n].proxied for n in nets) else []))
        if targets:
            for t, err in buildmod.build(targets).items():
                log(f"build: {t}: {err}")
                notes.append(f"build of `{t}`: {err}")

    # Clients.
    s3up = S3up(s3up_bin)
    if a.only != "peers":
        if s3up.available:
            log(f"s3up: {s3up.version}; --engine {'yes' if s3up.has_engine else 'no'}; "
                f"--concurrency auto {'yes' if s3up.has_auto else 'no'}")
            if not s3up.has_engine:
                notes.append("s3up has no `--engine` flag yet: only its one engine is measured "
                             "(engine column `default`); the threaded rows are skipped.")
            for e, why in s3up.engine_why.items():
                log(f"s3up --engine {e} skipped: {why}")
                notes.append(f"s3up `--engine {e}` skipped: `{why}`.")
            if not s3up.has_auto:
                notes.append("s3up has no `--concurrency auto` yet: no auto rows.")
        else:
            log(f"s3up not available: {s3up.why}")
            notes.append(f"s3up not available: {s3up.why}. Its rows are marked not available.")
    peers = Peers()
    if a.only != "s3up":
        for p, why in peers.why.items():
            notes.append(f"peer {p} skipped: {why}")

    # Sinks.
    cert, key = sinks.make_cert()
    nginx = sinks.Nginx(cert, key)
    sink_by_name = {"nginx-http": sinks.NginxSink(nginx, False, cert),
                    "nginx-https": sinks.NginxSink(nginx, True, cert)}
    ts_why = ""
    if need_ts:
        if ts_bin.exists():
            try:
                sink_by_name["ts-http"] = sinks.TestServerSink(ts_bin, False, cert, key)
                sink_by_name["ts-https"] = sinks.TestServerSink(ts_bin, True, cert, key)
            except Exception as e:
                ts_why = f"s3-testserver did not start: {e}"
        else:
            ts_why = f"s3-testserver not available ({ts_bin} not built)"
        if ts_why:
            log(ts_why)
            notes.append(ts_why + ": the multipart rows (ts-http, ts-https) are marked not available.")
    notes.append("nginx takes single PUTs only: on it s3up runs with `--multipart-threshold` raised to the largest file when that is over its 8MiB default, "
                 "aws-cli with `multipart_threshold = 5GB`, rclone with `--s3-upload-cutoff 5G "
                 "--ignore-checksum` (nginx returns no ETag).")
    if need_ts:
        notes.append("The test server (ts-*) is `s3-testserver --discard --threads 1`, restarted "
                     "before every run; uploads there use multipart with each client's defaults"
                     + (" (quick: 8 MiB threshold and parts)" if a.quick else "") +
                     "; rclone's `--s3-upload-concurrency` is set so that about N parts are in flight.")

    # Network profiles: one proxy per profile in front of every sink, all started now (an idle
    # proxy costs nothing), so that repetitions can interleave the profiles.
    proxies: dict[str, network.WanProxy] = {}
    if wan:
        ports = [int(s.url.rsplit(":", 1)[1]) for s in sink_by_name.values()]
        for n in nets:
            prof = network.PROFILES[n]
            if prof.proxied:
                proxies[n] = network.WanProxy(prof, ports)
        for sk in sink_by_name.values():
            network.register(sk, list(proxies.values()))
        notes.append("Network profiles: " + "; ".join(
            f"`{n}` {network.PROFILES[n].describe()}" for n in nets) +
            ". Each proxied sink is reached through s3up-wanproxy (bench/wanproxy/, a TCP relay: TLS "
            "stays end to end); the sink is cleared and verified directly.")

    # Matrix.
    peer_settings = clients.PEER_SETTINGS_QUICK if a.quick else clients.PEER_SETTINGS_FULL
    if wan:
        peer_settings = dict(clients.PEER_SETTINGS_WAN)
    if a.peer_settings:
        vals = [int(x) for x in a.peer_settings.split(",") if x]
        peer_settings = {p: vals for p in clients.PEERS}
    s3_conc = [int(x) for x in a.concurrency.split(",") if x] or None
    ds_objs = {}
    transports: dict[str, list[str]] = {}
    jobs = []
    skipped: list[Result] = []
    for name in want_ds:
        ds = datasets.prepare(name, a.quick)
        ds_objs[name] = ds
        ts = (TS_T + NGINX_T) if name in datasets.BIG else NGINX_T + asked_ts
        ts = [t for t in ts if not want_t or t in want_t]
        transports[name] = ts
        big = name in datasets.BIG
        conc = s3_conc or ((clients.S3UP_CONCURRENCY_WAN_BIG if big else clients.S3UP_CONCURRENCY_WAN)
                           if wan else None)
        for net in nets:
            for t in ts:
                sink = sink_by_name.get(t)
                if sink is not None and wan:
                    sink = network.ProxiedSink(sink, proxies.get(net), network.PROFILES[net])
                cfgs: list[Config] = []
                if a.only != "peers":
                    if not s3up.available or sink is None:
                        why = s3up.why if not s3up.available else ts_why
                        skipped.append(Result(Config(name, t, "s3up", "", None, "-", network=net), [],
                                              skipped=why))
                    else:
                        for e in s3up.engines():
                            for th in threads:
                                for c in s3up.concurrencies(conc):
                                    cfgs.append(Config(name, t, "s3up", e, th, c, network=net))
                if a.only != "s3up":
                    for p in [x for x in clients.PEERS if not a.peers or x in a.peers.split(",")]:
                        why = ts_why if sink is None else peers.applies(p, name, sink)
                        if why:
                            if sink is None or p in peers.why:
                                skipped.append(Result(Config(name, t, p, network=net), [], skipped=why))
                            continue
                        settings = peer_settings[p][:1] if (wan and big) else peer_settings[p]
                        if not wan:
                            cfgs.append(Config(name, t, p, network=net))
                        cfgs += [Config(name, t, p, concurrency=str(n), network=net) for n in settings
                                 if wan or n != clients.PEER_DEFAULT[p]]
                jobs += [(c, ds, sink) for c in cfgs]
    log(f"{len(jobs)} configurations x {reps} repetitions")
    timeouts = {"default": 120.0 if a.quick else 900.0,
                "seed_threads": 60.0 if a.quick else 240.0}
    runner = Runner(reps, a.quick, s3up, peers, timeouts)
    proxy_totals = {}
    try:
        results = runner.run_all(jobs)
    finally:
        for n, px in proxies.items():
            proxy_totals[n] = px.stop()
        for s in sink_by_name.values():
            s.stop()
        nginx.stop()
    results += skipped
    chunked = sorted({f"{r.cfg.tool} ({r.cfg.transport})" for r in results if "aws-chunked" in r.info})
    if chunked:
        notes.append("Sent bodies aws-chunked (nginx stores the framing; the verification decodes it "
                     "and checks the payload length): " + ", ".join(chunked) + ".")

    if wan:
        info = {"machine": report.machine(), "quick": a.quick, "reps": reps,
                "duration": time.monotonic() - t_start,
                "command": "bench/run.sh " + " ".join(shlex.quote(x) for x in argv),
                "s3up": (f"{s3up.version} at {buildmod.git_describe()} ({s3up_bin})" if s3up.available
                         else f"not available ({s3up.why})") if a.only != "peers" else "not run",
                "peer_versions": peers.versions if a.only != "s3up" else {},
                "sinks": f"{nginx.version()} (1 worker, WebDAV PUT, root on {nginx.root.parent}), "
                         f"s3-testserver --discard" + (f" ({ts_why})" if ts_why else ""),
                "networks": nets, "proxy_python": proxies[next(iter(proxies))].python if proxies else "",
                "proxy_loop": proxies[next(iter(proxies))].loop if proxies else "",
                "proxy_priority": proxies[next(iter(proxies))].priority if proxies else "",
                "proxy_totals": proxy_totals}
        wanreport.write_all(outdir, ds_objs, transports, nets, results, info, notes)
        failed = [r for r in results if r.status.startswith("FAILED")]
        log(f"wrote {outdir}/results.md, results.json in {info['duration']:.0f} s")
        if failed:
            log(f"{len(failed)} configurations FAILED: " + ", ".join(r.cfg.key for r in failed[:10]))
        return 1 if failed else 0

    # Report.
    groups = report.build_groups(ds_objs, transports, results)
    for old in outdir.glob("*.png"):
        old.unlink()
    plots = report.write_plots(outdir, groups)
    info = {"machine": report.machine(), "quick": a.quick, "reps": reps,
            "duration": time.monotonic() - t_start,
            "command": "bench/run.sh " + " ".join(shlex.quote(x) for x in argv),
            "s3up": (f"{s3up.version} at {buildmod.git_describe()} ({s3up_bin})" if s3up.available
                     else f"not available ({s3up.why})") if a.only != "peers" else "not run (--only peers)",
            "peer_versions": peers.versions if a.only != "s3up" else {},
            "sinks": f"{nginx.version()} (1 worker, WebDAV PUT, root on {nginx.root.parent}), "
                     f"s3-testserver --discard" + (f" ({ts_why})" if ts_why else "")}
    report.write_csv(outdir / "results.csv", groups)
    report.write_md(outdir / "results.md", groups, ds_objs, info, notes, plots)
    failed = [r for r in results if r.status.startswith("FAILED")]
    log(f"wrote {outdir}/results.csv, results.md and {len(plots)} plots in {info['duration']:.0f} s")
    print_summary(groups)
    if failed:
        log(f"{len(failed)} configurations FAILED: " + ", ".join(r.cfg.key for r in failed[:10]))
    return 1 if failed else 0


def print_summary(groups) -> None:
    for g in groups:
        unit = "files/s" if datasets.METRIC[g.ds.name] == "files_per_s" else "MB/s"
        line = [f"{g.ds.name:6} {g.transport:11}"]
        for tool in ["s3up"] + clients.PEERS:
            b = g.best_of(tool)
            if b:
                line.append(f"{tool} {b.wall:.2f}s {g.metric(b):.0f}{unit}")
        print("  ".join(line))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
