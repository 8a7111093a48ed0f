"""The premiere's two hot paths alone, several times over: best-available sell-outs (holds) and
premiere sell-outs (hold and pay while 32 browsers poll), with the CPU each cost.

    .venv/bin/python bench/focus.py [--rounds 3] [--checkout DIR]

The same server and scenarios as `make bench` (bench/fixtures.py, bench/scenarios.py), without
the rest of the run: `/healthz` at both ends, then `rounds` pairs of sell-outs. Per round it
prints holds/s and the app's and database's CPU per booking request; paid bookings/s and the
app's, database's and clients' CPU per paid booking (the pollers' requests included).

This machine's pace drifts by a quarter within minutes, more than most changes move these
figures. To compare two versions, measure them in turns, each several times - `--checkout`
runs the server and scenarios of another checkout (a `git worktree` of the revision to compare)
with this script:

    git worktree add /tmp/before <revision> && ln -s "$PWD/.venv" /tmp/before/.venv
    for i in 1 2 3; do
        .venv/bin/python bench/focus.py --checkout /tmp/before
        .venv/bin/python bench/focus.py
    done
"""

import argparse
import os
import statistics
import sys
from pathlib import Path


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checkout", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/cinema_bench"),
    )
    parser.add_argument("--port", type=int, default=8199)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    root = args.checkout.resolve()
    sys.path[0] = str(root)  # that checkout's bench/ and app, not this one's
    os.chdir(root)
    from bench import fixtures, scenarios

    clients = 16
    with fixtures.serving(
        database_url=args.database_url,
        port=args.port,
        workers=4,
        seats=500,
        showtimes=2 * args.rounds + 1,
        customers_each=500 + clients,
    ) as server:
        bench = scenarios.Bench(server, clients=clients, seconds=4.0)
        start = bench.run(scenarios.healthz)
        rounds = [
            (bench.run(scenarios.sell_out_best), bench.run(scenarios.premiere, mode="etag"))
            for _ in range(args.rounds)
        ]
        end = bench.run(scenarios.healthz)

    def row(result, label):
        return next(r for r in result.rows if r.label.strip() == label)

    rates = [row(result, "/healthz").load.rate for result in (start, end)]
    print(f"{root}: /healthz {rates[0]:.0f} / {rates[1]:.0f} req/s")
    holds, paid = [], []
    for best, premiere in rounds:
        held, requests = row(best, "holds"), row(best, "booking").load.count
        sold = row(premiere, "paid")
        holds.append(held.count / held.seconds)
        paid.append(sold.count / sold.seconds)
        print(
            f"  best available {holds[-1]:5.0f} holds/s, per request app "
            f"{1000 * best.cpu.app / requests:.2f} ms, database "
            f"{1000 * (best.cpu.database or 0) / requests:.2f} ms | premiere {paid[-1]:5.0f} "
            f"paid/s, per paid booking app {1000 * premiere.cpu.app / sold.count:.2f} ms, "
            f"database {1000 * (premiere.cpu.database or 0) / sold.count:.2f} ms, clients "
            f"{1000 * premiere.cpu.clients / sold.count:.2f} ms"
        )
    print(
        f"  mean: {statistics.mean(holds):.0f} holds/s "
        f"({statistics.mean(holds) / statistics.mean(rates):.3f} x /healthz), "
        f"{statistics.mean(paid):.0f} paid/s "
        f"({statistics.mean(paid) / statistics.mean(rates):.3f} x /healthz)"
    )


if __name__ == "__main__":
    main()
