# Sourced by the .ci/ecosystem-*.sh checks: `start_mock BINARY [FLAGS...]` starts
# `backup-task-api mock` on a free port of 127.0.0.1 and sets MOCK_URL from its first stdout line;
# the mock is stopped when the script exits. A check may define `cleanup_more` for its own
# temporary files and processes. The caller defines `fail`.
mock_pid=
mock_out=
cleanup_more() { :; }
cleanup() {
  if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; fi
  if [ -n "$mock_out" ]; then rm -f "$mock_out"; fi
  cleanup_more || true
}
trap cleanup EXIT

start_mock() {
  local bin=$1
  shift
  mock_out=$(mktemp)
  "$bin" mock --addr 127.0.0.1:0 "$@" >"$mock_out" 2>/dev/null &
  mock_pid=$!
  for _ in $(seq 1 100); do
    [ -s "$mock_out" ] && break
    sleep 0.1
  done
  MOCK_URL=$(head -n 1 "$mock_out")
  [ -n "$MOCK_URL" ] || fail "the mock did not start ($bin mock $*)"
}
