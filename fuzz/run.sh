#!/usr/bin/env bash
# The one command that fuzzes: seeds the corpora, builds every target (nightly, debug assertions
# on, so integer overflow traps), then runs each for SECONDS, one at a time on one core, and
# prints `target | executions | crashes` at the end.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      SECONDS defaults to 60; no TARGET means all of them
#
# A crash stops its target's run (libFuzzer's default) and leaves the input in
# fuzz/artifacts/<target>/; after the fix, copy it to tests/fixtures/fuzz/<target>/ so the suite
# replays it on stable. Logs: fuzz/logs/<target>.log. Exit status: 0 when no target crashed, 1 when
# one did, 2 when the build failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
seconds=${1:-60}
shift $(($# > 0 ? 1 : 0))
if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for file in fuzz/fuzz_targets/*.rs; do
        name=${file##*/}
        targets+=("${name%.rs}")
    done
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh needs the nightly toolchain and cargo-fuzz:" >&2
    echo "  rustup toolchain install nightly && cargo install cargo-fuzz --locked" >&2
    exit 2
fi
export CARGO_TARGET_DIR="$PWD/fuzz/target"
bash fuzz/seed.sh || exit 2
cargo +nightly fuzz build --debug-assertions || exit 2
mkdir -p fuzz/logs

# The longest input worth trying: whole pages for the JSON targets, a header or a field otherwise.
max_len() {
    case $1 in
        contract_fast_path | decode_*) echo 1048576 ;;
        diff_load) echo 262144 ;;
        *) echo 65536 ;;
    esac
}

rows=()
failed=0
for target in "${targets[@]}"; do
    log="fuzz/logs/$target.log"
    artifacts="fuzz/artifacts/$target"
    mkdir -p "$artifacts" "fuzz/corpus/$target"
    before=$(find "$artifacts" -type f | wc -l)
    dict=()
    case $target in contract_fast_path | decode_*) dict=(-dict=fuzz/corpus/json.dict) ;; esac
    echo "fuzzing $target for ${seconds}s (log: $log)"
    cargo +nightly fuzz run --debug-assertions "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$(max_len "$target")" \
        -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" \
        >"$log" 2>&1
    status=$?
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
    crashes=$(($(find "$artifacts" -type f | wc -l) - before))
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        # A failure that left no input (a build or harness error): say so, never a clean row.
        crashes="error (exit $status, see $log)"
        failed=1
    elif [ "$crashes" -ne 0 ]; then
        crashes="$crashes: $artifacts/$(ls -t "$artifacts" | head -n 1)"
        failed=1
    fi
    rows+=("$target | ${executions:-?} | $crashes")
done

echo
echo "target | executions | crashes"
echo "--- | --- | ---"
printf '%s\n' "${rows[@]}"
exit "$failed"
