#!/usr/bin/env bash
# Per-step agent cost (map update + frontiers + planning, one thread) at
# 224 x 224 and 672 x 672 input, as BENCHMARKS.md reports it:
#
#   1. record EPISODES oracle CoW episodes of the embedded world at each size
#      (`cow run --config C --localizer oracle --episodes N --record DIR`,
#      C = configs/embedded.toml with [sim.embedded] width = height = SIDE);
#   2. replay them through mapping and planning alone
#      (`cow bench replay --config C DIR`), once plainly and, with
#      REPEAT > 1, keeping each step's fastest of REPEAT replays (what the
#      machine costs without time lost to other processes).
#
# Usage: tools/bench/step_cost.sh [OUT]   (default OUT: runs/bench/step)
# Environment:
#   COW=PATH        cow binary (default: target/release/cow, built first)
#   EPISODES=N      episodes per size (default 20)
#   REPEAT=N        replays per step for the fastest-of-N report (default 3; 1 = none)
#   SIDES="224 672" input sizes
#   KEEP=1          keep the recordings (672 x 672 takes ~11 GB for 20 episodes)
# Writes OUT/replay-SIDE.txt (and OUT/replay-SIDE-fastest-of-REPEAT.txt),
# OUT/config-SIDE.toml, OUT/machine.txt; prints every report.
set -euo pipefail

cd "$(dirname "$0")/../.."
out=${1:-runs/bench/step}
episodes=${EPISODES:-20}
repeat=${REPEAT:-3}
sides=${SIDES:-224 672}
if [[ -z ${COW:-} ]]; then
    cargo build --release --bin cow
    COW=target/release/cow
fi
mkdir -p "$out"

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') x $(nproc)"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (modified tree)')"
} > "$out/machine.txt"

for side in $sides; do
    config="$out/config-$side.toml"
    # configs/embedded.toml with the camera of [sim.embedded] at SIDE x SIDE.
    awk -v side="$side" '
        /^\[/ { section = $0 }
        section == "[sim.embedded]" && /^(width|height) = / { sub(/= .*/, "= " side) }
        { print }
    ' configs/embedded.toml > "$config"
    if [[ $(grep -c "^\(width\|height\) = $side\$" "$config") -ne 2 ]]; then
        echo "step_cost.sh: configs/embedded.toml has no [sim.embedded] width and height" >&2
        exit 1
    fi
    rec="$out/rec-$side"
    rm -rf "$rec" "$out/run-$side"
    "$COW" run -q --config "$config" --localizer oracle --episodes "$episodes" \
        --out "$out/run-$side" --record "$rec"
    echo "load average before replay $side: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
    "$COW" bench replay --config "$config" "$rec" | tee "$out/replay-$side.txt"
    if (( repeat > 1 )); then
        "$COW" bench replay --repeat "$repeat" --config "$config" "$rec" \
            | tee "$out/replay-$side-fastest-of-$repeat.txt"
    fi
    [[ ${KEEP:-0} == 1 ]] || rm -rf "$rec"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
cat "$out/machine.txt"
