#!/usr/bin/env bash
# Benchmark of `cargo wasmkit test` on an HTTP component: 100 scenario
# requests with a warm compile cache.
#
#   bash bench/test-http.sh                                          # the release binary
#   WASMKIT=$PWD/target/debug/cargo-wasmkit bash bench/test-http.sh  # any other build
#
# Needs hyperfine (apt-get install hyperfine).
#
# The `http-handler` test guest (tests/fixtures/guests) is built once in
# release. 100 scenarios are generated: half POST a body that the handler
# echoes, half have it relay a GET to an upstream the scenario answers
# (`[callouts."api.example.com"]`), each with four expectations. hyperfine
# times a whole `cargo wasmkit test --artifact FILE SCENARIO...` process
# (compile cache warm): the handler is pre-instantiated once and each
# request gets a fresh instance. The issue's target: 100 requests in
# under 1 s.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }

if [[ -z "${WASMKIT:-}" ]]; then
    cargo build --release --locked -p cargo-wasmkit >&2
fi
wasmkit=${WASMKIT:-$root/target/release/cargo-wasmkit}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export WASMKIT_CACHE_DIR=$work/cache
guests_target=${GUESTS_TARGET_DIR:-$root/target/wasmkit-tests}

CARGO_TARGET_DIR=$guests_target cargo build --release --quiet \
    --manifest-path tests/fixtures/guests/Cargo.toml -p http-handler --target wasm32-wasip2 >&2
art=$guests_target/wasm32-wasip2/release/http_handler.wasm

mkdir "$work/scenarios"
for i in $(seq -w 1 100); do
    if (( 10#$i % 2 )); then
        cat > "$work/scenarios/gen-$i.toml" <<EOF
[request]
method = "POST"
path = "/items/$i"
headers = { "content-type" = "text/plain", "x-request-id" = "req-$i" }
body = "item $i"

[expect]
status = 200
response-headers = { "content-type" = "text/plain" }
response-body = "item $i"
callouts = []
EOF
    else
        cat > "$work/scenarios/gen-$i.toml" <<EOF
[request]
path = "/relay/api.example.com/items/$i"

[callouts."api.example.com"]
status = 200
body = "upstream $i"

[expect]
status = 200
response-headers = { "x-handler" = "http-handler" }
response-body = "upstream $i"
callouts = ["api.example.com"]
EOF
    fi
done

# Fills the compile cache, and must pass.
"$wasmkit" wasmkit test --artifact "$art" "$work"/scenarios/gen-*.toml >&2

hyperfine -N --warmup 3 --runs 20 --export-json "$work/a.json" \
    "$wasmkit wasmkit test --artifact $art $(echo "$work"/scenarios/gen-*.toml)" >&2
"$wasmkit" wasmkit test --artifact "$art" "$work"/scenarios/gen-*.toml --message-format json > "$work/runs.jsonl"

python3 - "$work/a.json" "$work/runs.jsonl" "$art" <<'PY'
import json, os, statistics, sys
a, runs, art = sys.argv[1:]
result = json.load(open(a))["results"][0]
lines = [json.loads(l) for l in open(runs)]
per = [l["duration_ms"] for l in lines if l.get("reason") == "wasmkit-scenario"]
assert len(per) == 100 and all(l["passed"] for l in lines if l.get("reason") == "wasmkit-scenario")
print("| artifact | requests | test --artifact (process, median ± σ) | one request (median, max) |")
print("|---|---|---|---|")
print(f"| http-handler ({os.path.getsize(art) / 1024:.0f} KiB) | 100 | {result['median'] * 1000:.0f} ms ± {result['stddev'] * 1000:.0f} ms "
      f"| {statistics.median(per):.1f} ms, {max(per):.1f} ms |")
PY
echo
echo "Machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%d)"
