#!/usr/bin/env bash
# Builds cow's fuzz targets with coverage instrumentation on stable Rust and
# runs each for a bounded time (libFuzzer, through libfuzzer-sys).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]
#
# SECONDS_PER_TARGET defaults to $FUZZ_SECONDS, else 300; the targets to all of
# them (`ls fuzz/fuzz_targets`). Each target reads its committed seeds
# (fuzz/seeds/T) and regressions (fuzz/regressions/T) and grows its working
# corpus in fuzz/corpus/T (not committed). A crash, hang (over FUZZ_TIMEOUT s,
# default 10) or allocation over FUZZ_RSS_MB (default 2048) stops that target
# with its input in fuzz/artifacts/T/; the script goes on with the others,
# prints executions per target, and fails at the end if any target failed.
#
# Stable Rust has no `-Zsanitizer`, so this passes the SanitizerCoverage
# flags cargo-fuzz would (`-Cpasses=sancov-module` and LLVM options, all
# stable), without AddressSanitizer: cow is safe Rust, and panics, overflow
# (debug assertions and overflow checks are on in fuzz/Cargo.toml), hangs and
# huge allocations are what is looked for. `--target` is explicit so that
# RUSTFLAGS reach only the target's crates, not build scripts and proc macros
# (instrumented build scripts fail to link without the fuzzer runtime).
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-${FUZZ_SECONDS:-300}}"
shift || true
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in fuzz_targets/*.rs; do
        targets+=("$(basename "$f" .rs)")
    done
fi
timeout_s="${FUZZ_TIMEOUT:-10}"
rss_mb="${FUZZ_RSS_MB:-2048}"
cargo="${CARGO:-cargo}"
triple="$(rustc -vV | sed -n 's/^host: //p')"

export RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
--cfg fuzzing"
export CARGO_TARGET_DIR="$PWD/target"

start=$(date +%s)
bins=()
for t in "${targets[@]}"; do bins+=(--bin "$t"); done
locked=()
[ -f Cargo.lock ] && locked=(--locked)
"$cargo" build --quiet --release "${locked[@]}" --target "$triple" "${bins[@]}"
echo "fuzz: built ${#targets[@]} targets in $(($(date +%s) - start)) s"

failed=()
row() { printf '%-18s %8s %12s %8s %7s %5s %12s  %s\n' "$@"; }
summary="$(row target seconds executions execs/s corpus new peak_rss_mb result)"
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "regressions/$t" "artifacts/$t" logs
    log="logs/$t.log"
    dirs=("corpus/$t" "seeds/$t" "regressions/$t")
    set +e
    "target/$triple/release/$t" "${dirs[@]}" \
        -max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb="$rss_mb" \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
    corpus=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    if [ "$rc" = 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc; input in fuzz/artifacts/$t/, log fuzz/$log)"
        failed+=("$t")
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written|^Base64:' "$log" | head -n 8 || true
    fi
    line="$(row "$t" "$seconds" "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" \
        "${corpus:-?}" "$(stat new_units_added)" "$(stat peak_rss_mb)" "$result")"
    summary+=$'\n'"$line"
    echo "fuzz: $line"
done

echo
echo "$summary"
echo "fuzz: build and runs took $(($(date +%s) - start)) s"
echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: to keep a finding, copy its input from fuzz/artifacts/T/ into" \
        "fuzz/regressions/T/ (cargo test then runs it: tests/fuzz_regressions.rs) and fix the decoder"
    exit 1
fi
