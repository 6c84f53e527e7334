"""Python side of bench/run: necid vs botocore SigV4Auth / awscrt, end to end, memory.

Prints one JSON object on stdout. Subcommands:

  sign [--secs S] [--quick]                         signatures/s per body size
  e2e  --ready F --probe P [--secs S] [--inflight 1,8,64]
  rss  --ready F --image P --inflight K --client necid|botocore

Loops are bounded by time (a few seconds each) and implementations are interleaved
round by round, so load from other processes affects them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import io
import json
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import necid

REGION = "ap-southeast-2"
SERVICE = "execute-api"
AKID = "AKIDNECIDEMULATOR0001"
SECRET = "necid-emulator-secret-key"
API_KEY = "necid-emulator-api-key"
SIGN_URL = "http://127.0.0.1:8080/v1.1/face/extract"
SIZES = [0, 1024, 100 * 1024, 2 * 1024 * 1024]


def body_of(size: int) -> bytes:
    # Same length as the Rust/Node bodies; content does not matter for hashing speed.
    return (b"ABCDEFGHIJKLMNOPQRSTUVWXYZ" * (size // 26 + 1))[:size]


def rate(budget: float, f: Callable[[], Any]) -> float:
    """Calls per second of ``f`` over at least ``budget`` seconds (after one warm-up)."""
    f()
    start = time.perf_counter()
    n, batch = 0, 1
    while True:
        for _ in range(batch):
            f()
        n += batch
        el = time.perf_counter() - start
        if el >= budget:
            return n / el
        if el < budget / 8:
            batch *= 2


# --------------------------------------------------------------------------------------
# signing


def sign_bench(secs: float, quick: bool) -> dict[str, Any]:
    from awscrt import auth as crt_auth
    from awscrt import http as crt_http
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    client = necid.Client(
        endpoint="http://127.0.0.1:8080",
        region=REGION,
        access_key_id=AKID,
        secret_access_key=SECRET,
        api_key=API_KEY,
    )
    boto = SigV4Auth(Credentials(AKID, SECRET), SERVICE, REGION)
    crt_creds = crt_auth.AwsCredentialsProvider.new_static(AKID, SECRET)
    crt_config = crt_auth.AwsSigningConfig(
        algorithm=crt_auth.AwsSigningAlgorithm.V4,
        signature_type=crt_auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
        credentials_provider=crt_creds,
        region=REGION,
        service=SERVICE,
    )
    headers = [("content-type", "application/json")]
    rounds = 1 if quick else 3
    budget = secs / rounds
    rows = []
    for size in SIZES:
        body = body_of(size)

        def s_necid(body: bytes = body) -> None:
            client.sign_request("POST", SIGN_URL, headers, body)

        def s_boto(body: bytes = body) -> None:
            req = AWSRequest(
                method="POST",
                url=SIGN_URL,
                data=body,
                headers={"content-type": "application/json", "x-api-key": API_KEY},
            )
            boto.add_auth(req)

        def s_crt(body: bytes = body) -> None:
            req = crt_http.HttpRequest(
                "POST",
                "/v1.1/face/extract",
                crt_http.HttpHeaders(
                    [
                        ("host", "127.0.0.1:8080"),
                        ("content-type", "application/json"),
                        ("x-api-key", API_KEY),
                    ]
                ),
                io.BytesIO(body),
            )
            crt_auth.aws_sign_request(req, crt_config).result()

        def s_sha(body: bytes = body) -> None:
            hashlib.sha256(body).hexdigest()

        def s_sha_b64(body: bytes = body) -> None:
            base64.b64encode(hashlib.sha256(body).digest())
            base64.b64encode(body)

        impls = {
            "necid": s_necid,
            "botocore": s_boto,
            "awscrt": s_crt,
            "sha256": s_sha,
            "sha256+base64": s_sha_b64,
        }
        best = dict.fromkeys(impls, 0.0)
        for _ in range(rounds):
            for name, f in impls.items():
                best[name] = max(best[name], rate(budget, f))
        rows.append({"size": size, **best})
    return {"lang": "python", "sign": rows}


# --------------------------------------------------------------------------------------
# end to end


def summary(inflight: int, lat: list[float], errors: int, elapsed: float, cpu: float) -> dict[str, Any]:
    lat.sort()

    def pct(p: float) -> float:
        if not lat:
            return 0.0
        i = min(max(math.ceil(len(lat) * p), 1), len(lat)) - 1
        return lat[i] * 1e3

    return {
        "inflight": inflight,
        "requests": len(lat),
        "errors": errors,
        "rps": len(lat) / elapsed,
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        # This process's CPU time (every thread: Python's and the SDK's runtime) per
        # completed request: the client's own cost, whatever the server's latency.
        "cpu_us_per_req": cpu * 1e6 / len(lat) if lat else 0.0,
    }


def threaded(inflight: int, secs: float, make: Callable[[], Callable[[], None]]) -> dict[str, Any]:
    """``inflight`` threads, each with its own ``make()`` callable, looping until the deadline."""
    calls = [make() for _ in range(inflight)]
    for c in calls:  # warm-up: connections
        c()
    lats: list[list[float]] = [[] for _ in range(inflight)]
    errs = [0] * inflight
    cpu0 = time.process_time()
    start = time.perf_counter()
    deadline = start + secs

    def loop(i: int) -> None:
        f, out = calls[i], lats[i]
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            try:
                f()
            except Exception:
                errs[i] += 1
                continue
            out.append(time.perf_counter() - t)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(inflight)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    return summary(inflight, [x for xs in lats for x in xs], sum(errs), elapsed, cpu)


async def async_loop(inflight: int, secs: float, one: Callable[[], Any]) -> dict[str, Any]:
    await asyncio.gather(*(one() for _ in range(inflight)))  # warm-up
    lat: list[float] = []
    errors = 0
    cpu0 = time.process_time()
    start = time.perf_counter()
    deadline = start + secs

    async def loop() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            try:
                await one()
            except Exception:
                errors += 1
                continue
            lat.append(time.perf_counter() - t)

    await asyncio.gather(*(loop() for _ in range(inflight)))
    elapsed = time.perf_counter() - start
    return summary(inflight, lat, errors, elapsed, time.process_time() - cpu0)


def e2e(
    ready: dict[str, Any], probe: bytes, secs: float, levels: list[int], only: set[str] | None = None
) -> dict[str, Any]:
    import aiohttp
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    kw = {
        "endpoint": ready["endpoint"],
        "region": ready["region"],
        "access_key_id": ready["accessKeyId"],
        "secret_access_key": ready["secretAccessKey"],
        "api_key": ready["apiKey"],
    }
    url = ready["endpoint"].rstrip("/") + "/v1.1/face/extract"
    # Byte-identical to the body necid sends (no spaces).
    body = json.dumps({"faces": base64.b64encode(probe).decode()}, separators=(",", ":")).encode()
    boto = SigV4Auth(
        Credentials(ready["accessKeyId"], ready["secretAccessKey"]), SERVICE, ready["region"]
    )

    def signed_headers() -> dict[str, str]:
        req = AWSRequest(
            method="POST",
            url=url,
            data=body,
            headers={"content-type": "application/json", "x-api-key": ready["apiKey"]},
        )
        boto.add_auth(req)
        return dict(req.headers.items())

    out: dict[str, list[dict[str, Any]]] = {
        "necid sync (threads)": [],
        "necid AsyncClient": [],
        "requests+botocore (threads)": [],
        "aiohttp+botocore": [],
    }
    client = necid.Client(**kw)

    def make_necid() -> Callable[[], None]:
        def one() -> None:
            if not client.extract_faces(probe):
                raise RuntimeError("no face")

        return one

    def make_requests() -> Callable[[], None]:
        s = requests.Session()

        def one() -> None:
            r = s.post(url, data=body, headers=signed_headers())
            if r.status_code != 200:
                raise RuntimeError(r.text)

        return one

    async def run_async(n: int) -> dict[str, Any]:
        async with necid.AsyncClient(**kw) as ac:

            async def one() -> None:
                if not await ac.extract_faces(probe):
                    raise RuntimeError("no face")

            return await async_loop(n, secs, one)

    async def run_aiohttp(n: int) -> dict[str, Any]:
        conn = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=conn) as s:

            async def one() -> None:
                async with s.post(url, data=body, headers=signed_headers()) as r:
                    await r.read()
                    if r.status != 200:
                        raise RuntimeError(r.status)

            return await async_loop(n, secs, one)

    runs: dict[str, Callable[[int], dict[str, Any]]] = {
        "necid sync (threads)": lambda n: threaded(n, secs, make_necid),
        "necid AsyncClient": lambda n: asyncio.run(run_async(n)),
        "requests+botocore (threads)": lambda n: threaded(n, secs, make_requests),
        "aiohttp+botocore": lambda n: asyncio.run(run_aiohttp(n)),
    }
    if only:
        out = {k: v for k, v in out.items() if k in only}
    for n in levels:
        for name in out:
            out[name].append(runs[name](n))
    return {"lang": "python", "body_bytes": len(body), "e2e": out}


# --------------------------------------------------------------------------------------
# memory


def status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def rss(ready: dict[str, Any], image: bytes, k: int, which: str) -> dict[str, Any]:
    """Peak RSS added while ``k`` registrations of ``image`` run at once (threads)."""
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = ready["endpoint"].rstrip("/") + "/v1.1/subjects"
    if which == "necid":
        client = necid.Client(
            endpoint=ready["endpoint"],
            region=ready["region"],
            access_key_id=ready["accessKeyId"],
            secret_access_key=ready["secretAccessKey"],
            api_key=ready["apiKey"],
        )
        client.health()

        def make() -> Callable[[], None]:
            return lambda: client.register_subject(image)

    else:
        boto = SigV4Auth(
            Credentials(ready["accessKeyId"], ready["secretAccessKey"]), SERVICE, ready["region"]
        )

        def make() -> Callable[[], None]:
            s = requests.Session()
            s.get(ready["endpoint"].rstrip("/") + "/v1.1/health")

            def one() -> None:
                # What a botocore user writes: JSON with the base64 image, sign, send.
                data = json.dumps({"face": base64.b64encode(image).decode()}).encode()
                req = AWSRequest(
                    method="POST",
                    url=url,
                    data=data,
                    headers={"content-type": "application/json", "x-api-key": ready["apiKey"]},
                )
                boto.add_auth(req)
                r = s.post(url, data=data, headers=dict(req.headers.items()))
                if r.status_code != 201:
                    raise RuntimeError(f"{r.status_code} {r.text}")

            return one

    calls = [make() for _ in range(k)]
    base = status_kib("VmRSS:")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        reset = False
    errors: list[BaseException] = []

    def guarded(one: Callable[[], None]) -> None:
        try:
            one()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"register failed: {errors[0]}")
    peak = status_kib("VmHWM:")
    per = (peak - base) * 1024 / k
    return {
        "lang": "python",
        "rss": {
            "client": "necid sync" if which == "necid" else "requests+botocore",
            "inflight": k,
            "image_bytes": len(image),
            "baseline_rss": base * 1024,
            "peak_rss": peak * 1024,
            "peak_reset": reset,
            "bytes_per_inflight": per,
            "ratio_to_image": per / len(image),
        },
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["sign", "e2e", "rss"])
    p.add_argument("--secs", type=float, default=1.0)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--ready")
    p.add_argument("--probe")
    p.add_argument("--image")
    p.add_argument("--inflight", default="1,8,64")
    p.add_argument("--client", default="necid")
    p.add_argument("--clients", default="", help="e2e: only these clients (comma-separated names)")
    a = p.parse_args()
    if a.cmd == "sign":
        res = sign_bench(a.secs, a.quick)
    else:
        with open(a.ready) as f:
            ready = json.load(f)
        if a.cmd == "e2e":
            with open(a.probe, "rb") as f:
                probe = f.read()
            levels = [int(x) for x in a.inflight.split(",")]
            only = {c.strip() for c in a.clients.split(",") if c.strip()} or None
            res = e2e(ready, probe, a.secs, levels, only)
        else:
            with open(a.image, "rb") as f:
                image = f.read()
            res = rss(ready, image, int(a.inflight), a.client)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
