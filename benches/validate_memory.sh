#!/usr/bin/env bash
# Peak memory (max RSS) and wall time of `backup-task-api validate` on inputs that grow: memory
# must follow the work in flight, not the input, and an invalid document must cost what a valid
# one does. The README's "Limits and safety" figures come from this script.
#
#   benches/validate_memory.sh [BIN...]    (from anywhere; not run by CI; python3 and GNU time)
#
# Each BIN is measured on every input (default: a release build of this tree), so an older build
# can stand beside the current one. The inputs are generated into a temporary directory and
# removed afterwards:
#
#   empty-objects.ndjson  1,000,000 lines of `{}` (3 MB), each one invalid: text, json, junit
#   pages.ndjson          the 1,000-record CBR page of benches/contract.rs (796 KiB), one per
#                         line, repeated to PAGES_MB (default 1024) MB: text, json, junit
#   valid-48mb.json       one valid CBR page of 60,000 records (48 MB)
#   hostile-37mb.json     an otherwise valid page of 30,000 records whose first `checkpoint_id`
#                         (a string) is an array of 1,500,000 `{"a":1}` objects (37 MB)
#
# Environment: PAGES_MB, RUNS (default 1; the best of RUNS is kept), WORK (a directory to
# generate into and keep, instead of a temporary one).
set -euo pipefail
cd "$(dirname "$0")/.."

pages_mb=${PAGES_MB:-1024}
runs=${RUNS:-1}
if [ -n "${WORK:-}" ]; then
  work=$WORK
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
  cargo build --release --quiet --bin backup-task-api
  bins=("${CARGO_TARGET_DIR:-target}/release/backup-task-api")
fi
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }

echo "machine: $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "generating inputs in $work ..."
python3 - "$work" "$pages_mb" <<'EOF'
import json, os, sys

work, pages_mb = sys.argv[1], int(sys.argv[2])

def record(i):
    # As benches/contract.rs builds a record of its 1,000-record page.
    return {
        "status": ["success", "running", "failed"][i % 3],
        "provider_id": "0daac4c5-6707-4851-97ba-169e36266b66",
        "checkpoint_id": f"b432511f-d889-428f-8b0e-{i:012}",
        "updated_at": "2019-05-23T14:35:23.584418",
        "error_info": {"message": "", "code": ""},
        "vault_id": None,
        "started_at": "2019-05-23T14:31:36.007230+00:00",
        "id": f"4827f2da-b008-4507-ab7d-{i:012}",
        "extra_info": {
            "resource": {"type": "OS::Nova::Server", "id": "1dab32fa-ebf2-415a-ab0b-eabe6353bc86", "name": f"ECS-{i:04}"},
            "backup": {"backup_name": "manualbk_backup", "backup_id": "0e5d0ef6-7f0a-4890-b98c-cb12490e31c1", "incremental": "true"},
            "common": {"progress": i % 101, "request_id": "req-cdb98cc4-e87b-4f40-9b4a-57ec036620bc"},
        },
        "ended_at": "2019-05-23T14:35:23Z",
        "created_at": "2019-05-23T14:31:36.039365",
        "operation_type": ["backup", "restore", "replication"][i % 3],
        "vault_name": None,
        "project_id": "04f1829c788037ac2fb8c01eb2b04b95",
        "policy_id": None,
    }

def page(records):
    logs = [record(i) for i in range(records)]
    return {"count": records, "operation_logs": logs}

compact = lambda value: json.dumps(value, separators=(",", ":"))

with open(os.path.join(work, "empty-objects.ndjson"), "w") as f:
    f.write("{}\n" * 1_000_000)

line = compact(page(1000)) + "\n"
with open(os.path.join(work, "pages.ndjson"), "w") as f:
    for _ in range(max(1, pages_mb * 1024 * 1024 // len(line))):
        f.write(line)

with open(os.path.join(work, "valid-48mb.json"), "w") as f:
    f.write(compact(page(60_000)))

hostile = page(30_000)
hostile["operation_logs"][0]["checkpoint_id"] = "@ARRAY@"
text = compact(hostile).replace('"@ARRAY@"', "[" + ",".join(['{"a":1}'] * 1_500_000) + "]")
with open(os.path.join(work, "hostile-37mb.json"), "w") as f:
    f.write(text)
EOF
ls -l "$work" | awk 'NR > 1 { printf "  %-22s %6.1f MB\n", $9, $5 / 1e6 }'

# Runs `validate` RUNS times; prints the smallest peak RSS (MiB), the shortest wall time and the
# exit code.
measure() {
  local bin=$1; shift
  local best_rss="" best_wall="" code=0
  for _ in $(seq "$runs"); do
    set +e
    /usr/bin/time -f "%M %e" -o "$work/time" "$bin" validate --api cbr "$@" >/dev/null 2>"$work/stderr"
    code=$?
    set -e
    # GNU time puts "Command exited with non-zero status N" first when it did.
    read -r rss wall < <(tail -n 1 "$work/time")
    if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
    if [ -z "$best_wall" ] || awk "BEGIN { exit !($wall < $best_wall) }"; then best_wall=$wall; fi
  done
  printf "%8.1f MiB | %7.2f s | %d" "$(awk "BEGIN { print $best_rss / 1024 }")" "$best_wall" "$code"
}

for bin in "${bins[@]}"; do
  echo
  echo "== $bin =="
  echo "| input | format | peak RSS | wall | exit |"
  echo "|---|---|---|---|---|"
  for input in empty-objects.ndjson pages.ndjson; do
    for format in text json junit; do
      echo "| $input | $format | $(measure "$bin" --ndjson --format "$format" "$work/$input") |"
    done
  done
  for input in valid-48mb.json hostile-37mb.json; do
    echo "| $input | text | $(measure "$bin" "$work/$input") |"
  done
done
