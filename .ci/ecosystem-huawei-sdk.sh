#!/usr/bin/env bash
# Ecosystem check 3: Huawei's own Python CBR SDK (huaweicloudsdkcbr and huaweicloudsdkcore,
# pinned in .ci/requirements-ecosystem.txt) lists every operation log from the mock with AK/SK,
# is refused with a wrong secret (401), and its signer re-computes the Authorization header our
# client sends (plain, every filter, reserved and non-ASCII characters in query values, a space,
# a security token). A mock or client change that breaks the vendor's SDK fails here, naming the
# tool and the step.
# Usage: .ci/ecosystem-huawei-sdk.sh BINARY VENV   (run from the repository root)
set -euo pipefail
bin=$1
venv=$2
tool=huaweicloudsdkcbr
stage=setup
fail() { echo "$tool: $stage: $*" >&2; exit 1; }
trap 'echo "$tool: $stage: failed (line $LINENO)" >&2' ERR
. .ci/ecosystem/mock.sh

# Test keys for the local mock only.
access_key=ECOSYSTEMCHECKAK
secret_key=ecosystem-check-secret-key
records=${RECORDS:-250}

stage="start the mock with AK/SK"
start_mock "$bin" --records "$records" --seed 7 \
  --cbr-access-key "$access_key" --cbr-secret-key "$secret_key"
echo "mock at $MOCK_URL"

stage="list, refuse a wrong secret, re-compute our signatures"
"$venv/bin/python" .ci/ecosystem/huawei_sdk.py "$bin" "$MOCK_URL" "$access_key" "$secret_key" "$records"
