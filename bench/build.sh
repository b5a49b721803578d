#!/usr/bin/env bash
# Benchmark of `cargo wasmkit build --no-verify` against plain cargo.
#
# Generates a workspace of 8 small plugins with different `.buildrc`
# settings in a temporary directory, then measures with hyperfine the median
# wall time of
#   - `cargo wasmkit build --no-verify`, and
#   - plain cargo building the same packages with the same targets, features,
#     cfgs and flags, one command per settings group, as a user would by hand
#     (`plain.sh` in the work directory shows the commands),
# for a cold build (`--prepare` removes the target directory), a no-op
# rebuild, and a rebuild after touching one plugin's source. Each side has
# its own target directory.
#
# hyperfine runs all runs of one command, then all of the other; on a shared
# machine, load that comes and goes would favour one side. So each case is
# measured in ROUNDS rounds, the two sides alternating, and the medians are
# taken over the runs of all rounds.
#
# Usage: bench/build.sh [WORK_DIR]
#   WASMKIT=path   the binary to measure (default: target/release/cargo-wasmkit,
#                  built with `cargo build --release -p cargo-wasmkit`)
#   ROUNDS         rounds per case (default 4)
#   COLD_RUNS, WARM_RUNS  hyperfine --runs per round for the cold and the
#                  other cases (default 2 and 10)
#
# Needs hyperfine, python3, and the wasm32-wasip1 target. Writes the
# hyperfine markdown and JSON exports and `summary.md` (medians and ratios)
# to WORK_DIR/results.

set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d -t wasmkit-bench-XXXXXX)}
rounds=${ROUNDS:-4}
cold_runs=${COLD_RUNS:-2}
warm_runs=${WARM_RUNS:-10}

if [[ -z "${WASMKIT:-}" ]]; then
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p cargo-wasmkit
    WASMKIT=$repo/target/release/cargo-wasmkit
fi
command -v hyperfine >/dev/null || { echo "hyperfine is required" >&2; exit 1; }

ws=$work/ws
results=$work/results
rm -rf "$ws" "$results"
mkdir -p "$ws" "$results"

# --- The workspace -----------------------------------------------------------

# A shared dependency with enough code that compiling it takes a moment, and
# a feature (`wide`) that one plugin turns on.
gen_functions() { # prefix count
    local prefix=$1 count=$2 i
    for ((i = 0; i < count; i++)); do
        cat <<EOF
pub fn ${prefix}_$i(input: &[u32]) -> u64 {
    input
        .iter()
        .enumerate()
        .map(|(k, v)| (u64::from(*v) ^ ($i + k as u64)).rotate_left($i % 31))
        .fold($i, |acc, x| acc.wrapping_mul(31).wrapping_add(x))
}

EOF
    done
}

cat >"$ws/Cargo.toml" <<'EOF'
[workspace]
resolver = "3"
members = ["common", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]

[workspace.package]
version = "0.1.0"
edition = "2024"
publish = false
EOF

mkdir -p "$ws/common/src"
cat >"$ws/common/Cargo.toml" <<'EOF'
[package]
name = "bench-common"
version.workspace = true
edition.workspace = true
publish.workspace = true

[features]
wide = []
EOF
{
    echo '#[cfg(feature = "wide")] pub const WIDTH: u64 = 64;'
    echo '#[cfg(not(feature = "wide"))] pub const WIDTH: u64 = 32;'
    gen_functions mix 400
} >"$ws/common/src/lib.rs"

# plugin NAME BUILDRC FEATURES_TABLE CFG
plugin() {
    local name=$1 buildrc=$2 features=$3 cfg=$4
    mkdir -p "$ws/$name/src"
    cat >"$ws/$name/Cargo.toml" <<EOF
[package]
name = "bench-$name"
version.workspace = true
edition.workspace = true
publish.workspace = true

[lib]
crate-type = ["cdylib"]

[dependencies]
bench-common = { path = "../common" }

[features]
$features
EOF
    printf '%s\n' "$buildrc" >"$ws/$name/.buildrc"
    {
        echo "#[unsafe(no_mangle)]"
        echo "pub extern \"C\" fn run_$name(n: u32) -> u64 {"
        echo "    let data: Vec<u32> = (0..n).collect();"
        echo "    bench_common::mix_0(&data) ^ local_0(&data) ^ bench_common::WIDTH"
        echo "}"
        if [[ -n "$cfg" ]]; then
            echo "#[cfg($cfg)]"
            echo "#[unsafe(no_mangle)]"
            echo "pub extern \"C\" fn tagged_$name() -> u32 { 1 }"
        fi
        gen_functions local 60
    } >"$ws/$name/src/lib.rs"
}

# Settings groups: p1 and p2 share everything; p4 and p5 differ from them
# only in a feature of their own (so the tool batches all four); p3 has
# RUSTFLAGS; p6 and p7 have cfg tags; p8's feature turns on a feature of the
# shared dependency.
plugin p1 "# defaults" "" ""
plugin p2 "# defaults" "" ""
plugin p3 'RUSTFLAGS="-C overflow-checks=off"' "" ""
plugin p4 "EXTRA_TAGS=fast" "fast = []" ""
plugin p5 "EXTRA_TAGS=small" "small = []" ""
plugin p6 "EXTRA_TAGS=proxy_wasm_version_0_2_100" "" "proxy_wasm_version_0_2_100"
plugin p7 "EXTRA_TAGS=with_metrics" "" "with_metrics"
plugin p8 "EXTRA_TAGS=wide" 'wide = ["bench-common/wide"]' ""
(cd "$ws" && cargo generate-lockfile --offline --quiet)

# --- The two sides -----------------------------------------------------------

wasmkit_target=$work/target-wasmkit
plain_target=$work/target-plain

# Run as users run it: `cargo wasmkit`, with the binary found on PATH.
mkdir -p "$work/bin"
ln -sf "$WASMKIT" "$work/bin/cargo-wasmkit"
cat >"$work/wasmkit.sh" <<EOF
#!/bin/sh
cd '$ws' && PATH='$work/bin':"\$PATH" CI=1 CARGO_TARGET_DIR='$wasmkit_target' exec cargo wasmkit build --no-verify --quiet
EOF

# The same builds by hand: one cargo command per settings group. cfg tags go
# through `cargo rustc`, as the tool does (RUSTFLAGS="--cfg ..." would also
# rebuild the shared dependency with the cfg).
cat >"$work/plain.sh" <<EOF
#!/bin/sh
set -e
cd '$ws'
export CARGO_TARGET_DIR='$plain_target'
t=wasm32-wasip1
cargo build --quiet --target \$t -p bench-p1 -p bench-p2
RUSTFLAGS="-C overflow-checks=off" cargo build --quiet --target \$t -p bench-p3
cargo build --quiet --target \$t -p bench-p4 --features fast
cargo build --quiet --target \$t -p bench-p5 --features small
cargo rustc --quiet --target \$t -p bench-p6 --lib -- --cfg proxy_wasm_version_0_2_100 --check-cfg 'cfg(proxy_wasm_version_0_2_100)'
cargo rustc --quiet --target \$t -p bench-p7 --lib -- --cfg with_metrics --check-cfg 'cfg(with_metrics)'
cargo build --quiet --target \$t -p bench-p8 --features wide
EOF
# The same, with verification on (its compile cache in the work directory).
cat >"$work/wasmkit-verify.sh" <<EOF
#!/bin/sh
cd '$ws' && PATH='$work/bin':"\$PATH" CI=1 CARGO_TARGET_DIR='$wasmkit_target' WASMKIT_CACHE_DIR='$work/cache' exec cargo wasmkit build --quiet
EOF
chmod +x "$work/wasmkit.sh" "$work/plain.sh" "$work/wasmkit-verify.sh"

# Both sides must build: fail early, not in the middle of a measurement.
"$work/wasmkit.sh"
"$work/plain.sh" 2>/dev/null
"$work/wasmkit-verify.sh"

# --- Measurements -----------------------------------------------------------

bench() { # name, then hyperfine options
    local name=$1 round tool=$work/wasmkit.sh label="cargo wasmkit build --no-verify"
    shift
    if [[ $name == noop-verify ]]; then
        tool=$work/wasmkit-verify.sh label="cargo wasmkit build (verification on)"
    fi
    for ((round = 1; round <= rounds; round++)); do
        hyperfine --style basic "$@" \
            --command-name "$label" "$tool" \
            --command-name "plain cargo, one command per settings group" "$work/plain.sh" \
            --export-markdown "$results/$name-$round.md" --export-json "$results/$name-$round.json"
    done
}

bench cold --warmup 1 --runs "$cold_runs" \
    --prepare "rm -rf $wasmkit_target" --prepare "rm -rf $plain_target"
bench noop --warmup 3 --runs "$warm_runs"
bench noop-verify --warmup 3 --runs "$warm_runs"
bench touched --warmup 1 --runs "$warm_runs" \
    --prepare "touch $ws/p2/src/lib.rs" --prepare "touch $ws/p2/src/lib.rs"

python3 - "$results" "$rounds" >"$results/summary.md" <<'EOF'
import json, statistics, sys
results, rounds = sys.argv[1], int(sys.argv[2])
print("| case | `cargo wasmkit build --no-verify` (median) | plain cargo (median) | ratio | runs each |")
print("|---|---|---|---|---|")
for name, label in [("cold", "cold build"), ("noop", "no-op rebuild"), ("noop-verify", "no-op rebuild, verification on (tool side)"), ("touched", "one plugin touched")]:
    tool, plain = [], []
    for r in range(1, rounds + 1):
        data = json.load(open(f"{results}/{name}-{r}.json"))["results"]
        tool += data[0]["times"]
        plain += data[1]["times"]
    t, p = statistics.median(tool), statistics.median(plain)
    print(f"| {label} | {t*1000:.0f} ms | {p*1000:.0f} ms | {t/p:.2f}x | {len(tool)} |")
EOF
cat "$results/summary.md"
echo "work directory: $work"
