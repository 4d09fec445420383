// The ajv side of benches/compare_ajv.sh, and the corpus it times both CLIs on.
//
//   node benches/ajv_bench.mjs inprocess PAGES_DIR [SECONDS]
//       For cbr and ocp: compile the published 200 response schema once (ajv/dist/2020, strict,
//       ajv-formats, the options .ci/crosscheck.mjs uses, ajv's default first-error mode), then
//       time JSON.parse + validate of PAGES_DIR/{api}_1000.json (the bytes the criterion bench
//       wrote). Prints one JSON line per API: {"api", "ops_per_s", "bytes"}.
//   node benches/ajv_bench.mjs corpus PAGES_DIR OUT_DIR COUNT
//       Writes COUNT small CBR pages (1 to 3 records cut from the 1,000-record page) to OUT_DIR.
//   node benches/ajv_bench.mjs large PAGES_DIR OUT_FILE MEGABYTES
//       Writes one valid CBR page of at least MEGABYTES MB (the page's records repeated).
//
// Run from the repository root; ajv comes from .ci/node_modules (npm ci --prefix .ci).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(new URL("../.ci/package.json", import.meta.url));
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const SCHEMAS = {
  cbr: "schemas/cbr/v2/responses/list_op_logs/200.json",
  ocp: "schemas/ocp/v2/responses/list_log_backup_tasks/200.json",
};

function compile(api) {
  // The options of .ci/crosscheck.mjs (its comment gives the reason for each relaxation), minus
  // allErrors: ajv's default stops at the first error, its fastest mode.
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, strictRequired: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMAS[api], "utf8")));
}

function inprocess(pagesDir, seconds) {
  for (const api of ["cbr", "ocp"]) {
    const validate = compile(api);
    const bytes = readFileSync(join(pagesDir, `${api}_1000.json`));
    const once = () => validate(JSON.parse(bytes.toString("utf8")));
    if (!once()) throw new Error(`${api}: the page is invalid: ${JSON.stringify(validate.errors)}`);
    // Warm up until the JIT has settled, then count whole iterations in the timed window.
    const warmUntil = performance.now() + 2000;
    while (performance.now() < warmUntil) once();
    let ops = 0;
    const start = performance.now();
    const until = start + seconds * 1000;
    let now = start;
    while (now < until) {
      for (let i = 0; i < 10; i++) once();
      ops += 10;
      now = performance.now();
    }
    const opsPerS = ops / ((now - start) / 1000);
    console.log(JSON.stringify({ api, ops_per_s: opsPerS, bytes: bytes.length }));
  }
}

function records(pagesDir) {
  return JSON.parse(readFileSync(join(pagesDir, "cbr_1000.json"), "utf8")).operation_logs;
}

function corpus(pagesDir, outDir, count) {
  const logs = records(pagesDir);
  mkdirSync(outDir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const k = 1 + (i % 3);
    const page = logs.slice(i % 997, (i % 997) + k);
    writeFileSync(
      join(outDir, `${String(i).padStart(5, "0")}.json`),
      JSON.stringify({ count: page.length, operation_logs: page }),
    );
  }
}

function large(pagesDir, outFile, megabytes) {
  const logs = records(pagesDir);
  const one = JSON.stringify(logs[0]).length + 1;
  const n = Math.ceil((megabytes * 1024 * 1024) / one);
  const all = Array.from({ length: n }, (_, i) => logs[i % logs.length]);
  writeFileSync(outFile, JSON.stringify({ count: all.length, operation_logs: all }));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "inprocess") inprocess(args[0], Number(args[1] ?? 5));
else if (mode === "corpus") corpus(args[0], args[1], Number(args[2]));
else if (mode === "large") large(args[0], args[1], Number(args[2]));
else {
  console.error("usage: ajv_bench.mjs inprocess|corpus|large ...");
  process.exit(2);
}
