"""Where a measurement's CPU goes, from /proc (Linux): the app server, the database server, and
this script's client processes.

A server is found by the TCP port it listens on: the processes holding that listening socket
(gunicorn's master and the workers it forked with it; MariaDB's one process), whatever their name.
Reading another user's /proc/PID/fd takes root or that user; a server not found is reported as
not measured (None), never as zero.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_LISTEN = "0A"  # the TCP state LISTEN in /proc/net/tcp


def listening_sockets(port: int) -> set[str]:
    """The sockets listening on `port` (any address, IPv4 or IPv6), as /proc/PID/fd links name
    them: `socket:[INODE]`."""
    sockets = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            # sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            fields = line.split()
            local_port = int(fields[1].rpartition(":")[2], 16)
            if fields[3] == _LISTEN and local_port == port and fields[9] != "0":
                sockets.add(f"socket:[{fields[9]}]")
    return sockets


def _holds_any(process: Path, sockets: set[str]) -> bool:
    try:
        descriptors = list((process / "fd").iterdir())
    except OSError:  # gone, or not ours to read
        return False
    for descriptor in descriptors:
        try:
            if os.readlink(descriptor) in sockets:
                return True
        except OSError:  # closed meanwhile
            continue
    return False


def pids_listening(port: int | None) -> list[int]:
    """The processes holding a socket that listens on TCP `port` (None: no local server)."""
    sockets = listening_sockets(port) if port else set()
    if not sockets:
        return []
    processes = Path("/proc").glob("[0-9]*")
    return sorted(int(process.name) for process in processes if _holds_any(process, sockets))


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU of these processes (all their threads) so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU of this script's finished child processes: the load-generating clients."""
    times = os.times()
    return times.children_user + times.children_system


@dataclass
class Cpu:
    """CPU seconds one measurement cost. `database` is None when its server was not found."""

    app: float
    database: float | None
    clients: float


class CpuMeter:
    """CPU used by the app server, the database server and the clients during a phase."""

    def __init__(self, app_port: int, database_port: int | None):
        self.app_port, self.database_port = app_port, database_port

    def measure(self, phase: Callable[[], Any]) -> tuple[Any, Cpu]:
        app, database = pids_listening(self.app_port), pids_listening(self.database_port)
        before = cpu_seconds(app), cpu_seconds(database), children_cpu()
        result = phase()
        after = cpu_seconds(app), cpu_seconds(database), children_cpu()
        used = [end - start for start, end in zip(before, after, strict=True)]
        return result, Cpu(used[0], used[1] if database else None, used[2])
