#!/usr/bin/env bash
# The contract check beside ajv on this machine, same bytes, same published schema files.
#
#   benches/compare_ajv.sh          (from anywhere; not run by CI)
#
# 1. In-process: parse + validate of a 1,000-record page per API. Rust: criterion
#    (`cargo bench --bench contract`, Contract::check_bytes: simd-json tape validated in place); ajv: benches/ajv_bench.mjs
#    (ajv/dist/2020 compiled once, strict, ajv-formats, JSON.parse + validate) on the bytes the
#    criterion bench wrote. Reports ops/s for both and the ratio.
# 2. Whole process: `backup-task-api validate` (release build) over a corpus of 10,000 small CBR
#    pages beside ajv-cli (`--spec=draft2020 -c ajv-formats`, the same strict options) on the same
#    files, with hyperfine if installed (apt-get install hyperfine), else `date +%s%N`.
# 3. One 50 MB page, both CLIs, the same way.
#
# Environment: CORPUS (default 10000) files, SECONDS_PER_API (default 5) for ajv's timed window,
# BASELINE_BIN (optional): an older build of backup-task-api, timed beside the current one in 2.
# and 3., so before and after come from the same run.
set -euo pipefail
cd "$(dirname "$0")/.."

corpus_size=${CORPUS:-10000}
seconds=${SECONDS_PER_API:-5}
target_dir=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "node $(node --version), $(cargo --version)"
[ -d .ci/node_modules/ajv-cli ] || npm ci --prefix .ci
cargo build --release --quiet
bin="$target_dir/release/backup-task-api"

echo
echo "== in-process: parse + validate of a 1,000-record page =="
CONTRACT_BENCH_PAGES="$work" cargo bench --quiet --bench contract -- --noplot >"$work/criterion.log" 2>&1 \
  || { cat "$work/criterion.log"; exit 1; }
node benches/ajv_bench.mjs inprocess "$work" "$seconds" >"$work/ajv.jsonl"
node - "$target_dir" "$work/ajv.jsonl" <<'EOF'
const fs = require("node:fs");
const [targetDir, ajvFile] = process.argv.slice(2);
const ajv = Object.fromEntries(
  fs.readFileSync(ajvFile, "utf8").trim().split("\n").map((l) => JSON.parse(l)).map((r) => [r.api, r]),
);
const ns = (api, fn) =>
  JSON.parse(fs.readFileSync(`${targetDir}/criterion/contract_${api}_1000/${fn}/new/estimates.json`, "utf8"))
    .mean.point_estimate;
console.log("| API | page | backup-task-api check_bytes | (simd-json tape parse / serde_json Value parse) | ajv parse+validate | ratio |");
console.log("|---|---|---|---|---|---|");
for (const api of ["cbr", "ocp"]) {
  const rust = 1e9 / ns(api, "check_bytes");
  const tape = ns(api, "parse_fast") / 1e3;
  const value = ns(api, "parse") / 1e3;
  const a = ajv[api].ops_per_s;
  console.log(
    `| ${api} | ${(ajv[api].bytes / 1024).toFixed(0)} KiB | ${rust.toFixed(0)} ops/s | ` +
      `${tape.toFixed(0)} µs / ${value.toFixed(0)} µs | ${a.toFixed(0)} ops/s | ${(rust / a).toFixed(2)}x |`,
  );
}
EOF

ajv_cli=(node .ci/node_modules/ajv-cli/dist/index.js validate --spec=draft2020 -c ajv-formats
  --strict=true --allow-union-types --strict-required=false
  -s schemas/cbr/v2/responses/list_op_logs/200.json)

# Times each "name=command" pair; hyperfine when available.
time_both() {
  local runs=$1; shift
  if command -v hyperfine >/dev/null; then
    local args=()
    for pair in "$@"; do args+=(-n "${pair%%=*}" "${pair#*=}"); done
    hyperfine --style basic --warmup 1 --runs "$runs" "${args[@]}"
  else
    for pair in "$@"; do
      local start end
      start=$(date +%s%N)
      for _ in $(seq "$runs"); do bash -c "${pair#*=}" >/dev/null 2>&1; done
      end=$(date +%s%N)
      echo "${pair%%=*}: $(( (end - start) / runs / 1000000 )) ms per run (mean of $runs)"
    done
  fi
}

echo
echo "== whole process: $corpus_size small CBR pages =="
node benches/ajv_bench.mjs corpus "$work" "$work/corpus" "$corpus_size"
# Both must agree that every file is valid before their times mean anything.
"$bin" validate --api cbr "$work/corpus" >/dev/null
"${ajv_cli[@]}" -d "$work/corpus/*.json" >/dev/null 2>&1
baseline=()
[ -n "${BASELINE_BIN:-}" ] && baseline=("baseline=$BASELINE_BIN validate --api cbr $work/corpus")
time_both 5 "${baseline[@]}" \
  "backup-task-api=$bin validate --api cbr $work/corpus" \
  "ajv-cli=${ajv_cli[*]} -d '$work/corpus/*.json'"

echo
echo "== whole process: one 50 MB CBR page =="
node benches/ajv_bench.mjs large "$work" "$work/large.json" 50
ls -l "$work/large.json" | awk '{print $5 " bytes"}'
"$bin" validate --api cbr "$work/large.json" >/dev/null
baseline=()
[ -n "${BASELINE_BIN:-}" ] && baseline=("baseline=$BASELINE_BIN validate --api cbr $work/large.json")
time_both 3 "${baseline[@]}" \
  "backup-task-api=$bin validate --api cbr $work/large.json" \
  "ajv-cli=${ajv_cli[*]} -d $work/large.json"
