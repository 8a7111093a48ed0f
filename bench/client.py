"""Load from outside: timed HTTP requests, from threads in several client processes.

Several processes, so that one Python process (and its GIL) does not cap the rates measured, the
`/healthz` baseline above all, and flatter the ratios to it.
"""

import http.client
import json
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field


@dataclass
class Load:
    """What one measurement saw."""

    # Wall-clock span of the work itself, from the first client's start to the last one's end
    # (not counting the start of the client processes).
    first_start: float = float("inf")
    last_end: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    @property
    def elapsed(self) -> float:
        return max(self.last_end - self.first_start, 0.0)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def percentile(self, p: float) -> float:
        """The latency under which `p` % of the requests answered, in ms."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def record(self, status: int, elapsed: float) -> None:
        self.statuses[status] += 1
        self.latencies.append(elapsed)

    def merge(self, other: "Load") -> None:
        self.statuses.update(other.statuses)
        self.latencies.extend(other.latencies)
        self.first_start = min(self.first_start, other.first_start)
        self.last_end = max(self.last_end, other.last_end)


def request(
    port: int,
    method: str,
    path: str,
    body=None,
    token: str | None = None,
    headers: dict | None = None,
) -> tuple[int, bytes, float]:
    """One HTTP request on its own connection (gunicorn's sync workers close each one): the
    status, the body and the seconds it took."""
    headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection.request(
        method, path, body=json.dumps(body) if body is not None else None, headers=headers
    )
    response = connection.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, payload, elapsed


def run_threads(target: Callable[[int], None], count: int) -> None:
    """Run `target(i)` in `count` threads; re-raise the first error any of them hit."""
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            target(index)
        except BaseException as exc:  # handed to the main thread below
            errors.append(exc)

    pool = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise errors[0]


def fan_out(function: Callable, calls: list[tuple]) -> list:
    """`function(*arguments)` for each entry of `calls`, each in a client process of its own, all
    at once; their results, in order. `function` must be a module-level function."""
    with ProcessPoolExecutor(len(calls)) as executor:
        futures = [executor.submit(function, *arguments) for arguments in calls]
        return [future.result() for future in futures]


def _hammer(port: int, path: str, threads: int, seconds: float, headers: dict) -> Load:
    """In a client process: `threads` threads requesting `path` (with `headers`) for `seconds`."""
    load, lock = Load(first_start=time.time()), threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(_index: int) -> None:
        mine = Load()
        while time.perf_counter() < deadline:
            status, _, elapsed = request(port, "GET", path, headers=headers)
            mine.record(status, elapsed)
        with lock:
            load.merge(mine)

    run_threads(worker, threads)
    load.last_end = time.time()
    return load


def hammer(
    port: int,
    path: str,
    *,
    clients: int,
    processes: int,
    seconds: float,
    headers: dict | None = None,
) -> Load:
    """`clients` clients, spread over `processes` processes, requesting `GET path` (with
    `headers`) back to back for `seconds`."""
    total = Load()
    calls = [(port, path, clients // processes, seconds, headers or {})] * processes
    for load in fan_out(_hammer, calls):
        total.merge(load)
    return total


def _poll(port: int, path: str, threads: int, interval: float, mode: str, stop: str) -> Load:
    """In a client process: `threads` browsers each polling a seat map every `interval` s until
    the file `stop` exists - with `If-None-Match` (mode "etag": 304 while nothing changed) or
    `?since=` the version last seen (mode "since": only the changed seats)."""
    load, lock = Load(first_start=time.time()), threading.Lock()

    def worker(_index: int) -> None:
        mine, etag, version = Load(), None, None
        while not os.path.exists(stop):
            headers = {"If-None-Match": etag} if mode == "etag" and etag else {}
            url = f"{path}?since={version}" if mode == "since" and version is not None else path
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            started = time.perf_counter()
            connection.request("GET", url, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            mine.record(response.status, time.perf_counter() - started)
            connection.close()
            if response.status == 200:
                etag = response.getheader("ETag")
                if mode == "since":  # decoding a whole map would only take CPU from the server
                    version = json.loads(payload)["version"]
            time.sleep(interval)
        with lock:
            load.merge(mine)

    run_threads(worker, threads)
    load.last_end = time.time()
    return load


def poll_during(
    port: int,
    path: str,
    work: Callable[[], object],
    *,
    clients: int,
    processes: int,
    interval: float,
    mode: str,
) -> tuple[Load, object]:
    """Run `work()` here while `clients` pollers in `processes` processes poll `path`; the
    pollers' load and what `work` returned."""
    with tempfile.TemporaryDirectory() as folder:
        stop = os.path.join(folder, "stop")
        with ProcessPoolExecutor(processes) as executor:
            futures = [
                executor.submit(_poll, port, path, clients // processes, interval, mode, stop)
                for _ in range(processes)
            ]
            try:
                result = work()
            finally:
                open(stop, "w").close()
            total = Load()
            for future in futures:
                total.merge(future.result())
    return total, result
