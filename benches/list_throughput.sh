#!/usr/bin/env bash
# Whole-process wall time and peak memory (max RSS) of `list cbr --all` over every record of a
# local mock (issue 13, row 4), for one or more builds side by side: the rounds interleave the
# builds against the same mock, so a loaded machine slows them alike. Outputs go to files and are
# compared across builds byte for byte (a difference fails the script).
#
#   benches/list_throughput.sh [BIN...]    (from anywhere; not run by CI; needs GNU time)
#
# Each BIN lists; the first one also serves the mock (default BIN: a release build of this
# tree). Environment: RECORDS (default 100000: the mock's synthetic records, plus its one base
# record), ROUNDS (default 3), FORMATS (default "table ndjson json").
set -euo pipefail
cd "$(dirname "$0")/.."

records=${RECORDS:-100000}
rounds=${ROUNDS:-3}
formats=${FORMATS:-table ndjson json}
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
  cargo build --release --quiet --bin backup-task-api
  bins=("${CARGO_TARGET_DIR:-target}/release/backup-task-api")
fi
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d)
mock_pid=
cleanup() {
  [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"${bins[0]}" mock --addr 127.0.0.1:0 --records "$records" > "$work/mock.log" 2>&1 &
mock_pid=$!
for _ in $(seq 100); do
  url=$(head -n1 "$work/mock.log" 2>/dev/null || true)
  case $url in http://*) break ;; esac
  sleep 0.1
done
case $url in http://*) ;; *) echo "the mock did not start: $(cat "$work/mock.log")" >&2; exit 1 ;; esac

echo "machine: $(nproc) CPU(s), load: $(cut -d' ' -f1-3 /proc/loadavg); mock: $url, $records records"
list() { # BIN FORMAT OUT -> "seconds max-rss-KiB"
  CBR_AUTH_TOKEN=t /usr/bin/time -f '%e %M' -o "$work/time" "$1" list cbr --endpoint "$url" \
    --project-id 04f1829c788037ac2fb8c01eb2b04b95 --all --format "$2" > "$3"
  cat "$work/time"
}
# A fresh mock serves its first burst slower: one listing nobody counts.
list "${bins[0]}" ndjson /dev/null > /dev/null

for format in $formats; do
  for round in $(seq "$rounds"); do
    for i in "${!bins[@]}"; do
      read -r seconds rss < <(list "${bins[$i]}" "$format" "$work/out.$i")
      lines=$(wc -l < "$work/out.$i")
      rate=$(awk -v n="$((records + 1))" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')
      printf '%-7s round %d  bin %d  %5.2f s  %6d records/s  %5.1f MB peak  %d lines\n' \
        "$format" "$round" "$i" "$seconds" "$rate" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$lines"
      if [ "$i" -gt 0 ] && ! cmp -s "$work/out.0" "$work/out.$i"; then
        echo "$format: bin $i writes other bytes than bin 0" >&2
        exit 1
      fi
    done
  done
done
