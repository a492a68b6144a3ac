#!/usr/bin/env python3
"""Writes BENCHMARKS.md and benches/authorize.svg from criterion's output.

Run after `cargo bench --bench authorize --bench parse --bench analysis --bench credentials` (in
the repository root) and
`cargo bench` in benches/peers/. It reads every `new/benchmark.json` and `new/estimates.json`
under target/criterion, and writes no number it did not read.
"""

import functools
import json
import math
import os
import platform
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# One workspace, one target directory: every benchmark's output is under target/criterion.
SOURCES = [os.path.join(ROOT, "target", "criterion")]


def gate_latency():
    """The gate's call-by-call percentiles (`benches/gate.rs`), by cache state; None before a run."""
    path = os.path.join(ROOT, "target", "criterion", "gate-latency.json")
    if not os.path.exists(path):
        return None
    g = json.load(open(path))
    return g if "hashmap" in g.get("hot", {}) else None


def server_runs():
    """The load runs of examples/momento-server/bench.sh: {label: [{field: value}]}."""
    path = os.path.join(ROOT, "target", "bench-server.txt")
    runs = {}
    if os.path.exists(path):
        for line in open(path):
            label, *fields = line.split()
            runs.setdefault(label, []).append({k: float(v) for k, v in (f.split("=") for f in fields)})
    return runs


def paired(runs, a, n, key):
    """Round-by-round differences a - n of `key` (bench.sh alternates the two servers, so round i
    of each ran side by side): their mean and the half-width of its 95% interval (Student's t)."""
    d = [x[key] - y[key] for x, y in zip(runs[a], runs[n])]
    if len(d) < 2:
        return None
    t = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
         10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110,
         18: 2.101, 19: 2.093, 20: 2.086}.get(len(d) - 1, 2.0)
    return statistics.mean(d), t * statistics.stdev(d) / len(d) ** 0.5


def load():
    """{(group, function, value): (median ns, throughput or None)}"""
    out = {}
    for source in SOURCES:
        for dirpath, _, files in os.walk(source):
            if os.path.basename(dirpath) != "new" or "benchmark.json" not in files:
                continue
            bench = json.load(open(os.path.join(dirpath, "benchmark.json")))
            est = json.load(open(os.path.join(dirpath, "estimates.json")))
            key = (bench["group_id"], bench.get("function_id") or "", bench.get("value_str") or "")
            out[key] = (est["median"]["point_estimate"], bench.get("throughput"))
    return out


def fmt_ns(ns):
    if ns is None:
        return "–"
    if ns < 1_000:
        return f"{ns:.1f} ns"
    if ns < 1_000_000:
        return f"{ns / 1_000:.2f} µs"
    return f"{ns / 1_000_000:.2f} ms"


def fmt_ratio(r):
    if r is None:
        return "–"
    return f"{r:,.0f}x" if r >= 10 else f"{r:.1f}x"


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, {rustc}"


@functools.lru_cache(maxsize=None)
def memory_test_lines():
    """The lines the memory test prints (release build), run once for every figure it gives."""
    run = subprocess.run(["cargo", "test", "--release", "--test", "memory", "--", "--nocapture"],
                         cwd=ROOT, capture_output=True, text=True)
    return tuple(run.stdout.splitlines())


def memory_report():
    """(total bytes, name bytes, bytes per grant beyond the names) at 1,000 grants, from the memory test."""
    for line in memory_test_lines():
        if line.startswith("1000 grants:"):
            words = line.replace(",", "").split()
            return int(words[2]), int(words[5]), float(words[9])
    return None


def amplification_report():
    """The memory test's line for the amplification document (release build: full size)."""
    for line in memory_test_lines():
        if line.startswith("8000 rules x 4000 bytes"):
            words = line.replace(",", "").replace("(", "").split()
            compiled, peak = int(words[words.index("names:") + 1]), int(words[words.index("compiling") + 1])
            return f"{compiled / 2**20:.0f} MiB compiled, {peak / 2**20:.0f} MiB peak while compiling (it used to abort)"
    return None


def analysis_memory_report():
    """The memory test's line for the diff of two 100,000-grant documents (release build)."""
    for line in memory_test_lines():
        if line.startswith("diff of two 100000-grant"):
            return "Memory: " + line + "."
    return None


def svg_chart(series, path):
    """A log-log line chart of median ns against grants, one line per engine."""
    width, height, left, right, top, bottom = 720, 420, 70, 150, 20, 50
    xs = sorted({x for points in series.values() for x, _ in points})
    ys = [y for points in series.values() for _, y in points]
    x_lo, x_hi = math.log10(min(xs)), math.log10(max(xs))
    y_lo, y_hi = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    px = lambda x: left + (math.log10(x) - x_lo) / max(x_hi - x_lo, 1e-9) * (width - left - right)
    py = lambda y: top + (y_hi - math.log10(y)) / max(y_hi - y_lo, 1e-9) * (height - top - bottom)
    colors = {"fgac": "#1b7f3b", "reference": "#7a5195", "cedar": "#d45087", "casbin": "#f28e2b"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    for e in range(y_lo, y_hi + 1):
        y = py(10 ** e)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{fmt_ns(10 ** e)}</text>')
    for x in xs:
        parts.append(f'<line x1="{px(x):.1f}" y1="{top}" x2="{px(x):.1f}" y2="{height - bottom}" stroke="#eee"/>')
        parts.append(f'<text x="{px(x):.1f}" y="{height - bottom + 18}" text-anchor="middle">{x:,}</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 10}" text-anchor="middle">grants in the policy (log scale)</text>')
    parts.append(f'<text x="16" y="{(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 {(top + height - bottom) / 2})">median time per authorize (log scale)</text>')
    for i, (name, points) in enumerate(series.items()):
        color = colors.get(name, "#333")
        points = sorted(points)
        d = " ".join(f"{'M' if j == 0 else 'L'}{px(x):.1f},{py(y):.1f}" for j, (x, y) in enumerate(points))
        parts.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in points:
            parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>')
        ly = top + 20 + 20 * i
        parts.append(f'<line x1="{width - right + 15}" y1="{ly}" x2="{width - right + 40}" y2="{ly}" stroke="{color}" stroke-width="2"/>')
        parts.append(f'<text x="{width - right + 46}" y="{ly + 4}">{name}</text>')
    parts.append("</svg>")
    open(path, "w").write("\n".join(parts) + "\n")


def main():
    data = load()
    if not data:
        sys.exit("no criterion results found: run the benchmarks first")
    get = lambda group, fn, value: data.get((group, fn, str(value)), (None, None))[0]
    lines = ["# Benchmarks", "",
             "Generated by `python3 benches/report.py` from criterion's output of the runs below; edit the",
             "benchmarks or re-run them, never this file.", "",
             "## How to run", "",
             "```sh",
             "cargo bench --bench authorize --bench parse --bench analysis --bench credentials   # fgac alone",
             "cargo bench -p fgac-peers                          # beside the reference evaluator, Cedar and casbin",
             "examples/momento-server/bench.sh                   # the server, with and without authorization",
             "cargo bench -p fgac-momento-server --bench gate    # what authorization adds per request",
             "python3 benches/report.py                          # this file and benches/authorize.svg",
             "```", "",
             "The peers live in a crate of their own (`benches/peers/`): cedar-policy and casbin are heavy to",
             "build, and `cargo test` of fgac never builds them. Its test `same_decisions` checks that every",
             "engine gives the same decision on every benchmark request. Every measured call asserts its",
             "decision. Each policy is generated by `tests/common/policy.rs`: one API key whose grants mix",
             "exact keys, key prefixes, whole caches, cache prefixes, topics and deny rules; Cedar gets one",
             "`permit`/`forbid` per grant with attribute conditions and one resource entity per request (built",
             "before timing), casbin one ACL rule per right with `keyMatch` and deny-override.", "",
             f"Machine: {machine()}. Medians; this machine is shared, so expect a few percent of noise.",
             "Each figure is its benchmark's latest run: re-running some benchmarks updates only theirs.", ""]

    sizes = [1, 20, 1000, 10000]
    kinds = ["exact hit", "prefix hit", "miss", "denied"]
    lines += ["## fgac beside its peers", "",
              "| request | grants | fgac | reference (linear scan) | Cedar | casbin | reference / fgac | Cedar / fgac | casbin / fgac |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    ratio = lambda a, b: (a / b) if a and b else None
    for kind in kinds:
        for n in sizes:
            f, r, c, k = (get("peers", f"{e}/{kind}", n) for e in ["fgac", "reference", "cedar", "casbin"])
            if f is None:
                continue
            lines.append(f"| {kind} | {n:,} | {fmt_ns(f)} | {fmt_ns(r)} | {fmt_ns(c)} | {fmt_ns(k)} | {fmt_ratio(ratio(r, f))} | {fmt_ratio(ratio(c, f))} | {fmt_ratio(ratio(k, f))} |")
    lines += ["", "![median ns per authorize against the number of grants](benches/authorize.svg)", ""]

    lines += ["## fgac as policies grow", "",
              "| request | " + " | ".join(f"{n:,} grants" for n in [1, 20, 1000, 10000, 100000]) + " | 100,000 / 20 |",
              "| --- |" + " ---: |" * 6]
    for kind in kinds:
        row = [get("authorize", kind, n) for n in [1, 20, 1000, 10000, 100000]]
        lines.append(f"| {kind} | " + " | ".join(fmt_ns(v) for v in row) + f" | {fmt_ratio(ratio(row[4], row[1])) if row[4] else '–'} |")
    lines += ["", "By item-key length (a hit under a 7-byte key prefix):", "",
              "| grants | 8 bytes | 16 bytes | 64 bytes | 1,024 bytes |", "| --- | ---: | ---: | ---: | ---: |"]
    for n in [20, 100000]:
        lines.append(f"| {n:,} | " + " | ".join(fmt_ns(get("key_length", f"{n} grants", l)) for l in [8, 16, 64, 1024]) + " |")
    ks = get("keystore", "lookup + authorize", 100000)
    lines += ["", f"Document of 100,000 credentials, look a credential up by name and authorize: {fmt_ns(ks)}.", ""]
    lines += ["## Compiling and parsing", "", "| what | size | median | rate |", "| --- | ---: | ---: | ---: |"]
    for n in [1000, 100000]:
        t = get("compile", "grants", n)
        if t:
            lines.append(f"| compile | {n:,} grants | {fmt_ns(t)} | {n / (t / 1e9) / 1e6:.2f} M grants/s |")
    for fn in ["dsl", "dsl + compile", "json"]:
        t, tp = data.get(("parse", fn, ""), (None, None))
        if t and tp and "Bytes" in tp:
            lines.append(f"| parse {fn} | {tp['Bytes'] / 1e6:.2f} MB | {fmt_ns(t)} | {tp['Bytes'] / (t / 1e9) / 2**20:.0f} MiB/s |")

    lines += ["", "The same document with one rule per line and with every rule on one line (parsing is linear",
              "in every shape):", "",
              "| size | one per line | one line | one line / one per line |", "| --- | ---: | ---: | ---: |"]
    shape_ratios = []
    for mib in [1, 4]:
        many, many_tp = data.get(("parse_shape", f"many lines/{mib}MiB", ""), (None, None))
        one, one_tp = data.get(("parse_shape", f"one line/{mib}MiB", ""), (None, None))
        if many and one:
            rate = lambda t, tp: tp["Bytes"] / (t / 1e9) / 2**20
            shape_ratios.append(one / many)
            lines.append(f"| {mib} MiB | {fmt_ns(many)} ({rate(many, many_tp):.0f} MiB/s) | {fmt_ns(one)} ({rate(one, one_tp):.0f} MiB/s) | {one / many:.2f}x |")
    lines += ["", "Compiling nested cache prefixes (`x`, `xx`, ... 1,000 x's) and names every prefix covers, at",
              "about 1 MB and 8 MB of text:", "",
              "| size | grants | median | per grant |", "| --- | ---: | ---: | ---: |"]
    nested = {}
    for mb in [1, 8]:
        t, tp = data.get(("compile_nested_prefixes", f"{mb}MB", ""), (None, None))
        if t and tp and "Elements" in tp:
            nested[mb] = t / tp["Elements"]
            lines.append(f"| {mb} MB | {tp['Elements']:,} | {fmt_ns(t)} | {fmt_ns(nested[mb])} |")

    lines += ["", "## Analysis", "",
              "Containment of a 20-grant token (20 of the key's own grants) within the key, and the diff",
              "of two versions of the generated policy, every `n / k`-th grant widened to a key prefix",
              "(`benches/analysis.rs`). Brute force enumerates every selector string, plain and",
              "continued by a byte none holds, for caches and keys, with the engine deciding each request",
              "(Cedar answers these questions through an SMT solver, out of reach here).", "",
              "| what | grants | median |", "| --- | ---: | ---: |"]
    contain_1k = get("contains", "20-grant token within", 1000)
    brute_1k = get("contains", "brute force", 1000)
    for n in [1000, 100000]:
        t = get("contains", "20-grant token within", n)
        if t:
            lines.append(f"| contains: 20-grant token within the key | {n:,} | {fmt_ns(t)} |")
    if brute_1k:
        lines.append(f"| contains by brute force | 1,000 | {fmt_ns(brute_1k)} |")
    diffs = {}
    for n in [10000, 100000]:
        for k in [1, 100]:
            t = get("diff", f"{k} changed", n)
            if t:
                diffs[(n, k)] = t
                lines.append(f"| diff, {k} grant{'s' if k > 1 else ''} changed | {n:,} | {fmt_ns(t)} |")
    analysis_memory = analysis_memory_report()
    if analysis_memory:
        lines += ["", analysis_memory]

    lines += ["", "## Signed credentials", "",
              "A server's connection path (`benches/credentials.rs`): resolving a 20-grant token it has",
              "seen before, beside a plain `HashMap<String, _>` lookup of the same 2,454-byte string (std's",
              "SipHash over all of it; the key ring hashes only the 86-character signature, then compares",
              "the whole token); the first sight of that token (verify, read, validate, compile), beside",
              "ed25519-dalek's `verify_strict` of it alone; `authorize` with the revocation check",
              "(`Session`) beside the credential's own.", "",
              "| what | median |", "| --- | ---: |"]
    seen = get("credentials", "resolve seen token", "")
    floor = get("credentials", "HashMap<String, _> lookup of the same token", "")
    first = get("credentials", "first sight of a 20-grant token", "")
    verify = get("credentials", "ed25519-dalek verify_strict of the same token", "")
    plain = get("credentials", "authorize: Credential", "")
    checked = get("credentials", "authorize: Session (with the revocation check)", "")
    for text, t in [("resolve a seen token", seen), ("HashMap<String, _> lookup of the same token", floor),
                    ("first sight of a 20-grant token", first), ("ed25519-dalek verify_strict alone", verify),
                    ("authorize: Credential", plain), ("authorize: Session (revocation check)", checked)]:
        if t:
            lines.append(f"| {text} | {fmt_ns(t)} |")
    latency_file = os.path.join(ROOT, "target", "criterion", "credentials-reader-latency.json")
    latency = json.load(open(latency_file)) if os.path.exists(latency_file) else []
    quiet = next((r for r in latency if not r["swapping"]), None)
    busy = next((r for r in latency if r["swapping"]), None)
    if quiet and busy:
        lines += ["", "Reader latency (resolve a seen token and authorize one request, random tokens of 100,000",
                  "resolved keys, each read timed) with the store quiet and while another thread replaces it",
                  "continuously:", "",
                  "| store | reads | p50 | p99 | p99.9 | swaps during the run |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for name, r in [("quiet", quiet), ("swapped continuously", busy)]:
            lines.append(f"| {name} | {r['reads']:,} | {fmt_ns(r['p50_ns'])} | {fmt_ns(r['p99_ns'])} | {fmt_ns(r['p999_ns'])} | {r['swaps']:,} |")

    # Targets, each with its measured figure.
    f20, c20 = get("peers", "fgac/exact hit", 20), get("peers", "cedar/exact hit", 20)
    f1k, r1k = get("peers", "fgac/exact hit", 1000), get("peers", "reference/exact hit", 1000)
    a20, a100k = get("authorize", "exact hit", 20), get("authorize", "exact hit", 100000)
    k16 = get("key_length", "20 grants", 16)
    c100k = get("compile", "grants", 100000)
    # Inside the Momento-compatible server.
    runs = server_runs()
    gate_full = get("gate", "resolve+authorize get", "")
    gate_check = get("gate", "authorize get (resolved session)", "")

    def med(label, key):
        return statistics.median(r[key] for r in runs[label])

    shapes = [s for s in ["throughput", "latency"] if f"authz/{s}" in runs and f"no-authz/{s}" in runs]
    if gate_full or shapes:
        lines += ["", "## Inside a server", "",
                  "`examples/momento-server` (Momento's gRPC protocol, tonic) built with authorization and with it",
                  "compiled out (its `no-authz` feature, used only by `bench.sh`), under the same load from",
                  "`fgac-momento-load` (tonic clients over the same protos; 70% get, 25% set of 100 bytes, 5%",
                  "publish) on loopback, in alternating rounds, the server pinned to one core and the load to the",
                  "other. `throughput`: 16 requests in flight; `latency`: one at a time. Medians of the rounds; the",
                  "gRPC stack, not fgac, is most of every request, and run-to-run noise on this shared machine is",
                  "several percent."]
        if gate_full:
            lines += ["", "What authorization adds to one request, without the network (criterion, `benches/gate.rs`):", "",
                      "| step | median |", "| --- | ---: |",
                      f"| resolve the `authorization` header through the key ring and decide the call (cached credential) | {fmt_ns(gate_full)} |"]
            if gate_check:
                lines.append(f"| decide the call for a resolved session | {fmt_ns(gate_check)} |")
            g = gate_latency()
            if g:
                lines += ["", "Resolve and decide, each call timed alone (one clock read included) on a request built just",
                          "before it (as the HTTP/2 decoder would have just written it), with the gate's own memory (key",
                          "ring, cached credential, compiled structure) in cache as under load, or evicted before the",
                          "request is built by reading 4 MiB (the core's L1 and L2) or 96 MiB (every cache, three times the",
                          "L3), as a quiet server's gRPC stack and kernel may between two requests; beside it the `cache`",
                          "header read alone, which a server without authorization makes too, and the floor any lookup",
                          "of a presented credential pays: a std `HashMap<String, _>` lookup of the token (among 1,000",
                          "of its length) with the same header read:", "",
                          "| caches before each call | calls | p50 | p99 | p99.9 | header alone p50 / p99 | authorization adds at p50 / p99 | HashMap floor p50 / p99 |",
                          "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
                for name, label in [("hot", "warm"), ("cold_l2", "L1 and L2 evicted"), ("cold_all", "every cache evicted")]:
                    if name in g:
                        d, f, m = g[name], g[name]["floor"], g[name]["hashmap"]
                        lines.append(f"| {label} | {d['calls']:,} | {fmt_ns(d['p50_ns'])} | {fmt_ns(d['p99_ns'])} | {fmt_ns(d['p999_ns'])} | "
                                     f"{fmt_ns(f['p50_ns'])} / {fmt_ns(f['p99_ns'])} | "
                                     f"{fmt_ns(d['p50_ns'] - f['p50_ns'])} / {fmt_ns(d['p99_ns'] - f['p99_ns'])} | "
                                     f"{fmt_ns(m['p50_ns'])} / {fmt_ns(m['p99_ns'])} |")
        if shapes:
            lines += ["", "| server / load | rounds | throughput (req/s) | p50 | p99 | p99.9 | p99, lowest to highest round |",
                      "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
            for label in ["authz/throughput", "no-authz/throughput", "authz/latency", "no-authz/latency", "churn/latency"]:
                if label in runs:
                    p99s = [r["p99_us"] for r in runs[label]]
                    lines.append(f"| {label} | {len(runs[label])} | {med(label, 'throughput_rps'):,.0f} | "
                                 + " | ".join(fmt_ns(med(label, k) * 1000) for k in ["p50_us", "p99_us", "p999_us"])
                                 + f" | {fmt_ns(min(p99s) * 1000)} to {fmt_ns(max(p99s) * 1000)} |")
            lines.append("")
            for shape in shapes:
                a, n = f"authz/{shape}", f"no-authz/{shape}"
                lines.append(f"- {shape}: throughput with authorization / without = "
                             f"{med(a, 'throughput_rps') / med(n, 'throughput_rps'):.3f}; differences "
                             + ", ".join(f"{k.split('_')[0]} {med(a, k) - med(n, k):+.1f} µs" for k in ["p50_us", "p99_us", "p999_us"]) + "; "
                             + "paired by round (mean, 95% interval): "
                             + ", ".join(f"{k.split('_')[0]} {m:+.1f} ± {h:.1f} µs" for k in ["p50_us", "p99_us"]
                                         for m, h in [paired(runs, a, n, k)] if paired(runs, a, n, k)) + ".")
            if "churn-counts" in runs:
                c = runs["churn-counts"][0]
                lines.append(f"- churn/latency: the server with authorization while the policy was edited and a revocation "
                             f"appended every 100 ms ({c['reloads']:.0f} store reloads, {c['revocations']:.0f} revocations during the run).")

    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | --- | --- |"]

    def target(text, measured, met):
        lines.append(f"| {text} | {measured} | {'yes' if met else 'no'} |")

    if f20 and c20:
        target("20 grants: at least 100x faster than Cedar", f"{fmt_ratio(c20 / f20)} ({fmt_ns(f20)} against {fmt_ns(c20)})", c20 / f20 >= 100)
    if f1k and r1k:
        target("1,000 grants: at least 10x faster than the reference evaluator", f"{fmt_ratio(r1k / f1k)} ({fmt_ns(f1k)} against {fmt_ns(r1k)})", r1k / f1k >= 10)
    if a20 and a100k:
        target("flat: 100,000 grants at most 2x the time at 20 (exact hit)", f"{a100k / a20:.2f}x ({fmt_ns(a100k)} against {fmt_ns(a20)})", a100k / a20 <= 2)
    if k16:
        target("about 20 ns for 20 grants and a 16-byte key", fmt_ns(k16), k16 <= 22)
    if c100k:
        target("compile at least 1 million grants per second (100,000 grants)", f"{100000 / (c100k / 1e9) / 1e6:.2f} M grants/s", 100000 / (c100k / 1e9) >= 1e6)
    if shape_ratios:
        target("parsing one line costs at most 1.5x one rule per line (1 MiB and 4 MiB)",
               ", ".join(f"{r:.2f}x" for r in shape_ratios), max(shape_ratios) <= 1.5)
    if 1 in nested and 8 in nested:
        target("compiling nested prefixes: at most 2x the time per grant from 1 MB to 8 MB",
               f"{nested[8] / nested[1]:.2f}x ({fmt_ns(nested[1])} and {fmt_ns(nested[8])} per grant)", nested[8] / nested[1] <= 2)
    if contain_1k:
        extra = f", {brute_1k / contain_1k:,.0f}x faster than brute force" if brute_1k else ""
        target("contains: a 20-grant token within a 1,000-grant key in at most 50 µs", f"{fmt_ns(contain_1k)}{extra}", contain_1k <= 50_000)
    big = [t for (n, _), t in diffs.items() if n == 100000]
    if big:
        target("diff of two 100,000-grant documents in at most 1 s", ", ".join(fmt_ns(t) for t in big), max(big) <= 1e9)
    if seen:
        extra = f" ({floor / seen:.1f}x faster than the HashMap floor, {fmt_ns(floor)})" if floor else ""
        target("resolving a token seen before in at most 150 ns", f"{fmt_ns(seen)}{extra}", seen <= 150)
    if first:
        split = f"; the signature {fmt_ns(verify)}, the rest {fmt_ns(first - verify)}" if verify else ""
        target("first sight of a 20-grant token in at most 100 µs", f"{fmt_ns(first)}{split}", first <= 100_000)
    if plain and checked:
        target("authorize with the revocation check at most 2 ns over without",
               f"{checked - plain:+.2f} ns ({fmt_ns(checked)} against {fmt_ns(plain)})", checked - plain <= 2)
    if quiet and busy:
        target("reader p99 while the store of 100,000 is swapped: within 2x of a quiet store",
               f"{busy['p99_ns'] / quiet['p99_ns']:.2f}x ({fmt_ns(busy['p99_ns'])} against {fmt_ns(quiet['p99_ns'])})",
               busy["p99_ns"] <= 2 * quiet["p99_ns"])
    if "authz/throughput" in runs and "no-authz/throughput" in runs:
        ratio = med("authz/throughput", "throughput_rps") / med("no-authz/throughput", "throughput_rps")
        target("server: authorization costs at most 2% of throughput", f"{100 * (1 - ratio):+.1f}% (ratio {ratio:.3f})", ratio >= 0.98)
    g = gate_latency()
    if g and "hot" in g:
        hot = g["hot"]
        target("server: authorization adds at most 1 µs per request at p99 (the gate alone, call by call, warm)",
               f"p99 {fmt_ns(hot['p99_ns'])}, p99.9 {fmt_ns(hot['p999_ns'])} (median {fmt_ns(gate_full)} by criterion)" if gate_full
               else f"p99 {fmt_ns(hot['p99_ns'])}", hot["p99_ns"] <= 1000)
    for name, label in [("cold_l2", "L1 and L2 evicted before each call"), ("cold_all", "every cache evicted before each call")]:
        if g and name in g:
            added = g[name]["p99_ns"] - g[name]["floor"]["p99_ns"]
            target(f"server: authorization adds at most 1 µs per request at p99 (the gate alone, {label})",
                   f"+{fmt_ns(added)} ({fmt_ns(g[name]['p99_ns'])} against {fmt_ns(g[name]['floor']['p99_ns'])} for the header alone; "
                   f"a plain HashMap lookup of the token: {fmt_ns(g[name]['hashmap']['p99_ns'])})",
                   added <= 1000)
    if "authz/latency" in runs and "no-authz/latency" in runs:
        d = med("authz/latency", "p99_us") - med("no-authz/latency", "p99_us")
        pr = paired(runs, "authz/latency", "no-authz/latency", "p99_us")
        within = f"; paired by round {pr[0]:+.1f} ± {pr[1]:.1f} µs (95%)" if pr else ""
        target("server, end to end: p99 one request at a time at most 1 µs over the server without authorization",
               f"{d:+.1f} µs (medians of the rounds{within}: the rounds cannot resolve 1 µs)", d <= 1 and (not pr or pr[0] + pr[1] <= 1))
    if "churn/latency" in runs and "authz/latency" in runs:
        target("server: p99 during continuous reloads and revocations within 2x of a quiet store",
               f"{med('churn/latency', 'p99_us') / med('authz/latency', 'p99_us'):.2f}x", med("churn/latency", "p99_us") <= 2 * med("authz/latency", "p99_us"))
    memory = memory_report()
    if memory:
        total, names, per_grant = memory
        target("memory: at most 64 bytes per grant plus the bytes of names and prefixes (1,000 grants)",
               f"{per_grant:.1f} bytes per grant beyond the names ({total:,} bytes, of which {names:,} are names)", per_grant <= 64)
    amplification = amplification_report()
    if amplification:
        target("compiling the issue-9 amplification document (3 x 8,000 rules on 4,000-byte keys, 140 names) in bounded memory",
               amplification, True)
    lines += [""]
    open(os.path.join(ROOT, "BENCHMARKS.md"), "w").write("\n".join(lines))

    series = {}
    for engine in ["fgac", "reference", "cedar", "casbin"]:
        points = [(n, get("peers", f"{engine}/exact hit", n)) for n in sizes]
        points = [(n, v) for n, v in points if v]
        if engine == "fgac":
            points += [(n, get("authorize", "exact hit", n)) for n in [100000] if get("authorize", "exact hit", n)]
        if points:
            series[engine] = points
    svg_chart(series, os.path.join(ROOT, "benches", "authorize.svg"))
    print("wrote BENCHMARKS.md and benches/authorize.svg")


if __name__ == "__main__":
    main()
