#!/usr/bin/env python3
"""Requests signed by botocore (an independent SigV4 implementation) are accepted by the
emulator, and a tampered one is refused.

Usage (needs `pip install botocore`; a running emulator):

    python server/tests/botocore_check.py --endpoint http://127.0.0.1:PORT \
        [--access-key-id AK] [--secret-access-key SK] [--api-key KEY]

Defaults are the emulator's public dev credentials. Exit status 0 when every check
passes; prints one line per check and a closing "N passed, N failed" line.
`cargo test -p necid-server --test botocore -- --ignored` runs it against an in-process
emulator with the interpreter named by NECID_PYTHON.
"""

import argparse
import base64
import json
import struct
import sys
import urllib.error
import urllib.request
import zlib

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = "ap-southeast-2"
SERVICE = "execute-api"


def png(width, height, seed):
    """A small RGB PNG with a smooth pattern (valid input for the deterministic engine)."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            row += bytes(((x * 7 + seed) % 256, (y * 5 + seed * 3) % 256, ((x + y) * 3) % 256))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def send(args, method, path, body=None, api_key=True, token=None, tamper=None):
    url = args.endpoint.rstrip("/") + path
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if api_key:
        headers["x-api-key"] = args.api_key
    data = json.dumps(body).encode() if body is not None else None
    request = AWSRequest(method=method, url=url, data=data, headers=headers)
    creds = Credentials(args.access_key_id, args.secret_access_key, token)
    SigV4Auth(creds, SERVICE, REGION).add_auth(request)
    prepared = request.prepare()
    send_body = prepared.body
    if tamper is not None:
        send_body = tamper(send_body)
    req = urllib.request.Request(prepared.url, data=send_body, method=method, headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--access-key-id", default="AKIDNECIDEMULATOR0001")
    parser.add_argument("--secret-access-key", default="necid-emulator-secret-key")
    parser.add_argument("--api-key", default="necid-emulator-api-key")
    args = parser.parse_args()

    face = base64.b64encode(png(48, 48, 11)).decode()
    checks = []

    def check(name, got, want_status, predicate=lambda body: True):
        status, body = got
        ok = status == want_status and predicate(body)
        checks.append(ok)
        print(("ok     " if ok else "FAILED ") + f"{name}: {status} {json.dumps(body)[:200]}")

    check("GET list tags", send(args, "GET", "/v1.1/tags"), 200, lambda b: isinstance(b, list))
    check("POST create tag with an encoded space", send(args, "POST", "/v1.1/tags/boto%20core"), 200)
    check("GET list tags has it", send(args, "GET", "/v1.1/tags"), 200, lambda b: "boto core" in b)
    check(
        "POST register subject (JSON body)",
        send(args, "POST", "/v1.1/subjects", {"face": face, "tags": ["boto core"]}),
        201,
        lambda b: bool(b.get("id")),
    )
    check(
        "GET list subjects with a sorted query",
        send(args, "GET", "/v1.1/subjects?start=0&length=10&dir=desc"),
        200,
        lambda b: b["total"] >= 1,
    )
    check("POST extract", send(args, "POST", "/v1.1/face/extract", {"faces": face, "limit": 1}), 200)
    check(
        "GET with a session token (signed x-amz-security-token)",
        send(args, "GET", "/v1.1/tags", token="FQoGZXIvYXdzEXAMPLETOKEN"),
        200,
    )
    check("GET tenant API without an API key", send(args, "GET", "/api/galleries", api_key=False), 200)
    check(
        "tampered body is refused",
        send(args, "POST", "/v1.1/face/extract", {"faces": face}, tamper=lambda b: b.replace(b"faces", b"facez")),
        403,
        lambda b: "signature" in b["message"],
    )
    check("DELETE tag", send(args, "DELETE", "/v1.1/tags/boto%20core"), 200)

    passed = sum(checks)
    print(f"{passed} passed, {len(checks) - passed} failed")
    return 0 if passed == len(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
