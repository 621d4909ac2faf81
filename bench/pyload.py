"""A Python load generator, used only when `wrk` is not installed (or BENCH_LOADGEN=python).

One process per client, each sending one request at a time on a new connection (gunicorn's sync
workers close the connection after every answer anyway). It costs far more CPU per request than
wrk, which shares the machine's two cores with the server: rates measured with it are lower, and
the no-op rate most of all. bench/run installs wrk when it can.
"""

import http.client
import multiprocessing
import statistics
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PACKAGING_BODY = b'{"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}'


def _requests(kind: str, index: int, clients: int, params: dict[str, Any]):
    """The (method, path, body) this client sends, in order."""
    from bench.harness import NOOP_PATH

    if kind == "noop":
        path = params.get("path", NOOP_PATH)
        while True:
            yield "GET", path, None
    elif kind == "ingest":
        template = Path(params["template"]).read_text()
        pk = params["first_pk"] + index
        while True:
            yield "POST", "/api/v1/oms/omnitron/orders/", template.replace("@PK@", str(pk)).encode()
            pk += clients
    elif kind == "packaging":
        ids = Path(params["ids_file"]).read_text().split()[index::clients]
        for package_id in ids:
            yield "POST", f"/api/v1/oms/packages/{package_id}/command/", PACKAGING_BODY
        while True:
            yield "POST", "/api/v1/oms/packages/0/command/", PACKAGING_BODY
    else:
        raise ValueError(kind)


def _client(kind, url, token, start_at, stop_at, index, clients, params, queue) -> None:
    parts = urlsplit(url)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    counts = {"requests": 0, "errors_status": 0, "errors_connect": 0, "errors_read": 0, "bytes": 0}
    requests = _requests(kind, index, clients, params)
    time.sleep(max(0.0, start_at - time.time()))
    while time.time() < stop_at:
        method, path, body = next(requests)
        began = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            counts["bytes"] += len(response.read())
            connection.close()
        except ConnectionError:
            counts["errors_connect"] += 1
            continue
        except OSError:
            counts["errors_read"] += 1
            continue
        latencies.append(time.perf_counter() - began)
        counts["requests"] += 1
        if not 200 <= response.status < 400:
            counts["errors_status"] += 1
    queue.put((counts, latencies))


def pyload(*, kind: str, url: str, token: str, duration: float, connections: int, params: dict) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 2.0  # time for the clients to start
    stop_at = start_at + duration
    processes = [
        context.Process(
            target=_client, args=(kind, url, token, start_at, stop_at, index, connections, params, queue)
        )
        for index in range(connections)
    ]
    for process in processes:
        process.start()
    totals = {"requests": 0, "errors_status": 0, "errors_connect": 0, "errors_read": 0, "bytes": 0}
    latencies: list[float] = []
    for _ in processes:
        counts, client_latencies = queue.get(timeout=duration + 120)
        for key, value in counts.items():
            totals[key] += value
        latencies.extend(client_latencies)
    for process in processes:
        process.join()
    latencies.sort()

    def percentile(q: float) -> int:
        if not latencies:
            return 0
        return int(latencies[min(len(latencies) - 1, int(q / 100 * len(latencies)))] * 1e6)

    return {
        **totals,
        "errors_write": 0,
        "errors_timeout": 0,
        "duration_us": int(duration * 1e6),
        "latency_mean_us": statistics.fmean(latencies) * 1e6 if latencies else 0.0,
        "latency_p50_us": percentile(50),
        "latency_p90_us": percentile(90),
        "latency_p99_us": percentile(99),
        "latency_max_us": int(latencies[-1] * 1e6) if latencies else 0,
        "loadgen": "python",
    }
