#!/usr/bin/env bash
# Benchmark of the compiler choice (issue 16): cold and warm runs of
# `cargo wasmkit invoke` and a cold `cargo wasmkit verify`, each against
# the wasmtime CLI of the version cargo-wasmkit embeds, in one run.
#
#   bash bench/tiers.sh            # prints a markdown table
#
# Needs hyperfine (apt-get install hyperfine) and the wasmtime CLI:
#   cargo install wasmtime-cli@48.0.8 --locked
#
# Cases (medians; each side with its own cache in a temporary directory):
#   - cold invoke of the `shapes` example component (cache emptied before
#     each run): ours with its default `--opt-level auto` (the first run of
#     an artifact is compiled by Winch) against `wasmtime run --invoke`;
#   - warm invoke of the same (ours after its second run has optimised it;
#     wasmtime with its cache warm);
#   - cold verify of a freshly built debug proxy-wasm SDK module (the
#     `add-header` example, debug, about 3.5 MB): `cargo wasmkit verify
#     --host envoy FILE` (baseline compile, then the static checks and a whole
#     mock-host run) against `wasmtime compile FILE` (compile only);
#   - the same verify with `--opt-level speed`, to show what the baseline
#     compiler saves.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }
want=$(sed -n 's/^wasmtime = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
wasmtime_bin=${WASMTIME:-wasmtime}
"$wasmtime_bin" --version | grep -q " $want" || { echo "wasmtime $want is needed: cargo install wasmtime-cli@$want --locked" >&2; exit 2; }

cargo build --release --locked -p cargo-wasmkit >&2
wasmkit=$root/target/release/cargo-wasmkit
guests=$root/target/wasmkit-tests
(cd examples && CARGO_TARGET_DIR=$guests cargo build --release --locked -p shapes --target wasm32-wasip2 >&2)
shapes=$guests/wasm32-wasip2/release/shapes.wasm
(cd examples && CARGO_TARGET_DIR=$guests cargo build --locked -p add-header --target wasm32-wasip1 >&2)
filter=$guests/wasm32-wasip1/debug/add_header.wasm
call='area(circle({radius: 1.0}))'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ours_cache=$work/wasmkit-cache
# Set for every run, as wasmtime gets its cache by a flag: an `env` wrapper
# would add a process start to our side only.
export WASMKIT_CACHE_DIR=$ours_cache
theirs_cache=$work/wasmtime-cache
printf '[cache]\ndirectory = "%s"\n' "$theirs_cache" > "$work/wasmtime-cache.toml"
ours="$wasmkit wasmkit invoke $shapes '$call'"
theirs="$wasmtime_bin run -C cache-config=$work/wasmtime-cache.toml --invoke '$call' $shapes"
verify="$wasmkit wasmkit verify --host envoy $filter"
verify_speed="$verify --opt-level speed"
compile="$wasmtime_bin compile -C cache=n -o $work/filter.cwasm $filter"

empty="rm -rf $ours_cache $theirs_cache"
hyperfine --runs 20 --prepare "$empty" --export-json "$work/cold.json" "$ours" "$theirs" >&2
# Warm: ours past its second run (optimised code in the cache).
eval "$ours" >/dev/null; eval "$ours" >/dev/null
hyperfine -N --warmup 3 --runs 30 --export-json "$work/warm.json" "$ours" "$theirs" >&2
hyperfine --runs 10 --prepare "$empty" --export-json "$work/verify.json" "$verify" "$verify_speed" "$compile" >&2

median() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"; }
row() { # label, json, ours index, theirs index
    python3 - "$1" "$(median "$2" "$3")" "$(median "$2" "$4")" <<'PY'
import sys
label, a, b = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
print(f"| {label} | {a * 1000:.1f} ms | {b * 1000:.1f} ms | {a / b:.2f} |")
PY
}
echo
echo "Machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%d); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| case | cargo wasmkit | wasmtime $want | ratio (ours / wasmtime) |"
echo "|---|---|---|---|"
row "cold \`invoke\` of shapes (vs \`run --invoke\`)" "$work/cold.json" 0 1
row "warm \`invoke\` of shapes (vs \`run --invoke\`)" "$work/warm.json" 0 1
row "cold \`verify\` of debug add-header, $(( $(stat -c %s "$filter") / 1024 )) KiB (vs \`compile\`)" "$work/verify.json" 0 2
row "the same verify with \`--opt-level speed\` (vs \`compile\`)" "$work/verify.json" 1 2
