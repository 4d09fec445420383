#!/usr/bin/env bash
# Conformance of the mock with both specs, checked by a peer tool: Schemathesis (all checks,
# fixed seed) against `backup-task-api mock`. Usage: .ci/schemathesis.sh BINARY PYTHON_VENV
set -euo pipefail
bin=$1
venv=$2
"$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.*'

out=$(mktemp)
# The CBR token is pinned so that Schemathesis's invalid-credential probes are refused (by default
# the mock, like a permissive gateway stub, takes any token).
"$bin" mock --addr 127.0.0.1:0 --records 200 --seed 7 --cbr-token schemathesis-token >"$out" 2>/dev/null &
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 50); do
  [ -s "$out" ] && break
  sleep 0.1
done
url=$(head -n 1 "$out")
[ -n "$url" ] || { echo "the mock did not start" >&2; exit 1; }
echo "mock at $url"

# No example database: every run starts from the seed alone, on any machine.
st() { "$venv/bin/schemathesis" run "$@" --url "$url" --checks all --seed "${SEED:-7}" --max-examples 100 --generation-database none --no-color; }
st openapi/cbr-operation-logs.yaml -H "X-Auth-Token: schemathesis-token"
st openapi/ocp-log-backup-tasks.yaml --auth admin:admin
