"""Cross-check of the published schemas with Python jsonschema (Draft 2020-12).

Every file in schemas/ must pass Draft202012Validator.check_schema, and every contract fixture in
tests/fixtures/{cbr,ocp}/{valid,invalid}/ must get the verdict its directory states, validated
(with format checking) against the published file for its target, found through
schemas/index.json. References are resolved through a registry holding every published file by
its $id, so nothing is fetched. Exits 1 on any disagreement.

Usage: python .ci/crosscheck.py [SCHEMAS_DIR] [FIXTURES_DIR]   (run from the repository root)
"""

import json
import sys
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def main() -> int:
    schemas_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")
    fixtures_dir = Path(sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures")
    index = json.loads((schemas_dir / "index.json").read_text(encoding="utf-8"))

    documents = {}
    for file in index["files"]:
        if file.endswith(".json") and file != "index.json":
            document = json.loads((schemas_dir / file).read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(document)  # raises SchemaError on a bad schema
            documents[file] = document
    registry = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc, default_specification=DRAFT202012))
        for doc in documents.values()
    )
    validators = {
        file: Draft202012Validator(
            doc, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        for file, doc in documents.items()
    }
    print(f"python jsonschema: {len(validators)} schema files pass check_schema (Draft 2020-12)")

    def schema_file(api: str, target: dict):
        entry = index["apis"][api]
        if "schema" in target:
            return entry["components"].get(target["schema"], {}).get("file")
        for statuses in entry["responses"].values():
            found = statuses.get(str(target["status"]))
            if found:
                return found["file"]
        return None

    checked = 0
    disagreements = []
    for api in sorted(index["apis"]):
        for verdict in ("valid", "invalid"):
            for path in sorted((fixtures_dir / api / verdict).glob("*.json")):
                fixture = json.loads(path.read_text(encoding="utf-8"))
                file = schema_file(api, fixture["target"])
                if file is None:
                    disagreements.append(f"{path}: no published schema for {fixture['target']}")
                    continue
                validator = validators[file]
                if "raw" in fixture:
                    # Text that does not parse is invalid for every reader, as for the contract.
                    try:
                        instance = json.loads(fixture["raw"])
                    except ValueError:
                        errors = ["not JSON"]
                    else:
                        errors = [e.message for e in validator.iter_errors(instance)]
                else:
                    errors = [e.message for e in validator.iter_errors(fixture["instance"])]
                checked += 1
                valid = not errors
                if valid != (verdict == "valid"):
                    said = "valid" if valid else f"invalid {errors}"
                    disagreements.append(f"{path}: python jsonschema says {said} against {file}")
    for d in disagreements:
        print(f"DISAGREE {d}", file=sys.stderr)
    print(
        f"python jsonschema: {checked} fixture cases checked, {len(disagreements)} disagreements"
    )
    print(f"{checked - len(disagreements)} passed, {len(disagreements)} failed")
    return 0 if not disagreements else 1


if __name__ == "__main__":
    sys.exit(main())
