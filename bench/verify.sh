#!/usr/bin/env bash
# Benchmark of `cargo wasmkit verify` on the example artifacts with a warm
# compile cache, per artifact.
#
#   bash bench/verify.sh            # prints a markdown table
#
# Needs hyperfine (apt-get install hyperfine).
#
# For each example plugin it reports the median wall time of a whole
# `cargo wasmkit verify -p <plugin>` process (which also reads the
# workspace with `cargo metadata`) and of `cargo wasmkit verify <file>`
# with the plugin's settings given as flags, and the median time verify
# itself reports for the artifact (`duration_ms` in its JSON). The issue's
# target: under 100 ms each.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }

cargo build --release --locked -p cargo-wasmkit >&2
wasmkit=$root/target/release/cargo-wasmkit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR=$work/target WASMKIT_CACHE_DIR=$work/cache
manifest=$root/examples/Cargo.toml

# Release artifacts, as a gateway would load them; the first verify fills
# the compile cache.
"$wasmkit" wasmkit build --release --manifest-path "$manifest" >&2
art=$CARGO_TARGET_DIR/wasmkit/release

declare -A file_args=(
    [shapes]="--invoke 'area(circle({radius: 1.0}))' --expect 3.141592653589793"
    [json-guard]="--host higress --config $root/examples/json-guard/config.json"
    [add-header]="--host envoy"
)

echo "| artifact | size | verify -p (process) | verify FILE (process) | verify's own time |"
echo "|---|---|---|---|---|"
for plugin in shapes json-guard add-header; do
    hyperfine -N --warmup 3 --runs 20 --export-json "$work/p.json" \
        "$wasmkit wasmkit verify --release --manifest-path $manifest -p $plugin" >&2
    hyperfine --warmup 3 --runs 20 --export-json "$work/f.json" \
        "$wasmkit wasmkit verify $art/$plugin.wasm ${file_args[$plugin]}" >&2
    own=()
    for _ in $(seq 20); do
        own+=("$("$wasmkit" wasmkit verify --release --manifest-path "$manifest" -p "$plugin" --message-format json \
            | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["duration_ms"])')")
    done
    python3 - "$plugin" "$art/$plugin.wasm" "$work/p.json" "$work/f.json" "${own[@]}" <<'PY'
import json, os, statistics, sys
plugin, wasm, p, f, *own = sys.argv[1:]
med = lambda path: json.load(open(path))["results"][0]["median"] * 1000
size = os.path.getsize(wasm) / 1024
print(f"| {plugin} | {size:.0f} KiB | {med(p):.1f} ms | {med(f):.1f} ms | {statistics.median(map(float, own)):.1f} ms |")
PY
done
echo
echo "Machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%d)"
