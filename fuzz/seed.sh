#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds from the project's own examples and fixtures (nothing is
# copied into git: the corpus is rebuilt from them), plus fuzz/corpus/json.dict, a libFuzzer
# dictionary of JSON tokens and the specs' property names. Run by fuzz/run.sh; safe to rerun (files
# are named by content hash, as libFuzzer names its own).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec python3 - "$root" <<'PY'
import glob, hashlib, json, os, re, sys

root = sys.argv[1]
corpus = os.path.join(root, "fuzz", "corpus")


def seed(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)


# Every contract fixture: its payload, for the contract (selector byte: bit 0 the API, bit 1 the
# error target) and for the typed decoder of its kind; its timestamp-like strings for `timestamp`.
timestamps = set()
for api, bit in (("cbr", 0), ("ocp", 1)):
    for path in sorted(glob.glob(os.path.join(root, "tests/fixtures", api, "*", "*.json"))):
        with open(path) as f:
            case = json.load(f)
        if "raw" in case:
            payload = case["raw"].encode()
        elif "instance" in case:
            payload = json.dumps(case["instance"]).encode()
        else:
            continue
        target = case.get("target", {})
        error = target.get("status", 200) != 200 or target.get("schema") in ("ErrorResponse", "ApiError")
        seed("contract_fast_path", bytes([bit | (2 if error else 0)]) + payload)
        seed(f"decode_{api}_{'error' if error else 'page'}", payload)
        timestamps.update(s for s in strings(case.get("instance")) if re.match(r"^\d{4}-\d", s))
    for path in glob.glob(os.path.join(root, "tests/fixtures/payloads", f"{api}-*.json")):
        with open(path, "rb") as f:
            payload = f.read()
        seed("contract_fast_path", bytes([bit]) + payload)
        seed(f"decode_{api}_page", payload)

for text in sorted(timestamps) + [
    "2019-05-23T14:35:23.584418", "2021-09-23T14:33:17.357+0800", "2020-02-23T01:00:32Z",
    "2020-01-01T00:00:00-05:30", "2020-01-01 00:00:00+08", "9999-12-31T23:59:59.999999999-23:59",
    "0000-01-01T00:00:00+23:59", "+262143-12-31T23:59:59Z",
]:
    seed("timestamp", text)

for text in [
    "1673946837\nretry-after: 7",
    "1673946837\nretry-after: Tue, 17 Jan 2023 09:14:07 GMT",
    "1673946837\nretry-after: Sun, 06 Nov 1994 08:49:37 GMT",
    "1673946837\nratelimit-reset: 3",
    "-1\nretry-after: soon\nratelimit-reset: 60",
    "0\nretry-after: Sunday, 06-Nov-94 08:49:37 GMT\nretry-after: 5",
]:
    seed("server_delay", text)

for text in [
    "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-project-id;x-sdk-date, Signature=ab12",
    "20060102T150405Z",
    "limit=1&enable=true&test=%E4%B8%80+%28%26%3D%3F%21%23%25.*%29&multi=3&multi=1",
    "/v3/04f1829c788037ac2fb8c01eb2b04b95/operation-logs",
    "/v3/a%20b%2Fc/x\nx-project-id: p\nX-Sdk-Date: 20240809T160602Z",
]:
    seed("cbr_signer", text)

for text in [
    "OCP-ACCESS-KEY-HMACSHA1 cqammmxBpfGjFlto:TsQD6HDOuZuJ409m0wdnZPmijlc=",
    "Tue, 17 Jan 2023 09:13:57 GMT",
    "Tuesday, 17-Jan-23 09:13:57 GMT",
    "Tue Jan 17 09:13:57 2023",
    "status=RUNNING,FAILED&startTime=2024-08-09T16%3A04%3A21%2B08%3A00&offset=+08:00&flag",
    "size=100\nx-ocp-data: A,1\nX-OCP-Zeta: z",
]:
    seed("ocp_signer", text)

for pattern in ("openapi/*.yaml", "tests/fixtures/diff/*/*.yaml", "schemas/*/releases/*"):
    for path in sorted(glob.glob(os.path.join(root, pattern))):
        with open(path, "rb") as f:
            seed("diff_load", f.read())

# The inputs kept as regression tests are seeds too.
for path in glob.glob(os.path.join(root, "tests/fixtures/fuzz/*/*")):
    with open(path, "rb") as f:
        seed(os.path.basename(os.path.dirname(path)), f.read())

# JSON tokens, and every property name the specs declare (a YAML key on its own line).
names = set()
for path in glob.glob(os.path.join(root, "openapi/*.yaml")):
    with open(path) as f:
        names.update(re.findall(r"^\s+([A-Za-z_][A-Za-z0-9_]*):\s*$", f.read(), re.M))
tokens = [b'{', b'}', b'[', b']', b':', b',', b'"', b'true', b'false', b'null', b'-0', b'1e308',
          b'0.5', b'\\u0000', b'\\ud800', b'""', b'\xef\xbb\xbf']
tokens += sorted(f'"{n}"'.encode() for n in names)


def dict_entry(token):
    # libFuzzer's dictionary syntax: a quoted string with \\, \" and \xNN escapes only.
    body = "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\x{b:02X}" for b in token)
    return f'"{body}"\n'


os.makedirs(corpus, exist_ok=True)
with open(os.path.join(corpus, "json.dict"), "w") as f:
    f.writelines(dict_entry(t) for t in tokens)

for target in sorted(os.listdir(corpus)):
    if os.path.isdir(os.path.join(corpus, target)):
        print(f"seeded {target}: {len(os.listdir(os.path.join(corpus, target)))} inputs")
PY
