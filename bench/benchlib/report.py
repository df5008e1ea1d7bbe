"""results.csv, results.md and the gnuplot PNGs."""
from __future__ import annotations

import csv
import os
import platform
import subprocess
import time
from pathlib import Path

from .clients import PEERS
from .common import human_bytes, log, work_dir
from .datasets import METRIC, ORDER, Dataset
from .runner import Result

SIGNING_PEERS = [p for p in PEERS if p != "curl"]   # curl signs nothing: a ceiling, not a peer


def machine() -> dict[str, str]:
    cpu = "?"
    mem = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = human_bytes(int(line.split()[1]) * 1024)
                break
    except OSError:
        pass
    load = " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "?"
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": mem,
            "kernel": f"{platform.system()} {platform.release()}",
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "load": load}


class Group:
    """The results of one dataset on one transport, with the reference points."""

    def __init__(self, ds: Dataset, transport: str, results: list[Result]):
        self.ds, self.transport, self.results = ds, transport, results
        peers = [r for r in results if r.cfg.tool in SIGNING_PEERS and r.ok]
        self.best_peer = min(peers, key=lambda r: r.wall) if peers else None
        curls = [r for r in results if r.cfg.tool == "curl" and r.ok]
        self.curl = min(curls, key=lambda r: r.wall) if curls else None
        s3 = [r for r in results if r.cfg.tool == "s3up" and r.ok]
        self.best_s3up = min(s3, key=lambda r: r.wall) if s3 else None

    def best_of(self, tool: str) -> Result | None:
        ok = [r for r in self.results if r.cfg.tool == tool and r.ok]
        return min(ok, key=lambda r: r.wall) if ok else None

    def files_per_s(self, r: Result) -> float | None:
        return self.ds.count / r.wall if r.wall else None

    def mb_per_s(self, r: Result) -> float | None:
        return self.ds.total_bytes / 1e6 / r.wall if r.wall else None

    def metric(self, r: Result | None) -> float | None:
        if r is None or not r.wall:
            return None
        return self.files_per_s(r) if METRIC[self.ds.name] == "files_per_s" else self.mb_per_s(r)

    def vs_peer(self, r: Result) -> float | None:
        return self.best_peer.wall / r.wall if (self.best_peer and r.wall) else None

    def vs_curl(self, r: Result) -> float | None:
        return self.curl.wall / r.wall if (self.curl and r.wall) else None


def _f(x, nd=2):
    return "" if x is None else f"{x:.{nd}f}"


def _rate(x):
    """A throughput with as many decimals as it needs to say something."""
    if x is None:
        return ""
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _sort_key(r: Result):
    tools = ["s3up"] + PEERS
    c = r.cfg.conc_num
    return (tools.index(r.cfg.tool), r.cfg.engine, r.cfg.threads or 0,
            c if c is not None else 10**9, r.cfg.concurrency != "")


def build_groups(datasets: dict[str, Dataset], transports: dict[str, list[str]],
                 results: list[Result]) -> list[Group]:
    groups = []
    for name in ORDER:
        if name not in datasets:
            continue
        for t in transports[name]:
            rs = sorted([r for r in results if r.cfg.dataset == name and r.cfg.transport == t],
                        key=_sort_key)
            if rs:
                groups.append(Group(datasets[name], t, rs))
    return groups


CSV_FIELDS = ["dataset", "transport", "tool", "engine", "threads", "concurrency", "peer_default",
              "status", "reps", "ok_reps", "files", "bytes", "wall_median_s", "wall_min_s",
              "wall_max_s", "files_per_s", "mb_per_s", "cpu_user_median_s", "cpu_sys_median_s",
              "cpu_total_median_s", "peak_rss_mib", "best_peer", "speedup_vs_best_peer",
              "speedup_vs_curl", "note", "command"]


def write_csv(path: Path, groups: list[Group]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, CSV_FIELDS)
        w.writeheader()
        for g in groups:
            for r in g.results:
                ok_reps = r.ok_reps
                walls = [x.wall for x in ok_reps]
                w.writerow({
                    "dataset": g.ds.name, "transport": g.transport, "tool": r.cfg.tool,
                    "engine": r.cfg.engine, "threads": r.cfg.threads or "",
                    "concurrency": r.cfg.concurrency or f"default:{r.cfg.conc_num}",
                    "peer_default": int(r.cfg.is_default), "status": r.status,
                    "reps": len(r.reps), "ok_reps": len(ok_reps), "files": g.ds.count,
                    "bytes": g.ds.total_bytes,
                    "wall_median_s": _f(r.wall, 3),
                    "wall_min_s": _f(min(walls), 3) if r.ok else "",
                    "wall_max_s": _f(max(walls), 3) if r.ok else "",
                    "files_per_s": _f(g.files_per_s(r), 1) if r.ok else "",
                    "mb_per_s": _f(g.mb_per_s(r), 1) if r.ok else "",
                    "cpu_user_median_s": _f(r.med("user"), 2) if r.ok else "",
                    "cpu_sys_median_s": _f(r.med("sys"), 2) if r.ok else "",
                    "cpu_total_median_s": _f(r.cpu, 2),
                    "peak_rss_mib": _f(r.rss_mib, 1),
                    "best_peer": _label(g.best_peer) if g.best_peer else "",
                    "speedup_vs_best_peer": _f(g.vs_peer(r), 2) if r.ok else "",
                    "speedup_vs_curl": _f(g.vs_curl(r), 2) if r.ok else "",
                    "note": r.skipped or r.failure or r.info or r.cfg.note,
                    "command": " ".join(r.command)})


def _label(r: Result) -> str:
    c = r.cfg
    if c.tool == "s3up":
        eng = "" if c.engine == "default" else f"{c.engine} "
        return f"s3up {eng}t{c.threads} c{c.concurrency}"
    return f"{c.tool} {c.conc_label}"


def write_md(path: Path, groups: list[Group], datasets: dict[str, Dataset], info: dict,
             notes: list[str], plots: list[str]) -> None:
    m = info["machine"]
    out = []
    out.append(f"# s3up benchmark{' (quick)' if info['quick'] else ''}\n")
    out.append(f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['kernel']}; "
               f"load average at start {m['load']}")
    out.append(f"- Date: {m['date']}; duration {info['duration']:.0f} s")
    out.append(f"- Command: `{info['command']}`")
    out.append(f"- s3up: {info['s3up']}")
    out.append(f"- Peers: " + "; ".join(f"{k}: {v}" for k, v in info["peer_versions"].items()))
    out.append(f"- Sinks: {info['sinks']}")
    out.append(f"- Repetitions: {info['reps']} per configuration, repetitions interleaved; "
               "figures are medians; peak RSS is the largest of the repetitions.")
    out.append("")
    out.append("| dataset | files | bytes | what |")
    out.append("|---|---:|---:|---|")
    for n in ORDER:
        if n in datasets:
            d = datasets[n]
            out.append(f"| {n} | {d.count:,} | {d.total_bytes:,} ({human_bytes(d.total_bytes)}) | {d.description} |")
    out.append("")
    if notes:
        out.append("## Notes\n")
        out += [f"- {n}" for n in notes]
        out.append("")
    out.append("## Summary: best configuration of each client\n")
    out.append("Throughput is files/s for small, medium and tree, MB/s (10^6 bytes) for large. "
               "× peer = best signing peer's wall time / this wall time (above 1: faster than it); "
               "× curl likewise against curl, the unsigned transport ceiling. s3up settings read "
               "`ENGINE tT cC` for `--engine ENGINE --threads T --concurrency C`.\n")
    for g in groups:
        unit = "files/s" if METRIC[g.ds.name] == "files_per_s" else "MB/s"
        out.append(f"### {g.ds.name} — {g.transport}\n")
        out.append(f"| client | best setting | wall s | {unit} | CPU s | RSS MiB | × peer | × curl |")
        out.append("|---|---|---:|---:|---:|---:|---:|---:|")
        for tool in ["s3up"] + PEERS:
            rs = [r for r in g.results if r.cfg.tool == tool]
            if not rs:
                continue
            b = g.best_of(tool)
            if b is None:
                why = rs[0].skipped or rs[0].failure or "all failed"
                st = "not available" if rs[0].skipped else "FAILED"
                out.append(f"| {tool} | {st}: {why} | | | | | | |")
                continue
            setting = _label(b).split(" ", 1)[1]
            out.append(f"| {tool} | {setting} | {_f(b.wall)} | {_rate(g.metric(b))} | "
                       f"{_f(b.cpu)} | {_f(b.rss_mib, 0)} | {_f(g.vs_peer(b))} | {_f(g.vs_curl(b))} |")
        out.append("")
    out += auto_section(groups)
    out.append("## Every configuration\n")
    out.append("Wall: median [min–max] of the repetitions. A configuration with any failed "
               "repetition (non-zero exit, time cap, or the sink missing a file or holding a "
               "wrong size) is FAILED and takes no part in the comparisons.\n")
    for g in groups:
        out.append(f"### {g.ds.name} — {g.transport}\n")
        out.append("| client | engine | threads | concurrency | status | wall s | files/s | MB/s | "
                   "CPU s (user+sys) | peak RSS MiB | × peer | × curl |")
        out.append("|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in g.results:
            c = r.cfg
            if not r.ok:
                why = (r.skipped or r.failure).replace("|", "/")
                out.append(f"| {c.tool} | {c.engine} | {c.threads or ''} | {c.conc_label} | "
                           f"**{r.status}** {why} | | | | | | | |")
                continue
            walls = [x.wall for x in r.ok_reps]
            mark = " **(best)**" if r is g.best_s3up or r is g.best_peer else ""
            auto = [n.split("concurrency ", 1)[1] for n in r.info.split("; ") if n.startswith("auto:")]
            label = c.conc_label + (f" (ended at {', '.join(auto)})" if auto else "")
            out.append(f"| {c.tool}{mark} | {c.engine} | {c.threads or ''} | {label} | OK | "
                       f"{_f(r.wall)} [{_f(min(walls))}–{_f(max(walls))}] | "
                       f"{_rate(g.files_per_s(r))} | {_rate(g.mb_per_s(r))} | "
                       f"{_f(r.med('user'))}+{_f(r.med('sys'))} | {_f(r.rss_mib, 1)} | "
                       f"{_f(g.vs_peer(r))} | {_f(g.vs_curl(r))} |")
        out.append("")
    if plots:
        out.append("## Plots\n")
        out += [f"![{p}]({p})" for p in plots]
        out.append("")
    path.write_text("\n".join(out))


def auto_rows(g: Group) -> list[tuple[str, Result, Result, float]]:
    """Per s3up engine: (engine, best `auto` run, best fixed run, auto wall / fixed wall)."""
    rows = []
    for engine in sorted({r.cfg.engine for r in g.results if r.cfg.tool == "s3up"}):
        mine = [r for r in g.results if r.cfg.tool == "s3up" and r.cfg.engine == engine and r.ok]
        autos = [r for r in mine if r.cfg.concurrency == "auto"]
        fixed = [r for r in mine if r.cfg.conc_num is not None]
        if autos and fixed:
            a = min(autos, key=lambda r: r.wall)
            f = min(fixed, key=lambda r: r.wall)
            rows.append((engine, a, f, a.wall / f.wall if f.wall else float("inf")))
    return rows


def auto_section(groups: list[Group]) -> list[str]:
    """`--concurrency auto` against the best fixed --concurrency of the same engine."""
    lines = []
    for g in groups:
        for engine, a, f, ratio in auto_rows(g):
            lines.append(f"| {g.ds.name} | {g.transport} | {engine} | t{a.cfg.threads}: {_f(a.wall)} | "
                         f"t{f.cfg.threads} c{f.cfg.concurrency}: {_f(f.wall)} | {_f(ratio)} | "
                         f"{'yes' if ratio <= 1.10 else '**no**'} |")
    if not lines:
        return []
    return ["## `--concurrency auto` against the best fixed setting\n",
            "Per engine: the best wall time (median) with `--concurrency auto` over the thread "
            "counts tried, against the best of the fixed `--concurrency` values; the target is "
            "a ratio of at most 1.10.\n",
            "| dataset | sink | engine | auto wall s | best fixed wall s | auto / fixed | within 10% |",
            "|---|---|---|---:|---:|---:|---|", *lines, ""]


def _gnuplot(script: str, name: str) -> bool:
    d = work_dir() / "plots"
    d.mkdir(exist_ok=True)
    sp = d / (name + ".gp")
    sp.write_text(script)
    r = subprocess.run(["gnuplot", str(sp)], capture_output=True, text=True)
    if r.returncode != 0:
        log(f"gnuplot failed for {name}: {r.stderr.strip()[:300]}")
        return False
    return True


def _terminal() -> str:
    r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" if "pngcairo" in (r.stdout + r.stderr) else "png"


def write_plots(outdir: Path, groups: list[Group]) -> list[str]:
    made: list[str] = []
    term = _terminal()
    data_dir = work_dir() / "plots"
    data_dir.mkdir(exist_ok=True)
    # 1. throughput against concurrency, one line per engine and thread count.
    for g in groups:
        s3 = [r for r in g.results if r.cfg.tool == "s3up" and r.ok and r.cfg.conc_num]
        if not s3:
            continue
        series = sorted({(r.cfg.engine, r.cfg.threads) for r in s3})
        concs = sorted({r.cfg.conc_num for r in s3})
        dat = data_dir / f"conc-{g.ds.name}-{g.transport}.dat"
        with open(dat, "w") as f:
            f.write("# concurrency " + " ".join(f"{e}-t{t}" for e, t in series) + "\n")
            for c in concs:
                row = [str(c)]
                for e, t in series:
                    hit = [r for r in s3 if r.cfg.conc_num == c and (r.cfg.engine, r.cfg.threads) == (e, t)]
                    row.append(_f(g.metric(hit[0]), 2) if hit else "-")
                f.write(" ".join(row) + "\n")
        unit = "files/s" if METRIC[g.ds.name] == "files_per_s" else "MB/s"
        refs = []
        for ref, title, color in ((g.best_peer, "best peer", "#27ae60"), (g.curl, "curl (ceiling)", "#7f7f7f")):
            if ref:
                refs.append(f"{g.metric(ref):.2f} with lines dt 3 lw 2 lc rgb '{color}' "
                            f"title '{title}: {_label(ref)}'")
        name = f"concurrency-{g.ds.name}-{g.transport}"
        colors = {"async": "#1f5fbf", "threaded": "#c0392b", "default": "#1f5fbf"}
        plots = [f"'{dat}' using 1:{i + 2} with linespoints lw 2 pt {7 if t == 1 else 5} "
                 f"dt {1 if t == 1 else 2} lc rgb '{colors.get(e, '#333333')}' title '"
                 f"{'s3up' if e == 'default' else e} --threads {t}'" for i, (e, t) in enumerate(series)]
        script = f"""set terminal {term} noenhanced size 900,560 font ',10'
set output '{outdir / (name + '.png')}'
set datafile missing '-'
set title 's3up {g.ds.name} ({g.ds.count:,} files, {human_bytes(g.ds.total_bytes)}) over {g.transport}: {unit} against --concurrency'
set logscale x 2
set xlabel '--concurrency (log scale)'
set ylabel '{unit} (median)'
set yrange [0:*]
set grid
set key outside bottom center horizontal
plot {', '.join(plots + refs)}
"""
        if _gnuplot(script, name):
            made.append(name + ".png")
    # 2. bars: s3up's best against each peer's best, per dataset, one cluster per transport.
    tools = ["s3up"] + PEERS
    by_ds: dict[str, list[Group]] = {}
    for g in groups:
        by_ds.setdefault(g.ds.name, []).append(g)
    for ds_name, gs in by_ds.items():
        gs = [g for g in gs if any(g.best_of(t) for t in tools)]
        present = [t for t in tools if any(g.best_of(t) for g in gs)]
        if not present:
            continue
        dat = data_dir / f"bars-{ds_name}.dat"
        with open(dat, "w") as f:
            f.write("transport " + " ".join(present) + "\n")
            for g in gs:
                f.write(g.transport + " " + " ".join(
                    _f(g.metric(g.best_of(t)), 2) if g.best_of(t) else "-" for t in present) + "\n")
        unit = "files/s" if METRIC[ds_name] == "files_per_s" else "MB/s"
        name = f"bars-{ds_name}"
        first = f"'{dat}' using 2:xtic(1) title '{present[0]}'"
        rest = [f"'' using {i + 2} title '{t}'" for i, t in enumerate(present) if i > 0]
        script = f"""set terminal {term} noenhanced size 900,520 font ',10'
set output '{outdir / (name + '.png')}'
set datafile missing '-'
set title '{ds_name} ({gs[0].ds.count:,} files, {human_bytes(gs[0].ds.total_bytes)}): best setting of each client, {unit} (higher is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key autotitle columnhead outside right top
set ylabel '{unit} (median)'
set yrange [0:*]
set grid ytics
plot {', '.join([first] + rest)}
"""
        if _gnuplot(script, name):
            made.append(name + ".png")
    return made
