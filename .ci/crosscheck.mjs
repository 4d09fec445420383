// Cross-check of the published schemas with ajv (strict mode, draft 2020-12, ajv-formats):
// every file in schemas/ must compile, and every contract fixture in tests/fixtures/{cbr,ocp}/
// {valid,invalid}/ must get the verdict its directory states, validated against the published
// file for its target (found through schemas/index.json). Exits 1 on any disagreement.
//
// Usage: node .ci/crosscheck.mjs [SCHEMAS_DIR] [FIXTURES_DIR]   (run from the repository root)
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const schemasDir = process.argv[2] ?? "schemas";
const fixturesDir = process.argv[3] ?? "tests/fixtures";
const index = JSON.parse(readFileSync(join(schemasDir, "index.json"), "utf8"));

// strict: true turns on every strict option (unknown keywords and formats, strictTypes,
// strictTuples, strictRequired). One relaxation, for valid 2020-12 that ajv's strict mode cannot
// see through: allowUnionTypes, because `type: ["string", "null"]` is how 2020-12 writes
// OpenAPI's `nullable` and strictTypes rejects union types unless allowed. CBR's ErrorResponse
// ("either pair", an anyOf of two `required` lists) names the properties each branch requires in
// that branch, so strictRequired holds without `strictRequired: false`.
const ajv = new Ajv2020({
  strict: true,
  allowUnionTypes: true,
  allErrors: true,
});
addFormats(ajv);

const files = index.files.filter((f) => f.endsWith(".json") && f !== "index.json");
for (const file of files) {
  ajv.addSchema(JSON.parse(readFileSync(join(schemasDir, file), "utf8")));
}
const validators = new Map();
for (const file of files) {
  const id = JSON.parse(readFileSync(join(schemasDir, file), "utf8")).$id;
  validators.set(file, ajv.getSchema(id)); // compiles; throws on a strict-mode violation
}
console.log(`ajv: ${validators.size} schema files compiled (strict, draft 2020-12)`);

function schemaFile(api, target) {
  const entry = index.apis[api];
  if (target.schema !== undefined) return entry.components[target.schema]?.file;
  for (const statuses of Object.values(entry.responses)) {
    const found = statuses[String(target.status)];
    if (found) return found.file;
  }
  return undefined;
}

let checked = 0;
const disagreements = [];
for (const api of Object.keys(index.apis).sort()) {
  for (const verdict of ["valid", "invalid"]) {
    const dir = join(fixturesDir, api, verdict);
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
      const path = join(dir, name);
      const fixture = JSON.parse(readFileSync(path, "utf8"));
      const file = schemaFile(api, fixture.target);
      if (!file) {
        disagreements.push(`${path}: no published schema for ${JSON.stringify(fixture.target)}`);
        continue;
      }
      let valid;
      if ("raw" in fixture) {
        // Text that does not parse is invalid for every reader, as it is for the contract.
        try {
          valid = validators.get(file)(JSON.parse(fixture.raw));
        } catch {
          valid = false;
        }
      } else {
        valid = validators.get(file)(fixture.instance);
      }
      checked += 1;
      if (valid !== (verdict === "valid")) {
        const errors = JSON.stringify(validators.get(file).errors ?? []);
        disagreements.push(`${path}: ajv says ${valid ? "valid" : "invalid"} against ${file} ${errors}`);
      }
    }
  }
}
for (const d of disagreements) console.error(`DISAGREE ${d}`);
console.log(`ajv: ${checked} fixture cases checked, ${disagreements.length} disagreements`);
console.log(`${checked - disagreements.length} passed, ${disagreements.length} failed`);
process.exit(disagreements.length === 0 ? 0 : 1);
