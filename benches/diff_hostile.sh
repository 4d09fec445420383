#!/usr/bin/env bash
# `diff` on hostile specs (issue 9, item 12): time and peak memory of the release binary.
#
#   benches/diff_hostile.sh                 # builds the release binary, then measures
#   BIN=path/to/backup-task-api benches/diff_hostile.sh   # measures another build
#
# Cases, generated here so the numbers can be reproduced:
#   fan-out W x L   components L0..L{L}: each has W properties referring to the next level, the
#                   last is a string (old) or an integer (new): W^L paths through L+1 schemas.
#                   2 x 20 is the 2.8 KB spec of the issue.
#   flow-nesting    200 KB of nested YAML flow sequences (`x: [[[[...`).
#   enum            a response enum of 30,000 values, all replaced (200 KB): membership tests by
#                   scanning the other list were quadratic.
# Each case runs once under /usr/bin/time -v: elapsed wall time and maximum resident set size.
# LIMIT (seconds, default 120) stops a case that runs longer; SHAPES (default "2x16 2x20 4x20")
# picks the fan-out cases (4x20 is 4^20 paths: give a build that walks every path only 2x16 2x20).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${BIN:-}" ]]; then
    cargo build --release --locked --bin backup-task-api >&2
    BIN="${CARGO_TARGET_DIR:-target}/release/backup-task-api"
fi
LIMIT="${LIMIT:-120}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fan_out WIDTH LEVELS LEAF_TYPE
fan_out() {
    local width=$1 levels=$2 leaf=$3 level i
    printf 'openapi: 3.0.3\ninfo: {title: fan-out, version: 1.0.0}\n'
    printf 'paths:\n  /fan:\n    get:\n      responses:\n        "200":\n'
    printf '          description: ok\n          content:\n            application/json:\n'
    printf "              schema: {\$ref: '#/components/schemas/L0'}\n"
    printf 'components:\n  schemas:\n'
    for ((level = 0; level < levels; level++)); do
        printf '    L%d:\n      type: object\n      properties:\n' "$level"
        for ((i = 0; i < width; i++)); do
            printf "        p%d: {\$ref: '#/components/schemas/L%d'}\n" "$i" $((level + 1))
        done
    done
    printf '    L%d: {type: %s}\n' "$levels" "$leaf"
}

measure() {
    local name=$1
    shift
    local out="$work/time.txt" code=0
    timeout "$LIMIT" /usr/bin/time -v "$@" >"$work/stdout.txt" 2>"$out" || code=$?
    if [[ $code == 124 ]]; then
        printf '%-28s over %ss (stopped)\n' "$name" "$LIMIT"
        return
    fi
    local elapsed rss
    elapsed=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out")
    printf '%-28s %10s  %8s MiB  exit %s  %s\n' "$name" "$elapsed" "$(awk "BEGIN {printf \"%.1f\", $rss / 1024}")" \
        "$code" "$(grep -h -E '^error|change\(s\)' "$out" "$work/stdout.txt" | head -1 | cut -c1-100 || true)"
}

for shape in ${SHAPES:-2x16 2x20 4x20}; do
    width=${shape%x*} levels=${shape#*x}
    fan_out "$width" "$levels" string >"$work/old.yaml"
    fan_out "$width" "$levels" integer >"$work/new.yaml"
    measure "fan-out ${width}x${levels} ($(wc -c <"$work/old.yaml") B)" \
        "$BIN" diff "$work/old.yaml" "$work/new.yaml"
done

{
    printf 'x: '
    head -c 100000 /dev/zero | tr '\0' '['
    head -c 100000 /dev/zero | tr '\0' ']'
    printf '\n'
} >"$work/flow.yaml"
measure "flow-nesting ($(wc -c <"$work/flow.yaml") B)" "$BIN" diff "$work/flow.yaml" "$work/flow.yaml"

# enum PREFIX: a string enum of 30,000 values PREFIX0, PREFIX1, ...
enum() {
    printf 'openapi: 3.0.3\ninfo: {title: enum, version: 1.0.0}\n'
    printf 'paths:\n  /e:\n    get:\n      responses:\n        "200":\n'
    printf '          description: ok\n          content:\n            application/json:\n'
    printf '              schema:\n                type: string\n                enum: ['
    seq -f "$1%.0f" 0 29999 | paste -sd, -
    printf '                ]\n'
}
enum v >"$work/old.yaml"
enum w >"$work/new.yaml"
measure "enum ($(wc -c <"$work/old.yaml") B)" "$BIN" diff "$work/old.yaml" "$work/new.yaml"
