"""Booking benchmark: the app under gunicorn on MariaDB, measured from outside over HTTP.

    make bench                      # or: .venv/bin/python bench/booking.py --help

Setting up: a fresh database `cinema_bench` (dropped, created, migrated); a 500-seat hall with
one showtime per sell-out (nine), each with customer accounts and tokens of its own; gunicorn
with 4 workers, DEBUG=False, throttling off, as in production but over plain HTTP.

The scenarios, in the order they run, and the figures printed for each:
1. `/healthz` for 5 s: requests/s, p50, p99. Run again at the very end: the machine's pace
   drifts, and the mean of the two is the baseline the other rates are compared with.
2. Seat map (`GET /showtimes/{id}/seats/`) for 5 s: requests/s, p50, p99, x baseline
   (target >= 0.4); then the same with `If-None-Match` and the current ETag, every answer a
   304 (target >= 0.8).
3. Sell-outs 1-3: 16 clients each booking 1-4 random free seats until the showtime is sold out
   (re-reading the seat map after a 409, as a browser would), three showtimes in a row measured
   together (`--rounds`): booking requests/s, p50, p99, x baseline (target >= 0.1); holds/s
   and x baseline (target >= 0.15), bookings made, the 409 rate.
   Seats chosen at random often leave one alone: those requests are refused (400
   `single_seat_gap`, the rate printed) and the client looks at the seat map again.
4. Sell-out 4, best available: 16 clients each asking for 1-4 seats by quantity (the server
   chooses under the lock; no seat map read) until none is left: booking requests/s, p50, p99,
   x baseline; holds/s and the 409 rate, next to the pick-your-seats sell-outs'.
5. Sell-out 5, paying for every booking at once (a card, an `Idempotency-Key`): booking
   requests/s, p50, p99, x baseline; holds/s, the 409 rate; payment requests/s, p50, p99, their
   statuses; paid bookings/s.
6. Sell-outs 6 and 7, one seat a booking: plain, then every booking asking for one promo code
   limited to half the seats (used up, customers book without it): booking requests/s of both
   side by side, x baseline, the 409 rate; holds/s of both, how many got the code.
7. Sell-outs 8 and 9, a premiere: the buyers book (best available) and pay until sold out
   while 32 browsers poll the seat map every 200 ms, with `If-None-Match` (8) and with
   `?since=` (9): polls/s, p50, p99, x baseline (targets: 304 polls >= 0.8, holds >= 0.15, paid
   bookings >= 0.05), the share of cheap answers (304, or changes only); bookings/s, the 409
   rate, holds/s, paid/s.
Then the CPU per request of 1-5 (not the second `/healthz`), in ms: the app (gunicorn's
processes), the database (the processes listening on its port) and the client processes.

Correctness, checked last (the exit status is 1 if any check fails): no 5xx answer in any
scenario; SQL over the nine showtimes: no seat ticketed or claimed twice, every seat claimed,
no single seat left alone by a booking where the rule applied (the bookings replayed in order);
in sell-outs 5, 8 and 9 every seat sold and every hold paid; in sell-out 7 exactly the code's limit
redeemed (its uses counted, and the bookings it discounted). The targets are printed, not
enforced.

Load comes from several client processes, so that one Python process (and its GIL) does not cap
the `/healthz` baseline and flatter the ratios. The machine has 2 cores shared by client, app
and database: the absolute numbers are modest; the ratios are the point.

The parts, in bench/: fixtures (database, data, gunicorn), scenarios (one function each, and the
`Bench` they get), client (timed HTTP from client processes), customers (the booking browsers),
cpu (the CPU meters), checks (the SQL), report (the printing).
"""

import argparse
import os
import sys
from pathlib import Path

# The repository root instead of bench/: `bench.*` imports as a package, `booking` as the app.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import fixtures, report, scenarios  # noqa: E402


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/cinema_bench"),
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seats", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="length of each fixed-time measurement"
    )
    parser.add_argument("--port", type=int, default=8199)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="sell-outs of holds only, each on its own showtime, measured together: one lasts "
        "about as long as a deep breath, too short to measure alone",
    )
    return parser.parse_args()


def main() -> int:
    args = arguments()
    with fixtures.serving(
        database_url=args.database_url,
        port=args.port,
        workers=args.workers,
        seats=args.seats,
        showtimes=args.rounds + 6,  # one per sell-out
        customers_each=args.seats + args.clients,
    ) as server:
        bench = scenarios.Bench(server, clients=args.clients, seconds=args.seconds)
        start = bench.run(scenarios.healthz)
        seat_map = bench.run(scenarios.seat_map)
        not_modified = bench.run(scenarios.seat_map_not_modified)
        holding = bench.run(scenarios.sell_outs_holding, rounds=args.rounds)
        results = [
            seat_map,
            not_modified,
            holding,
            bench.run(scenarios.sell_out_best, beside=holding),
            bench.run(scenarios.sell_out_paying),
            bench.run(scenarios.sell_outs_promo_code),
            bench.run(scenarios.premiere, mode="etag"),
            bench.run(scenarios.premiere, mode="since"),
        ]
        end = bench.run(scenarios.healthz)  # the machine's pace drifts: a baseline at both ends
    return 0 if report.show(bench, start, end, results) else 1


if __name__ == "__main__":
    sys.exit(main())
