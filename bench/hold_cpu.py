"""CPU per seat hold, in this process, without a server: `bench/pay_cpu.py`'s holds alone, both
kinds, more of them.

    .venv/bin/python bench/hold_cpu.py [holds]

A fresh database (`PAY_BENCH_DATABASE_URL`, as `pay_cpu.py`) with a 500-seat hall (rows of 25)
and two showtimes. On the first, each customer holds the best two seats available
(`quantity`); on the second, seats they chose, row by row from the row's start (two at a time,
the row's last three together: no single seat is left alone). `holds` per showtime, at most 220
(default). Prints the app's CPU milliseconds per hold of each kind and per `/healthz` (its
ratio to a hold tells a change from the machine getting busier). Nobody pays: a hold's
statements and nothing else.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The checkout, not bench/, on the path: bench/profile.py would hide the standard library's.
sys.path[0] = str(ROOT)

from bench.fixtures import SEATS_PER_ROW, data_create, database_recreate, environment  # noqa: E402
from bench.pay_cpu import BROKER_URL, DATABASE_URL, call, ms  # noqa: E402


def seat_groups(seat_ids: list[int]) -> list[list[int]]:
    """A hall's seats (in row order) as the holds that take them without leaving a seat alone."""
    groups = []
    for start in range(0, len(seat_ids), SEATS_PER_ROW):
        row = seat_ids[start : start + SEATS_PER_ROW]
        pairs = [row[i : i + 2] for i in range(0, len(row) - 3, 2)]
        groups += [*pairs, row[len(pairs) * 2 :]]
    return groups


def main(holds: int) -> None:
    os.environ.update(
        {**environment(DATABASE_URL), "CELERY_BROKER_URL": BROKER_URL, "LOG_LEVEL": "ERROR"}
    )
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()
    database_recreate(DATABASE_URL)
    best, chosen = data_create(seats=500, showtimes=2, customers_each=holds)[0]

    from django.core.wsgi import get_wsgi_application

    from screening.models import Seat

    app = get_wsgi_application()
    seat_ids = list(Seat.objects.order_by("y", "x").values_list("id", flat=True))
    groups = seat_groups(seat_ids)
    assert holds <= len(groups), f"at most {len(groups)} holds of chosen seats"
    timed = {"best": [], "chosen": [], "healthz": []}
    for i in range(holds):
        for kind, showtime, body in (
            ("best", best, {"showtime": best.id, "quantity": 2}),
            ("chosen", chosen, {"showtime": chosen.id, "seats": [{"seat": s} for s in groups[i]]}),
        ):
            start = time.process_time()
            status, content = call(app, "POST", "/api/v1/bookings/", showtime.tokens[i], body)
            timed[kind].append(time.process_time() - start)
            assert status == 201, content
        start = time.process_time()
        status, content = call(app, "GET", "/healthz", best.tokens[i])
        timed["healthz"].append(time.process_time() - start)
        assert status == 200, content
    print(
        f"{holds} holds each. CPU per best-available hold {ms(timed['best'])}; per chosen-seats "
        f"hold {ms(timed['chosen'])}; per /healthz {ms(timed['healthz'])}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 220)
