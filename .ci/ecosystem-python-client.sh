#!/usr/bin/env bash
# Ecosystem check 1: openapi-python-client (pinned in .ci/requirements-ecosystem.txt) generates a
# client from each spec, and those clients list every record of the mock, page by page, with the
# same records `backup-task-api list --all` gets. A spec change that breaks the generator, or a
# mock response the generated models cannot read, fails here, naming the tool and the step.
# Usage: .ci/ecosystem-python-client.sh BINARY VENV   (run from the repository root)
set -euo pipefail
bin=$1
venv=$2
tool=openapi-python-client
stage=setup
fail() { echo "$tool: $stage: $*" >&2; exit 1; }
trap 'echo "$tool: $stage: failed (line $LINENO)" >&2' ERR
. .ci/ecosystem/mock.sh

venv_bin=$(cd "$venv/bin" && pwd)  # absolute: the generator runs its hooks in the output directory
work=$(mktemp -d)
cleanup_more() { rm -rf "$work"; }
records=${RECORDS:-250}

for api in cbr ocp; do
  case $api in
    cbr) spec=openapi/cbr-operation-logs.yaml ;;
    ocp) spec=openapi/ocp-log-backup-tasks.yaml ;;
  esac
  stage="generate a client from $spec"
  # The generator runs ruff on its output, so the venv's bin/ goes on PATH. Any warning means a
  # part of the spec the generator skipped: that is a failure, not noise.
  if ! log=$(PATH="$venv_bin:$PATH" "$venv_bin/openapi-python-client" generate --path "$spec" \
      --output-path "$work/${api}_client" --meta none 2>&1); then
    echo "$log" >&2
    fail "the generator exited non-zero"
  fi
  if grep -qi "warning\|error" <<<"$log"; then
    echo "$log" >&2
    fail "the generator warned (a part of the spec was skipped)"
  fi
done

stage="start the mock"
start_mock "$bin" --records "$records" --seed 7
echo "mock at $MOCK_URL"

stage="list every record with the generated clients"
"$venv/bin/python" .ci/ecosystem/python_client.py "$work" "$MOCK_URL" "$bin" "$records"
