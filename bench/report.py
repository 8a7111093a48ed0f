"""The report: the scenarios' rows, CPU per request, the SQL checks, and the verdict."""

from bench import checks
from bench.client import Load
from bench.scenarios import Bench, Counted, Result, Timed


def _timed(label: str, load: Load, suffix: str = "", unit: str = "req/s") -> str:
    return (
        f"{label:<15} {load.rate:8.0f} {unit:<6} p50 {load.percentile(50):6.1f} ms   "
        f"p99 {load.percentile(99):6.1f} ms{suffix}"
    )


def _row(row: Timed | Counted, baseline: float) -> str:
    if isinstance(row, Counted):
        rate = row.count / row.seconds if row.seconds else 0.0
        ratio = (
            f"   = {rate / baseline:.3f} x /healthz (target >= {row.target:.3f})"
            if row.target is not None
            else ""
        )
        return f"{row.label:<15} {rate:8.0f} /s      {row.note}{ratio}"
    suffix = f"   {row.note}" if row.note else ""
    if row.ratio or row.target is not None:
        suffix += f"   = {row.load.rate / baseline:.3f} x /healthz"
    if row.target is not None:
        suffix += f" (target >= {row.target:.3f})"
    return _timed(row.label, row.load, suffix)


def _cpu(result: Result) -> str:
    requests = max(sum(load.count for load in result.loads), 1)

    def per_request(seconds: float | None) -> str:
        return "  n/a" if seconds is None else f"{1000 * seconds / requests:5.2f}"

    cpu = result.cpu
    return (
        f"cpu {result.name:<11} app {per_request(cpu.app)} ms/request   database "
        f"{per_request(cpu.database)} ms/request   clients {per_request(cpu.clients)} ms/request"
    )


def _sales(results: list[Result], capacity: int) -> bool:
    """The SQL checks over every showtime sold out; prints their line and says if they pass."""
    sold_out = [showtime for result in results for showtime in result.sold_out]
    paid_out = [showtime.number for result in results for showtime in result.paid_out]
    sales = {showtime.number: checks.sales(showtime.id) for showtime in sold_out}
    twice = sum(sale.twice for sale in sales.values())
    claimed = [sale.claimed for sale in sales.values()]
    print(
        f"double sales    {twice} (SQL over all {len(sales)} showtimes); seats claimed {claimed} of "
        f"{capacity} each"
        + "".join(f"; sold (paid) in sell-out {n}: {sales[n].sold}" for n in paid_out)
    )
    gaps = {showtime.number: checks.gaps(showtime.id) for showtime in sold_out}
    refused = sum(gap.refused for gap in gaps.values())
    print(
        f"single gaps     {refused} left where the rule applied (SQL: each sell-out's bookings "
        f"replayed in order); where it allowed one (no choice avoided it, or past the "
        f"percentage sold): {[gap.allowed for gap in gaps.values()]}"
    )
    return (
        twice == 0
        and refused == 0
        and all(count == capacity for count in claimed)
        and all(sales[n].sold == capacity for n in paid_out)
    )


def show(bench: Bench, start: Result, end: Result, results: list[Result]) -> bool:
    """Print the report: `/healthz` at the `start` and `end` of the run (their mean is the
    baseline), then each result's rows. Says whether everything checked was correct."""
    (first,), (last,) = start.loads, end.loads
    baseline = (first.rate + last.rate) / 2
    print()
    print(bench.describe())
    print(_timed("/healthz", first, "   (at the start)"))
    print(_timed("/healthz", last, f"   (at the end; baseline: the mean, {baseline:.0f} req/s)"))
    for result in results:
        if result.heading:
            print()
            print(result.heading)
        for row in result.rows:
            print(_row(row, baseline))
    print()
    server_errors = sum(load.server_errors for r in [start, end, *results] for load in r.loads)
    print(f"5xx answers     {server_errors}")
    for result in [start, *results]:
        print(_cpu(result))
    sales_ok = _sales(results, bench.server.capacity)
    ok = server_errors == 0 and sales_ok and all(result.ok for result in results)
    print("correctness     " + ("OK" if ok else "FAILED"))
    return ok
