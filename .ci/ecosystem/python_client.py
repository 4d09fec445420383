"""Lists every record of both APIs from the mock through clients openapi-python-client generated
from the specs, page by page, and checks them against `backup-task-api list --all`: the same
number of records as the mock serves (its --records plus the specs' 200 examples), and the same
records, field by field.

Usage: python_client.py GENERATED_DIR MOCK_URL BINARY RECORDS   (from .ci/ecosystem-python-client.sh)
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

TOOL = "openapi-python-client"
CBR_PROJECT = "04f1829c788037ac2fb8c01eb2b04b95"  # the mock's project (the reference example's)
OCP_CLUSTER, OCP_TENANT = 1000005, 1000012  # the mock's cluster and tenant
PAGE = 100  # small enough that several pages are listed


def fail(step: str, message: str) -> None:
    raise SystemExit(f"{TOOL}: {step}: {message}")


def canonical(value):
    """A record as comparable JSON: absent, null and [] members alike (the Rust reader leaves out
    null and empty optional members, DISCREPANCIES.md N1/N2), integral numbers as integers (N3)."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def documented_examples(spec: str, pointer: tuple) -> int:
    """How many records the 200 examples of a spec hold (the mock serves them besides --records)."""
    document = yaml.safe_load(Path(spec).read_text(encoding="utf-8"))
    count = 0
    for path in document["paths"].values():
        content = path["get"]["responses"]["200"]["content"]["application/json"]
        for example in content.get("examples", {}).values():
            value = example["value"]
            for key in pointer:
                value = value[key]
            count += len(value)
    return count


def rust_list(binary: str, args: list, env: dict, step: str) -> list:
    run = subprocess.run(
        [binary, "list", *args, "--all", "--format", "ndjson"],
        capture_output=True, text=True, env={**os.environ, **env}, check=False,
    )
    if run.returncode != 0:
        fail(step, f"backup-task-api list failed: {run.stderr.strip()}")
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


def compare(step: str, ours: list, theirs: list, expected: int, key) -> None:
    if len(theirs) != expected:
        fail(step, f"the generated client listed {len(theirs)} records; the mock serves {expected}")
    if len(ours) != expected:
        fail(step, f"backup-task-api list got {len(ours)} records; the mock serves {expected}")
    mine = sorted(json.dumps(canonical(r), sort_keys=True) for r in ours)
    generated = sorted(json.dumps(canonical(r), sort_keys=True) for r in theirs)
    if mine != generated:
        differing = next(
            (a, b) for a, b in zip(mine, generated) if a != b
        )
        fail(step, f"records differ; first difference:\n  backup-task-api: {differing[0]}\n"
                   f"  generated client: {differing[1]}")
    print(f"{TOOL}: {step}: {len(theirs)} records, the same as backup-task-api list ({key})")


def list_cbr(url: str, binary: str, expected: int) -> None:
    step = "list CBR operation logs with the generated client"
    from cbr_client import AuthenticatedClient
    from cbr_client.api.tasks import list_op_logs
    from cbr_client.models import ListOpLogsResponse

    client = AuthenticatedClient(
        base_url=url, token="ecosystem-check", prefix="", auth_header_name="X-Auth-Token",
        raise_on_unexpected_status=True,
    )
    records, offset, pages = [], 0, 0
    while True:
        try:
            response = list_op_logs.sync_detailed(
                project_id=CBR_PROJECT, client=client, limit=PAGE, offset=offset
            )
        except Exception as e:  # the generated model rejected the page, or the request failed
            fail(step, f"page at offset {offset}: {type(e).__name__}: {e}")
        if response.status_code != 200 or not isinstance(response.parsed, ListOpLogsResponse):
            fail(step, f"page at offset {offset}: HTTP {response.status_code}: {response.content[:300]!r}")
        logs = response.parsed.operation_logs
        records.extend(log.to_dict() for log in logs)
        pages += 1
        if len(logs) < PAGE:
            break
        offset += len(logs)
    if pages < 2:
        fail(step, f"only {pages} page(s): paging was not exercised")
    ours = rust_list(
        binary,
        ["cbr", "--endpoint", url, "--project-id", CBR_PROJECT, "--limit", str(PAGE)],
        {"CBR_AUTH_TOKEN": "ecosystem-check"},
        step,
    )
    ids = [r["id"] for r in records]
    if len(set(ids)) != len(ids):
        fail(step, "a record came twice")
    compare(step, ours, records, expected, f"{pages} pages")


def list_ocp(url: str, binary: str, expected: int) -> None:
    step = "list OCP log backup tasks with the generated client"
    from ocp_client import Client
    from ocp_client.api.backup import list_log_backup_tasks
    from ocp_client.models import LogBackupTaskPageResponse

    client = Client(
        base_url=url, httpx_args={"auth": ("admin", "admin")}, raise_on_unexpected_status=True
    )
    records, page = [], 1
    while True:
        try:
            response = list_log_backup_tasks.sync_detailed(
                id=OCP_CLUSTER, tenant_id=OCP_TENANT, client=client, page=page, size=PAGE
            )
        except Exception as e:  # the generated model rejected the page, or the request failed
            fail(step, f"page {page}: {type(e).__name__}: {e}")
        body = response.parsed
        if response.status_code != 200 or not isinstance(body, LogBackupTaskPageResponse):
            fail(step, f"page {page}: HTTP {response.status_code}: {response.content[:300]!r}")
        records.extend(task.to_dict() for task in body.data.contents)
        if page >= body.data.page.total_pages or len(body.data.contents) < PAGE:
            break
        page += 1
    if page < 2:
        fail(step, f"only {page} page(s): paging was not exercised")
    ours = rust_list(
        binary,
        ["ocp", "--endpoint", url, "--cluster-id", str(OCP_CLUSTER),
         "--tenant-id", str(OCP_TENANT)],
        {"OCP_USERNAME": "admin", "OCP_PASSWORD": "admin"},
        step,
    )
    compare(step, ours, records, expected, f"{page} pages")


def main() -> None:
    generated, url, binary, records = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    sys.path.insert(0, generated)
    list_cbr(url, binary, records + documented_examples(
        "openapi/cbr-operation-logs.yaml", ("operation_logs",)))
    list_ocp(url, binary, records + documented_examples(
        "openapi/ocp-log-backup-tasks.yaml", ("data", "contents")))


if __name__ == "__main__":
    main()
