#!/usr/bin/env bash
# Ecosystem check 2: openapi-typescript (pinned in .ci/package-lock.json) generates TypeScript
# types from each spec, and .ci/ecosystem/types-usage.ts, code a consumer would write against
# them, compiles with `tsc --strict --noEmit` (TypeScript pinned there too). A spec change that
# breaks the generator or such code fails here, naming the tool and the step.
# Usage: .ci/ecosystem-typescript.sh   (run from the repository root, after `npm ci --prefix .ci`)
set -euo pipefail
tool=openapi-typescript
stage=setup
fail() { echo "$tool: $stage: $*" >&2; exit 1; }
trap 'echo "$tool: $stage: failed (line $LINENO)" >&2' ERR
bin=.ci/node_modules/.bin

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for api in cbr ocp; do
  case $api in
    cbr) spec=openapi/cbr-operation-logs.yaml ;;
    ocp) spec=openapi/ocp-log-backup-tasks.yaml ;;
  esac
  stage="generate types from $spec"
  if ! log=$("$bin/openapi-typescript" "$spec" --output "$work/$api.ts" 2>&1); then
    echo "$log" >&2
    fail "the generator exited non-zero"
  fi
  echo "$log" | tail -n 1
done

tool=tsc
stage="compile .ci/ecosystem/types-usage.ts against the generated types (--strict)"
cp .ci/ecosystem/types-usage.ts "$work/"
if ! "$bin/tsc" --strict --noEmit --target es2022 --module esnext --moduleResolution bundler \
    "$work/types-usage.ts"; then
  fail "code written against the published specs no longer compiles (errors above)"
fi
echo "$tool: $stage: ok ($("$bin/tsc" --version))"
