"""Where the app's time goes on the hot paths, sampled by py-spy under gunicorn.

    .venv/bin/pip install py-spy       # not a dependency of the app: a tool for this script
    .venv/bin/python bench/profile.py [--scenario best|paying|seat-map|not-modified] [--top 30]

The same server as `make bench` (bench/fixtures.py: a fresh `cinema_bench`, gunicorn -w 4, DEBUG
off); py-spy samples every worker (`--subprocesses`, 250 Hz, only threads holding the GIL: CPU, not waits) while one
scenario runs, then this prints, per scenario: the share of samples in each of the app's own
functions and everything they called (inclusive), the functions the CPU was spent in (self), and
a coarse split (gunicorn, middleware, DRF, JWT, ORM, the database driver, JSON, our services).
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import client, customers, fixtures  # noqa: E402

OURS = ("accounts/", "catalog/", "screening/", "promotions/", "booking/", "payments/", "core/")
# A frame's file decides its bucket; the first bucket a sample's stack reaches, from the top
# (the innermost frame), is where that sample's time goes.
BUCKETS = [
    ("database driver", ("MySQLdb/",)),
    ("JSON", ("json/",)),
    ("JWT", ("rest_framework_simplejwt/", "jwt/")),
    ("templates", ("django/template/",)),
    ("ORM", ("django/db/",)),
    ("DRF", ("rest_framework/",)),
    ("Django", ("django/",)),
    ("gunicorn", ("gunicorn/",)),
]


def spy(pids: list[int], out: Path) -> subprocess.Popen:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen(
        [py_spy, "record", "--format", "raw", "--rate", "250", "--nonblocking", "--gil",
         "--subprocesses", "--output", str(out), "--pid", str(pids[0])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def summarise(raw: Path, top: int) -> None:
    inclusive, own, buckets, total = Counter(), Counter(), Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = stack.split(";")[1:]  # the first is the process
        if any("wait (" in f or "select (" in f or "accept (" in f for f in frames[-2:]):
            continue  # an idle worker waiting for a connection
        total += n
        seen = set()
        for frame in frames:
            if any(f" ({p}" in frame or f"/{p}" in frame for p in OURS) and frame not in seen:
                seen.add(frame)
                inclusive[frame] += n
        own[frames[-1]] += n
        for name, parts in BUCKETS:
            if any(p in frames[-1] for p in parts):
                buckets[name] += n
                break
        else:
            buckets["ours" if any(p in frames[-1] for p in OURS) else "other"] += n
    print(f"{total} busy samples")
    print("\nwhere the time went (the innermost frame's library):")
    for name, n in buckets.most_common():
        print(f"  {n / total:6.1%}  {name}")
    print(f"\nthe app's own functions, inclusive (top {top}):")
    for frame, n in inclusive.most_common(top):
        print(f"  {n / total:6.1%}  {frame}")
    print(f"\nself time (top {top}):")
    for frame, n in own.most_common(top):
        print(f"  {n / total:6.1%}  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--scenario", choices=["best", "paying", "seat-map", "not-modified"], default="best"
    )
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--port", type=int, default=8198)
    parser.add_argument(
        "--raw", type=Path, help="keep py-spy's samples here (lines: frames;... count)"
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/cinema_bench")
    with fixtures.serving(
        database_url=url, port=args.port, workers=4, seats=500, showtimes=1, customers_each=520
    ) as server:
        showtime = server.showtimes[0]
        path = f"/api/v1/showtimes/{showtime.id}/seats/"
        master = _listeners(args.port)
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "profile.txt"
            # Every worker imports the URLconf and the views on its first requests: not measured.
            client.hammer(server.port, path, clients=8, processes=2, seconds=2.0)
            profiler = spy(sorted(master), raw)
            time.sleep(1.0)
            if args.scenario in ("best", "paying"):
                customers.sell_out(
                    server.port, showtime.id, showtime.tokens, 16,
                    pay=args.scenario == "paying", best=True,
                )  # fmt: skip
            else:
                headers = {}
                if args.scenario == "not-modified":
                    headers["If-None-Match"] = _etag(server.port, path)
                client.hammer(
                    server.port, path, clients=16, processes=4, seconds=5.0, headers=headers
                )
            profiler.send_signal(signal.SIGINT)
            profiler.wait(30)
            summarise(raw, args.top)
            if args.raw:
                shutil.copy(raw, args.raw)


def _etag(port: int, path: str) -> str:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.getheader("ETag")


def _listeners(port: int) -> list[int]:
    from bench.cpu import _holds_any, listening_sockets

    sockets = listening_sockets(port)
    pids = []
    for process in Path("/proc").iterdir():
        if process.name.isdigit() and _holds_any(process, sockets):
            pids.append(int(process.name))
    return pids


if __name__ == "__main__":
    main()
