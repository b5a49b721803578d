#!/usr/bin/env bash
# Benchmark of `cargo wasmkit invoke` against `wasmtime run --invoke` of the
# same wasmtime version, on the example `shapes` component.
#
#   bash bench/invoke.sh            # prints a markdown table
#
# Needs hyperfine (apt-get install hyperfine). The comparison needs the
# wasmtime CLI of the version cargo-wasmkit embeds:
#   cargo install wasmtime-cli@48.0.8 --locked
# Without it, only cargo-wasmkit's own figures are reported.
#
# Reported: median wall time of one invoke of area(circle({radius: 1.0}))
# with a warm compile cache and with an empty one (both tools with their
# cache on, each in its own temporary directory), and calls per second for
# 1,000,000 calls from --calls-from on one instance: of `area`, and of the
# `kv` test guest's `lookup("k")`, which calls the import `store.get` that
# a --mock answers (so each call also crosses into a mocked import).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }

cargo build --release --locked -p cargo-wasmkit >&2
wasmkit=$root/target/release/cargo-wasmkit
guests=$root/target/wasmkit-tests
(cd examples && CARGO_TARGET_DIR=$guests cargo build --release --locked -p shapes --target wasm32-wasip2 >&2)
shapes=$guests/wasm32-wasip2/release/shapes.wasm
(cd tests/fixtures/guests && CARGO_TARGET_DIR=$guests cargo build --release --locked -p kv --target wasm32-wasip2 >&2)
kv=$guests/wasm32-wasip2/release/kv.wasm
call='area(circle({radius: 1.0}))'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ours_cache=$work/wasmkit-cache
# Set for every run, as wasmtime gets its cache by a flag: an `env` wrapper
# would add a process start to our side only.
export WASMKIT_CACHE_DIR=$ours_cache
theirs_cache=$work/wasmtime-cache
printf '[cache]\ndirectory = "%s"\n' "$theirs_cache" > "$work/wasmtime-cache.toml"

want=$(sed -n 's/^wasmtime = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
wasmtime_bin=${WASMTIME:-wasmtime}
have_wasmtime=0
if command -v "$wasmtime_bin" >/dev/null && "$wasmtime_bin" --version | grep -q " $want"; then
    have_wasmtime=1
else
    echo "note: wasmtime $want not found; reporting cargo-wasmkit alone" >&2
fi

ours="$wasmkit wasmkit invoke $shapes '$call'"
theirs="$wasmtime_bin run -C cache-config=$work/wasmtime-cache.toml --invoke '$call' $shapes"

median() { # hyperfine JSON export -> median seconds of command $2
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"
}

run() { # name, prepare, commands...
    local name=$1 prepare=$2; shift 2
    local args=(-N --warmup 3 --runs 30 --export-json "$work/$name.json")
    if [[ -n $prepare ]]; then args=(--runs 20 --prepare "$prepare" --export-json "$work/$name.json"); fi
    hyperfine "${args[@]}" "$@" >&2
}

if [[ $have_wasmtime == 1 ]]; then
    run warm "" "$ours" "$theirs"
    run cold "rm -rf $ours_cache $theirs_cache" "$ours" "$theirs"
else
    run warm "" "$ours"
    run cold "rm -rf $ours_cache" "$ours"
fi

python3 - "$work/calls.txt" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("area(circle({radius: 1.0}))\n" * 1_000_000)
PY
hyperfine --warmup 1 --runs 5 --export-json "$work/calls.json" \
    "$wasmkit wasmkit invoke $shapes --calls-from $work/calls.txt > /dev/null" >&2
python3 - "$work/mocked.txt" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('lookup("k")\n' * 1_000_000)
PY
hyperfine --warmup 1 --runs 5 --export-json "$work/mocked.json" \
    "$wasmkit wasmkit invoke $kv --mock 'store.get=some(\"v\")' --calls-from $work/mocked.txt > /dev/null" >&2

ms() { python3 -c "print(f'{float(\"$1\") * 1000:.1f} ms')"; }
ratio() { python3 -c "print(f'{float(\"$1\") / float(\"$2\"):.2f}')"; }
w0=$(median "$work/warm.json" 0); c0=$(median "$work/cold.json" 0)
calls=$(median "$work/calls.json" 0)
mocked=$(median "$work/mocked.json" 0)
echo
echo "Machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%d)"
echo
if [[ $have_wasmtime == 1 ]]; then
    w1=$(median "$work/warm.json" 1); c1=$(median "$work/cold.json" 1)
    echo "| one invoke of \`$call\` | cargo wasmkit invoke | wasmtime run --invoke ($want) | ratio (ours / wasmtime) |"
    echo "|---|---|---|---|"
    echo "| warm cache (median) | $(ms "$w0") | $(ms "$w1") | $(ratio "$w0" "$w1") |"
    echo "| cold cache (median) | $(ms "$c0") | $(ms "$c1") | $(ratio "$c0" "$c1") |"
else
    echo "| one invoke of \`$call\` | cargo wasmkit invoke |"
    echo "|---|---|"
    echo "| warm cache (median) | $(ms "$w0") |"
    echo "| cold cache (median) | $(ms "$c0") |"
fi
echo
python3 -c "print(f'1,000,000 calls from --calls-from on one instance: median {float(\"$calls\"):.2f} s, {1_000_000 / float(\"$calls\"):,.0f} calls/s')"
python3 -c "print(f'1,000,000 calls, each calling a mocked import (kv lookup, --mock store.get): median {float(\"$mocked\"):.2f} s, {1_000_000 / float(\"$mocked\"):,.0f} calls/s')"
