#!/usr/bin/env bash
# Benchmark of `cargo wasmkit test`: 100 scenarios of one plugin with a
# warm compile cache.
#
#   bash bench/test.sh            # prints a markdown table
#
# Needs hyperfine (apt-get install hyperfine).
#
# A copy of `examples/` gets 100 generated scenarios for `add-header`
# (each a request with its own path, headers and a body in chunks, the
# upstream's answer, and six expectations). The release artifact is built
# once; then hyperfine times a whole `cargo wasmkit test --no-build -p
# add-header` process (which also reads the workspace with `cargo
# metadata`) and a whole `cargo wasmkit test --artifact FILE SCENARIO...`
# process, and the script reports the median time of one scenario run as
# the JSON report gives it (`duration_ms`). The issue's targets: 100
# scenarios in under 2 s, one scenario under 20 ms per host.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }

# WASMKIT names another build of the tool to measure (a debug build gives
# an upper bound); by default the release binary is built and measured.
if [ -z "${WASMKIT:-}" ]; then
    cargo build --release --locked -p cargo-wasmkit >&2
fi
wasmkit=${WASMKIT:-$root/target/release/cargo-wasmkit}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR=$work/target WASMKIT_CACHE_DIR=$work/cache

mkdir "$work/examples"
(cd examples && tar --exclude=./target -cf - .) | (cd "$work/examples" && tar -xf -)
manifest=$work/examples/Cargo.toml
scenarios=$work/examples/add-header/scenarios
for i in $(seq -w 1 100); do
    cat > "$scenarios/gen-$i.toml" <<EOF
name = "generated $i"

[request]
method = "POST"
path = "/items/$i"
headers = { "x-request-id" = "req-$i", "content-type" = "text/plain" }
body-chunks = ["first part of $i, ", "second part"]

[response]
status = 200
headers = { "content-type" = "text/plain" }
body = "item $i"

[expect]
outcome = "forwarded"
status = 200
upstream-headers = { ":path" = "/items/$i", "x-request-id" = "req-$i" }
response-headers = { "x-wasmkit" = "add-header" }
response-body = "item $i"
log-contains = "for /items/$i"
EOF
done

"$wasmkit" wasmkit build --release --no-verify --manifest-path "$manifest" -p add-header >&2
art=$CARGO_TARGET_DIR/wasmkit/release/add-header.wasm
# Fills the compile cache, and must pass.
"$wasmkit" wasmkit test --release --no-build --manifest-path "$manifest" -p add-header >&2

hyperfine -N --warmup 3 --runs 20 --export-json "$work/p.json" \
    "$wasmkit wasmkit test --release --no-build --manifest-path $manifest -p add-header" >&2
hyperfine -N --warmup 3 --runs 20 --export-json "$work/a.json" \
    "$wasmkit wasmkit test --artifact $art $(echo "$scenarios"/gen-*.toml)" >&2
"$wasmkit" wasmkit test --artifact "$art" "$scenarios"/gen-*.toml --message-format json > "$work/runs.jsonl"

python3 - "$work/p.json" "$work/a.json" "$work/runs.jsonl" "$art" <<'PY'
import json, os, statistics, sys
p, a, runs, art = sys.argv[1:]
med = lambda path: json.load(open(path))["results"][0]["median"] * 1000
lines = [json.loads(l) for l in open(runs)]
per = [l["duration_ms"] for l in lines if l.get("reason") == "wasmkit-scenario"]
assert len(per) == 100 and all(l["passed"] for l in lines if l.get("reason") == "wasmkit-scenario")
print("| artifact | scenarios | test -p (process) | test --artifact (process) | one scenario (median, max) |")
print("|---|---|---|---|---|")
print(f"| add-header ({os.path.getsize(art) / 1024:.0f} KiB) | 101 / 100 | {med(p):.0f} ms | {med(a):.0f} ms "
      f"| {statistics.median(per):.1f} ms, {max(per):.1f} ms |")
PY
echo
echo "Machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%d)"
