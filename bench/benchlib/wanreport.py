"""The WAN benchmark's outputs: results.md (summary against the bounds and the issue's targets,
every configuration, the proxy's own figures), results.json (everything, every repetition with
the proxy's report), results.csv, and gnuplot PNGs."""
from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import statistics
from pathlib import Path

from .clients import PEERS, multipart_layout
from .common import human_bytes, log, work_dir
from .datasets import BIG, METRIC, ORDER, Dataset
from .network import PROFILES
from .report import _f, _gnuplot, _rate, _terminal
from .runner import Result


def _multipart(ds: Dataset, transport: str, quick: bool) -> tuple[int, int] | None:
    if not transport.startswith("ts-"):
        return None
    lay = multipart_layout(ds, quick)
    return lay or (64 << 20, 16 << 20)


def requests_of(ds: Dataset, transport: str, quick: bool) -> tuple[int, int]:
    """(requests that carry data, sequential extra round trips): single PUTs, or per file
    parts plus CreateMultipartUpload and CompleteMultipartUpload (2 round trips in sequence)."""
    lay = _multipart(ds, transport, quick)
    if lay is None:
        return ds.count, 0
    th, ps = lay
    n, extra = 0, 0
    for size in ds.files.values():
        if size > th:
            n += max(1, math.ceil(size / ps))
            extra = 2
        else:
            n += 1
    return n, extra


@dataclasses.dataclass
class Row:
    r: Result
    net: str
    inflight: float | None      # requests in flight this setting allows (auto: as reported)
    lat_bound: float | None     # seconds
    link_bound: float | None
    label: str

    @property
    def bound(self) -> float | None:
        b = [x for x in (self.lat_bound, self.link_bound) if x]
        return max(b) if b else None

    @property
    def bound_kind(self) -> str:
        if not self.bound:
            return ""
        return "latency" if self.bound == self.lat_bound else "link"

    @property
    def fraction(self) -> float | None:
        return self.bound / self.r.wall if (self.bound and self.r.wall) else None

    @property
    def wire_bytes(self) -> float | None:
        """Bytes the proxy carried towards the sink (median of the repetitions): file data plus
        request lines, headers, TLS framing and anything re-sent."""
        vals = [rep.net["bytes_up"] for rep in self.r.ok_reps if rep.net and rep.net.get("bytes_up")]
        return statistics.median(vals) if vals else None

    @property
    def link_use(self) -> float | None:
        """The share of the link's capacity over the run's wall time that its bytes on the wire
        took (1.0: the link was full from the first byte to the last reply)."""
        rate = PROFILES[self.net].rate_bits
        if not (rate and self.wire_bytes and self.r.wall):
            return None
        return self.wire_bytes * 8 / rate / self.r.wall

    @property
    def sink_cpu(self) -> float | None:
        vals = [rep.sink_cpu for rep in self.r.ok_reps if rep.sink_cpu is not None]
        return statistics.median(vals) if vals else None

    @property
    def proxy_cpu(self) -> float | None:
        """The proxy's CPU seconds (median of the repetitions it reported)."""
        vals = [rep.net.get("cpu_s", 0) for rep in self.r.ok_reps if rep.net]
        return statistics.median(vals) if vals else None

    @property
    def busy(self) -> float | None:
        """How busy the machine's cores were over the run: the client's, the proxy's and the
        sink's CPU over cores × wall time (medians). Near 100%: the machine bound the run, not
        the network."""
        if self.sink_cpu is None or self.r.cpu is None or not self.r.wall:
            return None
        total = self.r.cpu + (self.proxy_cpu or 0) + self.sink_cpu
        return total / ((os.cpu_count() or 1) * self.r.wall)

    def proxy(self, key: str, sub: str | None = None) -> float | None:
        vals = []
        for rep in self.r.ok_reps:
            if rep.net:
                v = rep.net.get(key) if sub is None else rep.net.get(key, {}).get(sub)
                if v is not None:
                    vals.append(v)
        return max(vals) if vals else None


def label(r: Result) -> str:
    c = r.cfg
    if c.tool == "s3up":
        t = f" t{c.threads}" if c.threads else ""
        return f"s3up {c.engine}{t} c{c.concurrency}"
    return f"{c.tool} {c.concurrency or 'default'}"


def make_row(r: Result, ds: Dataset, transport: str, quick: bool) -> Row:
    prof = PROFILES[r.cfg.network]
    nreq, extra = requests_of(ds, transport, quick)
    inflight = None
    if r.cfg.concurrency.isdigit():
        inflight = int(r.cfg.concurrency)
    elif r.cfg.concurrency == "auto":
        ends = [rep.s3up.get("concurrency") for rep in r.ok_reps if rep.s3up and rep.s3up.get("concurrency")]
        inflight = statistics.median(ends) if ends else None
    lat = link = None
    if inflight:
        inflight = min(inflight, nreq)
        if prof.rtt:
            lat = (nreq / inflight + extra) * prof.rtt
    if prof.rate_bits:
        link = ds.total_bytes * 8 / prof.rate_bits
    return Row(r, r.cfg.network, inflight, lat, link, label(r))


class Group:
    def __init__(self, net: str, ds: Dataset, transport: str, results: list[Result], quick: bool):
        self.net, self.ds, self.transport = net, ds, transport
        self.rows = [make_row(r, ds, transport, quick) for r in results]
        self.quick = quick

    @property
    def unit(self) -> str:
        return "files/s" if METRIC[self.ds.name] == "files_per_s" else "MB/s"

    def metric(self, r: Result) -> float | None:
        if not r.wall:
            return None
        if METRIC[self.ds.name] == "files_per_s":
            return self.ds.count / r.wall
        return self.ds.total_bytes / 1e6 / r.wall

    def ok(self, pred) -> list[Row]:
        return [x for x in self.rows if x.r.ok and pred(x.r.cfg)]

    def find(self, tool: str, conc: str | None = None, engine: str | None = None) -> Row | None:
        xs = self.ok(lambda c: c.tool == tool and (conc is None or c.concurrency == conc)
                     and (engine is None or c.engine == engine))
        return min(xs, key=lambda x: x.r.wall) if xs else None

    def c64(self) -> Row | None:
        """--concurrency 64 (async): the default until auto became it."""
        return self.find("s3up", "64", "async")

    def best_fixed(self, engine: str | None = None) -> Row | None:
        xs = self.ok(lambda c: c.tool == "s3up" and c.concurrency.isdigit()
                     and (engine is None or c.engine == engine))
        return min(xs, key=lambda x: x.r.wall) if xs else None

    def auto(self, engine: str = "async") -> Row | None:
        return self.find("s3up", "auto", engine)

    def rclone(self) -> Row | None:
        return self.find("rclone", "64") or self.find("rclone")

    def curl(self, conc: str = "64") -> Row | None:
        return self.find("curl", conc)

    def best_peer(self) -> Row | None:
        xs = self.ok(lambda c: c.tool in ("seed_threads", "aws-cli", "rclone"))
        return min(xs, key=lambda x: x.r.wall) if xs else None


def _ratio(ref: Row | None, x: Row | None) -> float | None:
    """ref's wall / x's wall: above 1, x is faster."""
    if ref is None or x is None or not x.r.wall or not ref.r.wall:
        return None
    return ref.r.wall / x.r.wall


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x * 100:.0f}%"


def _cell(g: Group, x: Row | None, with_setting: bool = False) -> str:
    if x is None:
        return "–"
    s = f"{_f(x.r.wall)} s"
    if with_setting:
        s = f"{x.label.split(' ', 1)[1]}: " + s
    return s


def build_groups(ds_objs: dict[str, Dataset], transports: dict[str, list[str]], nets: list[str],
                 results: list[Result], quick: bool) -> list[Group]:
    groups = []
    for name in ORDER:
        if name not in ds_objs:
            continue
        for net in nets:
            for t in transports[name]:
                rs = [r for r in results if r.cfg.dataset == name and r.cfg.transport == t
                      and r.cfg.network == net]
                if rs:
                    rs.sort(key=lambda r: (["s3up"] + PEERS).index(r.cfg.tool) * 10**7
                            + (0 if r.cfg.engine in ("async", "") else 10**6)
                            + (int(r.cfg.concurrency) if r.cfg.concurrency.isdigit() else 10**5))
                    groups.append(Group(net, ds_objs[name], t, rs, quick))
    return groups


def summary_table(groups: list[Group]) -> list[str]:
    out = ["| network | dataset | sink | s3up c64 (async) | s3up default: auto (async) [end/peak] | best fixed | "
           "rclone 64 | aws-cli 64 | seed 64 | curl 64 | curl 256 | default × rclone | "
           "auto × c64 | auto / best fixed | c64: % of bound | best fixed: % of bound | "
           "curl 64: % of bound |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for g in groups:
        d, a, b = g.c64(), g.auto(), g.best_fixed()
        rc, c64, c256 = g.rclone(), g.curl("64"), g.curl("256")
        aws, seed = g.find("aws-cli"), g.find("seed_threads")
        auto_txt = "–"
        if a is not None:
            ends = [rep.s3up for rep in a.r.ok_reps if rep.s3up]
            e = statistics.median([x.get("concurrency") or 0 for x in ends]) if ends else None
            pk = statistics.median([x.get("concurrency_peak") or 0 for x in ends]) if ends else None
            auto_txt = f"{_f(a.r.wall)} s [{e:.0f}/{pk:.0f}]" if ends else f"{_f(a.r.wall)} s"
        best_txt = _cell(g, b, True) if b is not None else "–"
        out.append(f"| {g.net} | {g.ds.name} | {g.transport} | {_cell(g, d)} | {auto_txt} | {best_txt} | "
                   f"{_cell(g, rc)} | {_cell(g, aws)} | {_cell(g, seed)} | {_cell(g, c64)} | {_cell(g, c256)} | "
                   f"{_f(_ratio(rc, a))} | {_f(_ratio(d, a))} | {_f(a.r.wall / b.r.wall if a and b else None)} | "
                   f"{_pct(d.fraction if d else None)} | {_pct(b.fraction if b else None)} | "
                   f"{_pct(c64.fraction if c64 else None)} |")
    return out


def targets(groups: list[Group]) -> list[str]:
    """The issue's targets, where this run has the figures."""
    lines = []
    for g in groups:
        if g.net not in ("wan20", "wan80") and not (g.ds.name in BIG and PROFILES[g.net].rate_bits):
            continue
        d, a, b, rc = g.c64(), g.auto(), g.best_fixed(), g.rclone()
        where = f"{g.net} {g.ds.name} {g.transport}"
        if g.ds.name not in BIG:
            if a and rc:
                v = _ratio(rc, a)
                lines.append(f"| {where} | s3up defaults (auto) ≥ 3× rclone 64 | {_f(v)}× | {'yes' if v >= 3 else '**no**'} |")
            if d and rc:
                v = _ratio(rc, d)
                lines.append(f"| {where} | (s3up c64, the old default, × rclone 64) | {_f(v)}× | |")
            if a and d:
                v = _ratio(d, a)
                lines.append(f"| {where} | auto ≥ 2× c64 | {_f(v)}× | {'yes' if v >= 2 else '**no**'} |")
            if a and b:
                v = a.r.wall / b.r.wall
                lines.append(f"| {where} | auto within 20% of best fixed ({b.label.split(' ', 1)[1]}) | "
                             f"auto takes {_f(v)}× its time | {'yes' if v <= 1.2 else '**no**'} |")
            for name, x in (("c64", d), ("best fixed", b), ("auto (at its end limit)", a)):
                if x and x.fraction is not None:
                    lines.append(f"| {where} | {name} ≥ 80% of the {x.bound_kind} bound "
                                 f"({_f(x.bound)} s at {x.inflight:.0f} in flight) | {_pct(x.fraction)} | "
                                 f"{'yes' if x.fraction >= 0.8 else '**no**'} |")
                    if x.fraction < 0.8 and x.busy is not None:
                        lines.append(f"| {where} | ({name}: the cores' busy share over its wall "
                                     f"time: s3up's, the proxy's and the sink's CPU) | "
                                     f"{_pct(x.busy)} | |")
                    if x.bound_kind == "link" and x.link_use is not None:
                        lines.append(f"| {where} | ({name}: its bytes on the wire, "
                                     f"{x.wire_bytes / 1e6:.1f} MB with headers and TLS, took "
                                     f"this share of the link over its wall time) | "
                                     f"{_pct(x.link_use)} | |")
        else:
            if not PROFILES[g.net].rate_bits:
                continue
            for name, x in (("c64", d), ("auto (default)", a), ("best fixed", b)):
                if x and x.fraction is not None:
                    kind = "multipart" if g.transport.startswith("ts-") else "single PUT"
                    lines.append(f"| {where} | {kind}, {name} ≥ 90% of the link rate "
                                 f"({_f(x.link_bound)} s) | {_pct(x.link_bound / x.r.wall)} | "
                                 f"{'yes' if x.link_bound / x.r.wall >= 0.9 else '**no**'} |")
            c = g.curl("64")
            if c and c.link_bound:
                lines.append(f"| {where} | (curl 64, for reference) | {_pct(c.link_bound / c.r.wall)} | |")
    if not lines:
        return []
    return ["## The issue's targets\n",
            "Medians of this run. `×` is a ratio of wall times (above 1: faster). The bound of a "
            "run is the larger of its latency bound (requests × RTT / requests in flight, plus "
            "2 RTT for the create and complete of multipart uploads) and its link bound (bytes × "
            "8 / link rate). The link bound counts the files' bytes only; where it binds, the "
            "share of the link the run's bytes on the wire took (as the proxy counted them: "
            "request lines, headers, TLS framing, anything re-sent) is shown below it.\n",
            "| where | target | figure | met |", "|---|---|---:|---|", *lines, ""]


def proxy_section(groups: list[Group], info: dict) -> list[str]:
    out = ["## The proxy: was it the bottleneck?\n",
           f"The proxy ran as `{info.get('proxy_python')}` (`{info.get('proxy_loop')}`), "
           f"scheduling {info.get('proxy_priority')}. For each run it reports how late it released each delayed chunk against "
           "its due time, and its own CPU time. Per network: the largest over the runs of the p99 "
           "and the maximum lateness, and of the proxy's CPU share (CPU s / wall s of the run); "
           "the runs where its p99 lateness exceeded 10% of the RTT (or 2 ms) or its CPU share 70% "
           "are listed: their wall time may be the proxy's, not the network's.\n",
           "| network | runs | lateness p50 (median of runs) ms | p99 max ms | max ms | proxy CPU share max | suspect runs |",
           "|---|---:|---:|---:|---:|---:|---|"]
    by_net: dict[str, list[tuple[Group, Row]]] = {}
    for g in groups:
        for x in g.rows:
            if x.r.ok and any(rep.net for rep in x.r.ok_reps):
                by_net.setdefault(g.net, []).append((g, x))
    for net, rows in by_net.items():
        prof = PROFILES[net]
        p50s, p99, mx, share = [], 0.0, 0.0, 0.0
        suspects = []
        for g, x in rows:
            for rep in x.r.ok_reps:
                n = rep.net or {}
                lat = n.get("lateness", {})
                p50s.append(lat.get("p50_ms", 0))
                p99 = max(p99, lat.get("p99_ms", 0))
                mx = max(mx, lat.get("max_ms", 0))
                sh = n.get("cpu_s", 0) / rep.wall if rep.wall else 0
                share = max(share, sh)
            worst = max(((rep.net or {}).get("lateness", {}).get("p99_ms", 0) for rep in x.r.ok_reps), default=0)
            sh = max(((rep.net or {}).get("cpu_s", 0) / rep.wall for rep in x.r.ok_reps if rep.wall), default=0)
            if worst > max(2.0, prof.rtt * 1e3 * 0.1) or sh > 0.7:
                suspects.append(f"{g.ds.name}/{g.transport} {x.label} (p99 {worst:.1f} ms, CPU {sh * 100:.0f}%)")
        out.append(f"| {net} | {len(rows)} | {_f(statistics.median(p50s) if p50s else None)} | {_f(p99)} | "
                   f"{_f(mx)} | {share * 100:.0f}% | {'; '.join(suspects) or 'none'} |")
    out.append("")
    return out


def group_table(g: Group) -> list[str]:
    prof = PROFILES[g.net]
    rc, c64 = g.rclone(), g.curl("64")
    out = [f"### {g.net} ({prof.describe()}) — {g.ds.name} — {g.transport}\n",
           f"| client | status | wall s [min–max] | {g.unit} | in flight | latency bound s | link bound s | "
           f"% of bound | link use | × rclone 64 | × curl 64 | CPU s | RSS MiB | proxy CPU s | sink CPU s | cores busy | proxy late p99 / max ms | "
           "connections | load |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for x in g.rows:
        r = x.r
        if not r.ok:
            why = (r.skipped or r.failure).replace("|", "/")[:160]
            out.append(f"| {x.label} | **{r.status}** {why} | | | | | | | | | | | | | | | | | |")
            continue
        walls = [rep.wall for rep in r.ok_reps]
        conns = x.proxy("connections")
        late99, latmx = x.proxy("lateness", "p99_ms"), x.proxy("lateness", "max_ms")
        loads = [rep.load for rep in r.ok_reps]
        inflight = "" if x.inflight is None else f"{x.inflight:.0f}"
        if r.cfg.concurrency == "auto" and x.inflight is not None:
            inflight += " (auto end)"
        out.append(f"| {x.label} | OK | {_f(r.wall)} [{_f(min(walls))}–{_f(max(walls))}] | "
                   f"{_rate(g.metric(r))} | {inflight} | {_f(x.lat_bound)} | {_f(x.link_bound)} | "
                   f"{_pct(x.fraction)} | {_pct(x.link_use)} | {_f(_ratio(rc, x))} | {_f(_ratio(c64, x))} | {_f(r.cpu)} | "
                   f"{_f(r.rss_mib, 0)} | {_f(x.proxy_cpu)} | {_f(x.sink_cpu)} | {_pct(x.busy)} | "
                   f"{'' if late99 is None else f'{late99:.1f} / {latmx:.0f}'} | "
                   f"{'' if conns is None else f'{conns:.0f}'} | {max(loads):.1f} |")
    out.append("")
    return out


def write_md(path: Path, groups: list[Group], ds_objs: dict[str, Dataset], info: dict,
             notes: list[str], plots: list[str]) -> None:
    m = info["machine"]
    out = [f"# s3up WAN benchmark{' (quick)' if info['quick'] else ''}\n",
           f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['kernel']}; "
           f"load average at start {m['load']}",
           f"- Date: {m['date']}; duration {info['duration']:.0f} s",
           f"- Command: `{info['command']}`",
           f"- s3up: {info['s3up']}",
           "- Peers: " + "; ".join(f"{k}: {v}" for k, v in info["peer_versions"].items()),
           f"- Sinks: {info['sinks']}",
           f"- Networks: " + "; ".join(f"`{n}`: {PROFILES[n].describe()}" for n in info["networks"]),
           f"- Repetitions: {info['reps']} per configuration, interleaved (all configurations of all "
           "networks once, then again); figures are medians; peak RSS is the largest.",
           "", "| dataset | files | bytes | what |", "|---|---:|---:|---|"]
    for n in ORDER:
        if n in ds_objs:
            d = ds_objs[n]
            out.append(f"| {n} | {d.count:,} | {d.total_bytes:,} ({human_bytes(d.total_bytes)}) | {d.description} |")
    out.append("")
    if notes:
        out += ["## Notes\n", *[f"- {n}" for n in notes], ""]
    out += ["## Summary\n",
            "Wall time medians. `auto [end/peak]`: `--concurrency auto`, with the limit it ended "
            "at and its peak (s3up's --json report). `best fixed`: the fastest fixed --concurrency "
            "of either engine. `default × rclone` = rclone's wall / s3up's default's (auto); `auto × "
            "c64` = c64's wall / auto's; `auto / best fixed` = auto's wall / best fixed's. "
            "`% of bound` = the run's bound / its wall time (see the targets section).\n",
            *summary_table(groups), ""]
    out += targets(groups)
    out += proxy_section(groups, info)
    out += ["## Every configuration\n",
            "`in flight`: requests in flight the setting allows, capped by the requests there are "
            "(auto: the limit it ended at). `connections`: TCP connections the proxy saw (largest "
            "over the repetitions). `load`: the 1-minute load average when the run started "
            "(largest over the repetitions; 2 cores).\n"]
    for g in groups:
        out += group_table(g)
    if plots:
        out += ["## Plots\n", *[f"![{p}]({p})" for p in plots], ""]
    path.write_text("\n".join(out))


def write_json(path: Path, groups: list[Group], ds_objs, info: dict, notes: list[str]) -> None:
    doc = {"info": info, "notes": notes,
           "datasets": {n: {"files": d.count, "bytes": d.total_bytes, "what": d.description}
                        for n, d in ds_objs.items()},
           "networks": {n: dataclasses.asdict(PROFILES[n]) for n in info["networks"]},
           "results": []}
    for g in groups:
        for x in g.rows:
            r = x.r
            doc["results"].append({
                "network": g.net, "dataset": g.ds.name, "transport": g.transport,
                "tool": r.cfg.tool, "engine": r.cfg.engine, "threads": r.cfg.threads,
                "concurrency": r.cfg.concurrency, "label": x.label, "status": r.status,
                "skipped": r.skipped, "failure": r.failure, "command": r.command,
                "wall_median_s": r.wall, "cpu_median_s": r.cpu, "peak_rss_mib": r.rss_mib,
                "in_flight": x.inflight, "latency_bound_s": x.lat_bound, "link_bound_s": x.link_bound,
                "fraction_of_bound": x.fraction,
                "reps": [dataclasses.asdict(rep) for rep in r.reps]})
    path.write_text(json.dumps(doc, indent=1))


CSV_FIELDS = ["network", "dataset", "transport", "label", "tool", "engine", "concurrency", "status",
              "wall_median_s", "wall_min_s", "wall_max_s", "files_per_s", "mb_per_s", "in_flight",
              "latency_bound_s", "link_bound_s", "fraction_of_bound", "x_rclone64", "x_curl64",
              "cpu_median_s", "peak_rss_mib", "proxy_cpu_median_s", "proxy_late_p99_max_ms",
              "proxy_late_max_ms", "command"]


def write_csv(path: Path, groups: list[Group]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, CSV_FIELDS)
        w.writeheader()
        for g in groups:
            rc, c64 = g.rclone(), g.curl("64")
            for x in g.rows:
                r = x.r
                walls = [rep.wall for rep in r.ok_reps]
                nets = [rep.net for rep in r.ok_reps if rep.net]
                w.writerow({
                    "network": g.net, "dataset": g.ds.name, "transport": g.transport,
                    "label": x.label, "tool": r.cfg.tool, "engine": r.cfg.engine,
                    "concurrency": r.cfg.concurrency, "status": r.status,
                    "wall_median_s": _f(r.wall, 3), "wall_min_s": _f(min(walls), 3) if r.ok else "",
                    "wall_max_s": _f(max(walls), 3) if r.ok else "",
                    "files_per_s": _f(g.ds.count / r.wall, 1) if r.wall else "",
                    "mb_per_s": _f(g.ds.total_bytes / 1e6 / r.wall, 2) if r.wall else "",
                    "in_flight": "" if x.inflight is None else f"{x.inflight:g}",
                    "latency_bound_s": _f(x.lat_bound, 3), "link_bound_s": _f(x.link_bound, 3),
                    "fraction_of_bound": _f(x.fraction, 3) if r.ok else "",
                    "x_rclone64": _f(_ratio(rc, x), 2) if r.ok else "",
                    "x_curl64": _f(_ratio(c64, x), 2) if r.ok else "",
                    "cpu_median_s": _f(r.cpu, 2), "peak_rss_mib": _f(r.rss_mib, 1),
                    "proxy_cpu_median_s": _f(statistics.median([n.get("cpu_s", 0) for n in nets]), 2) if nets else "",
                    "proxy_late_p99_max_ms": _f(max(n["lateness"]["p99_ms"] for n in nets), 2) if nets else "",
                    "proxy_late_max_ms": _f(max(n["lateness"]["max_ms"] for n in nets), 1) if nets else "",
                    "command": " ".join(r.command)})


def write_plots(outdir: Path, groups: list[Group]) -> list[str]:
    made = []
    d = work_dir() / "plots"
    d.mkdir(exist_ok=True)
    # 1. throughput against --concurrency, one line per network and engine, per dataset/sink.
    keys = sorted({(g.ds.name, g.transport) for g in groups}, key=lambda k: (ORDER.index(k[0]), k[1]))
    colors = {"lan": "#444444", "proxy0": "#888888", "wan20": "#1f5fbf", "wan80": "#c0392b",
              "wan150": "#27ae60"}
    for ds_name, t in keys:
        gs = [g for g in groups if g.ds.name == ds_name and g.transport == t]
        series = []
        for g in gs:
            for eng in ("async", "threaded"):
                xs = sorted(g.ok(lambda c: c.tool == "s3up" and c.engine == eng and c.concurrency.isdigit()),
                            key=lambda x: int(x.r.cfg.concurrency))
                if len(xs) < 2:
                    continue
                dat = d / f"wan-conc-{ds_name}-{t}-{g.net}-{eng}.dat"
                dat.write_text("".join(f"{x.r.cfg.concurrency} {g.metric(x.r):.3f}\n" for x in xs))
                series.append(f"'{dat}' using 1:2 with linespoints lw 2 pt {7 if eng == 'async' else 5} "
                              f"dt {1 if eng == 'async' else 2} lc rgb '{colors.get(g.net, '#333')}' "
                              f"title '{g.net} {eng}'")
                a = g.auto(eng)
                if a and a.inflight:
                    adat = d / f"wan-auto-{ds_name}-{t}-{g.net}-{eng}.dat"
                    adat.write_text(f"{a.inflight:g} {g.metric(a.r):.3f}\n")
                    series.append(f"'{adat}' using 1:2 with points pt {6 if eng == 'async' else 4} ps 2.5 "
                                  f"lc rgb '{colors.get(g.net, '#333')}' title '{g.net} {eng} auto (x: end limit)'")
            for tool, conc, pt in (("rclone", "64", 9), ("curl", "64", 13), ("curl", "256", 13)):
                x = g.find(tool, conc)
                if x:
                    pdat = d / f"wan-peer-{ds_name}-{t}-{g.net}-{tool}{conc}.dat"
                    pdat.write_text(f"{conc} {g.metric(x.r):.3f}\n")
                    series.append(f"'{pdat}' using 1:2 with points pt {pt} ps 1.8 "
                                  f"lc rgb '{colors.get(g.net, '#333')}' title '{g.net} {tool} {conc}'")
        unit = gs[0].unit
        _draw(made, outdir, f"wan-concurrency-{ds_name}-{t}", "1000,620", series,
              title=f"{ds_name} over {t}: {unit} against requests in flight, per network profile",
              xlabel="requests in flight (--concurrency, --transfers, --parallel-max; log scale)",
              ylabel=f"{unit} (median)", extra="set logscale x 2\n")
    # 2. connections in use over time (the proxy's timeline), auto against fixed 64, first rep.
    for ds_name, t in keys:
        gs = [g for g in groups if g.ds.name == ds_name and g.transport == t and PROFILES[g.net].proxied]
        series = []
        for g in gs:
            for conc, dt in (("auto", 1), ("64", 3)):
                x = g.find("s3up", conc, "async")
                if not x:
                    continue
                rep = next((rp for rp in x.r.ok_reps if rp.net and rp.net.get("timeline")), None)
                if rep is None:
                    continue
                dat = d / f"wan-timeline-{ds_name}-{t}-{g.net}-{conc}.dat"
                dat.write_text("".join(f"{s[0]} {s[1]}\n" for s in rep.net["timeline"]))
                series.append(f"'{dat}' using 1:2 with lines lw 2 dt {dt} lc rgb '{colors.get(g.net, '#333')}' "
                              f"title '{g.net} async c{conc}'")
        _draw(made, outdir, f"wan-timeline-{ds_name}-{t}", "1000,560", series,
              title=f"{ds_name} over {t}: connections sending requests per interval "
                    "(max(100 ms, RTT)), seen by the proxy",
              xlabel="seconds since the start of the run", ylabel="connections carrying requests")
    # 3. auto's limit over time (s3up's report: concurrency_history), per profile and engine, from
    # the repetition with the median wall time.
    for ds_name, t in keys:
        gs = [g for g in groups if g.ds.name == ds_name and g.transport == t]
        series = []
        for g in gs:
            for eng in ("async", "threaded"):
                a = g.auto(eng)
                reps = sorted((rp for rp in a.r.ok_reps if rp.s3up and rp.s3up.get("concurrency_history")),
                              key=lambda rp: rp.wall) if a else []
                if not reps:
                    continue
                rep = reps[len(reps) // 2]
                dat = d / f"wan-limit-{ds_name}-{t}-{g.net}-{eng}.dat"
                dat.write_text("".join(f"{s} {n}\n" for s, n in rep.s3up["concurrency_history"]))
                series.append(f"'{dat}' using 1:2 with steps lw 2 dt {1 if eng == 'async' else 2} "
                              f"lc rgb '{colors.get(g.net, '#333')}' title '{g.net} {eng} ({rep.wall:.2f} s)'")
        _draw(made, outdir, f"wan-limit-{ds_name}-{t}", "1000,560", series,
              title=f"{ds_name} over {t}: --concurrency auto's limit over the run "
                    "(s3up's report, the median repetition)",
              xlabel="seconds since the start of the run", ylabel="requests in flight allowed",
              extra="set logscale y 2\nset yrange [1:2048]\n")
    return made


def _draw(made: list[str], outdir: Path, name: str, size: str, series: list[str], **labels) -> None:
    """_plot's name.png, added to `made` when drawn; nothing when there is no series."""
    if series and _plot(outdir, name, size, series, **labels):
        made.append(name + ".png")


def _plot(outdir: Path, name: str, size: str, series: list[str], title: str, xlabel: str,
          ylabel: str, extra: str = "") -> bool:
    """Draws `series` (gnuplot plot clauses) into outdir/name.png; False when gnuplot failed."""
    def q(text: str) -> str:  # a gnuplot single-quoted string: ' is written ''
        return text.replace("'", "''")
    png = outdir / (name + ".png")
    script = f"""set terminal {_terminal()} noenhanced size {size} font ',10'
set output '{png}'
set title '{q(title)}'
set xlabel '{q(xlabel)}'
set ylabel '{q(ylabel)}'
set yrange [0:*]
{extra}set grid
set key outside right top
plot {', '.join(series)}
"""
    if _gnuplot(script, name):
        return True
    png.unlink(missing_ok=True)  # set output made it before the failure: no empty image left
    return False


def write_all(outdir: Path, ds_objs, transports, nets, results, info, notes) -> None:
    groups = build_groups(ds_objs, transports, nets, results, info["quick"])
    for old in outdir.glob("wan-*.png"):
        old.unlink()
    plots = write_plots(outdir, groups)
    write_md(outdir / "results.md", groups, ds_objs, info, notes, plots)
    write_json(outdir / "results.json", groups, ds_objs, info, notes)
    write_csv(outdir / "results.csv", groups)
    log(f"wrote {outdir}/results.md, results.json, results.csv and {len(plots)} plots")
    for g in groups:
        d, a, b, rc, c = g.c64(), g.auto(), g.best_fixed(), g.rclone(), g.curl("64")
        parts = [f"{g.net:7} {g.ds.name:6} {g.transport:11}"]
        for nm, x in (("c64", d), ("auto (default)", a), ("best", b), ("rclone64", rc), ("curl64", c)):
            if x:
                parts.append(f"{nm} {x.r.wall:.2f}s" + (f" ({x.fraction * 100:.0f}%)" if x.fraction else ""))
        print("  ".join(parts))
