#!/usr/bin/env bash
# What authorization costs inside the server: the same load against the server built with
# authorization and built with it compiled out (the `no-authz` feature, used only here), in
# alternating rounds, then the server with authorization under continuous store reloads and
# revocations. Loopback only; every run is bounded in time; every process is stopped by its PID.
#
# Two shapes of load: `throughput` (16 requests in flight) and `latency` (one at a time, so that
# a percentile is one request's path rather than a queue). Where taskset exists, the server runs
# on CPU 0 and the load generator on CPU 1, so that they do not take turns on one core. The raw
# lines go to the workspace's target/bench-server.txt, which `python3 benches/report.py` puts in
# BENCHMARKS.md.
#
#   examples/momento-server/bench.sh            # ROUNDS=5 SECONDS_RUN=6
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS=${ROUNDS:-5}
SECONDS_RUN=${SECONDS_RUN:-6}
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  on_server=(taskset -c 0); on_load=(taskset -c 1)
else
  on_server=(); on_load=()
fi

target=../../target
cargo build --release -p fgac-momento-server --bins
cargo build --release -p fgac-momento-server --bins --features no-authz --target-dir "$target/no-authz"
cargo build --release -p fgac-cli --bin fgac
fgac=$target/release/fgac
work=$(mktemp -d)
results="$work/results.txt"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# start BINARY NAME: a server in $work/NAME; sets PORT and PID.
start() {
  local dir="$work/$2"
  mkdir -p "$dir"
  cp tests/sdk/policy.fgac "$dir/policy.fgac"
  "${on_server[@]}" "$1" --policy "$dir/policy.fgac" --state "$dir/state" --issue "app=$dir/app.key" \
    --cache app --listen 127.0.0.1:0 >"$dir/out" 2>"$dir/log" &
  PID=$!
  pids+=("$PID")
  for _ in $(seq 100); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.1; done
  PORT=$(sed -n 's/^listening on 127.0.0.1://p' "$dir/out")
}

stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

load() { # LABEL NAME CONCURRENCY
  "${on_load[@]}" "$target/release/fgac-momento-load" --addr "127.0.0.1:$PORT" --key-file "$work/$2/app.key" \
    --concurrency "$3" --connections "$(( $3 < 4 ? $3 : 4 ))" --seconds "$SECONDS_RUN" --warmup 2 \
    --label "$1" | tee -a "$results"
}

# Alternating rounds, so that the machine's drift falls on both builds alike.
for r in $(seq "$ROUNDS"); do
  for shape in throughput:16 latency:1; do
    name=${shape%%:*}; conc=${shape##*:}
    start "$target/release/fgac-momento-server" "authz-$name-$r"; load "authz/$name" "authz-$name-$r" "$conc"; stop "$PID"
    start "$target/no-authz/release/fgac-momento-server" "noauthz-$name-$r"; load "no-authz/$name" "noauthz-$name-$r" "$conc"; stop "$PID"
  done
done

# Churn: while the load runs, the policy is edited (a reload each time) and a revocation is
# appended to the log, every 100 ms, at most 10 per second of the run.
start "$target/release/fgac-momento-server" churn
dir="$work/churn"
(
  for i in $(seq $((SECONDS_RUN * 10 + 20))); do
    printf '# edit %s\n' "$i" >>"$dir/policy.fgac"
    "$fgac" revoke --trust "$dir/state/trust.json" --id "churn-$i" >/dev/null
    sleep 0.1
  done
) &
churner=$!
pids+=("$churner")
load "churn/latency" churn 1
kill "$churner" 2>/dev/null || true
wait "$churner" 2>/dev/null || true
reloads=$(grep -c "reloaded" "$dir/log" || true)
revocations=$(grep -c "^id churn-" "$dir/state/revocations.log" || true)
stop "$PID"
echo "churn: $reloads store reloads and $revocations revocations appended during the run"
echo "churn-counts reloads=$reloads revocations=$revocations" >>"$results"
cp "$results" "$target/bench-server.txt"

python3 - "$results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, *fields = line.split()
    runs.setdefault(label, []).append({k: float(v) for k, v in (f.split("=") for f in fields)})
med = lambda label, key: statistics.median(r[key] for r in runs[label])
print("\n| server / load | runs | throughput (req/s) | p50 (µs) | p99 (µs) | p99.9 (µs) |")
print("|---|---:|---:|---:|---:|---:|")
for label in ["authz/throughput", "no-authz/throughput", "authz/latency", "no-authz/latency", "churn/latency"]:
    if label in runs:
        print(f"| {label} | {len(runs[label])} | {med(label,'throughput_rps'):.0f} | {med(label,'p50_us'):.1f} | {med(label,'p99_us'):.1f} | {med(label,'p999_us'):.1f} |")
for shape in ["throughput", "latency"]:
    a, n = f"authz/{shape}", f"no-authz/{shape}"
    print(f"{shape}: throughput authz/no-authz {med(a,'throughput_rps')/med(n,'throughput_rps'):.3f}; "
          + ", ".join(f"{k} {med(a,k)-med(n,k):+.1f} µs" for k in ["p50_us", "p99_us", "p999_us"]))
PY
