#!/usr/bin/env bash
# Per-line overhead of the interactive session of `cargo wasmkit invoke`,
# against the same lines run as a batch.
#
#   bash bench/session.sh              # release build (the documented figure)
#   PROFILE=debug bash bench/session.sh
#
# Needs hyperfine (apt-get install hyperfine).
#
# 10,000 lines (`let c = counter.new(0)`, then `c.add(1)` 9,998 times and
# `c.get()`) on the `counters` test guest, piped into
#   - `invoke --interactive`: the session's own path, line by line: the line
#     editor's read (rustyline reads a pipe without a prompt, through the
#     validator that decides whether an entry goes on), the session's entry
#     (command or call), a result written and flushed per line;
#   - `invoke --calls-from -`: the batch path, buffered.
# The difference of the medians, divided by 10,000, is what a session adds
# to each line; the session's median divided by 10,000 is a whole line's
# cost (parse, type-check, call, print) in a session.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }

profile=${PROFILE:-release}
if [[ $profile == release ]]; then
    cargo build --release --locked -p cargo-wasmkit >&2
else
    cargo build --locked -p cargo-wasmkit >&2
fi
wasmkit=$root/target/$profile/cargo-wasmkit
guests=$root/target/wasmkit-tests
(cd tests/fixtures/guests && CARGO_TARGET_DIR=$guests cargo build --release --locked -p counters --target wasm32-wasip2 >&2)
counters=$guests/wasm32-wasip2/release/counters.wasm

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lines=10000
{
    echo 'let c = counter.new(0)'
    for ((i = 0; i < lines - 2; i++)); do echo 'c.add(1)'; done
    echo 'c.get()'
} > "$work/calls.txt"

export WASMKIT_CACHE_DIR=$work/cache
session="$wasmkit wasmkit invoke $counters --interactive < $work/calls.txt > $work/session.out"
batch="$wasmkit wasmkit invoke $counters --calls-from - < $work/calls.txt > $work/batch.out"
# Through a shell, for the redirections (hyperfine subtracts its start-up).
hyperfine --warmup 2 --runs 15 --export-json "$work/times.json" \
    --command-name session "$session" --command-name batch "$batch" >&2
cmp -s "$work/session.out" "$work/batch.out" || { echo "the session and the batch printed different results" >&2; exit 1; }

python3 - "$work/times.json" "$lines" <<'EOF'
import json, sys
results = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
lines = int(sys.argv[2])
s, b = results["session"], results["batch"]
print(f"| {lines} lines | median |")
print("|---|---|")
print(f"| piped into a session (`--interactive`) | {s * 1000:.1f} ms |")
print(f"| `--calls-from -` | {b * 1000:.1f} ms |")
print()
print(f"A line in a session: {s / lines * 1e6:.1f} µs; the session's own overhead: {(s - b) / lines * 1e6:.1f} µs a line.")
EOF
