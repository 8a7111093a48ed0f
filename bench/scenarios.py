"""The scenarios: each one a function that takes the running bench and returns a `Result`, the
rows the report prints for it.

To add one (a promo-code sell-out, a premiere with pollers...): write
`def name(bench: Bench) -> Result` here, with `bench.take_showtime()` for a showtime of its own
if it sells seats (and list it in `sold_out`, for the SQL checks), and call it from `main` in
bench/booking.py, which creates one showtime per sell-out.
"""

import http.client
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from bench import checks, client, customers
from bench.client import Load
from bench.cpu import Cpu, CpuMeter
from bench.customers import Sale
from bench.fixtures import Server, Showtime


@dataclass
class Timed:
    """A report line about timed requests: rate, p50, p99; with `ratio`, the rate over the
    `/healthz` baseline (and with `target`, the least that ratio should be); then `note`."""

    label: str
    load: Load
    ratio: bool = False
    target: float | None = None
    note: str = ""


@dataclass
class Counted:
    """A report line about things counted over a span: their rate, then `note`."""

    label: str
    count: int
    seconds: float
    note: str
    target: float | None = None  # with it, the rate over the `/healthz` baseline is printed too


@dataclass
class Result:
    """What one scenario hands the report."""

    name: str  # in the CPU table
    rows: list[Timed | Counted]
    heading: str | None = None  # a section of its own; None: a line in the top block
    sold_out: list[Showtime] = field(default_factory=list)  # SQL: every seat claimed, none twice
    paid_out: list[Showtime] = field(default_factory=list)  # SQL: every seat sold, too
    ok: bool = True  # the scenario's own correctness check
    cpu: Cpu | None = None  # filled by `Bench.run`

    @property
    def loads(self) -> list[Load]:
        return [row.load for row in self.rows if isinstance(row, Timed)]


@dataclass
class Bench:
    """What every scenario gets: the running server, its showtimes, the shape of the load."""

    server: Server
    clients: int
    seconds: float  # the length of each fixed-time measurement
    meter: CpuMeter = field(init=False)
    taken: int = field(default=0, init=False)  # showtimes sold out so far

    def __post_init__(self) -> None:
        self.meter = CpuMeter(self.server.port, self.server.database_port)

    @property
    def processes(self) -> int:
        """Client processes of the fixed-time loads."""
        return min(4, self.clients)

    def describe(self) -> str:
        return (
            f"gunicorn: {self.server.workers} workers; {self.clients} clients in "
            f"{self.processes} processes; {os.cpu_count()} CPUs"
        )

    def run(self, scenario: Callable[..., Result], **options) -> Result:
        """Run a scenario, and note the CPU it cost."""
        result, cpu = self.meter.measure(lambda: scenario(self, **options))
        result.cpu = cpu
        return result

    def next_showtime(self) -> Showtime:
        """The next showtime to be sold: every seat still free."""
        return self.server.showtimes[self.taken]

    def take_showtime(self) -> Showtime:
        showtime = self.next_showtime()
        self.taken += 1
        return showtime

    def hammer(self, path: str, headers: dict | None = None) -> Load:
        return client.hammer(
            self.server.port,
            path,
            clients=self.clients,
            processes=self.processes,
            seconds=self.seconds,
            headers=headers,
        )

    def sell_out(self, showtime: Showtime, *, pay: bool, **options) -> Sale:
        """Sell a showtime out; `options`: `best`, `promo_code`, `most_seats` (customers.sell_out)."""
        port, clients = self.server.port, self.clients
        return customers.sell_out(port, showtime.id, showtime.tokens, clients, pay=pay, **options)


# The premiere issue's targets, as rates over the `/healthz` baseline: successful holds while
# only holding, and paid bookings (a hold and its payment) while paying.
HOLDS_TARGET = 0.15
PAID_TARGET = 0.05


def conflicts(load: Load) -> str:
    n = load.statuses.get(409, 0)
    note = f"409 rate {n / max(load.count, 1):.1%} ({n} of {load.count})"
    refused = load.statuses.get(400, 0)  # single_seat_gap: the seats chosen would strand one
    if refused:
        note += f"; 400 rate {refused / load.count:.1%} ({refused})"
    return note


def healthz(bench: Bench) -> Result:
    """`/healthz` for a fixed time: the ceiling of this machine, app and clients together."""
    return Result("/healthz", [Timed("/healthz", bench.hammer("/healthz"))])


def seat_map(bench: Bench) -> Result:
    """The seat map of a showtime with every seat free, for a fixed time."""
    load = bench.hammer(f"/api/v1/showtimes/{bench.next_showtime().id}/seats/")
    return Result("seat map", [Timed("seat map", load, target=0.4)])


def seat_map_not_modified(bench: Bench) -> Result:
    """Polling a seat map whose copy is current (`If-None-Match`: 304), for a fixed time: what
    one poller costs while nothing changes - the ceiling of the premiere's pollers."""
    path = f"/api/v1/showtimes/{bench.next_showtime().id}/seats/"
    connection = http.client.HTTPConnection("127.0.0.1", bench.server.port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    etag = response.getheader("ETag")
    connection.close()
    load = bench.hammer(path, headers={"If-None-Match": etag})
    share = load.statuses.get(304, 0) / max(load.count, 1)
    return Result(
        "seat map 304",
        [Timed("seat map 304", load, target=0.8, note=f"({share:.0%} answered 304)")],
    )


def sell_outs_holding(bench: Bench, *, rounds: int) -> Result:
    """`rounds` sell-outs in a row, holding seats only, measured together: one lasts about as long
    as a deep breath, too short to measure alone."""
    showtimes = [bench.take_showtime() for _ in range(rounds)]
    booking, holds, elapsed = Load(), 0, 0.0
    for showtime in showtimes:
        sale = bench.sell_out(showtime, pay=False)
        elapsed += sale.bookings.elapsed
        booking.statuses.update(sale.bookings.statuses)
        booking.latencies.extend(sale.bookings.latencies)
        holds += sale.holds
    booking.first_start, booking.last_end = 0.0, elapsed  # the rounds' own time, end to end
    numbers = f"{showtimes[0].number}-{showtimes[-1].number}"
    each = f"{bench.server.capacity} seats each, {bench.clients} clients"
    return Result(
        "holding",
        [
            Timed("  booking", booking, target=0.1),
            Counted(
                "  holds",
                holds,
                booking.elapsed,
                f"{holds} bookings in {booking.elapsed:.1f} s; {conflicts(booking)}",
                target=HOLDS_TARGET,
            ),
        ],
        heading=f"Sell-outs {numbers}, holding seats ({each}):",
        sold_out=showtimes,
    )


def sell_out_best(bench: Bench, *, beside: Result | None = None) -> Result:
    """A sell-out by best available: each client asks for 1-4 seats by quantity, and the server
    chooses them under the lock. `beside`: the pick-your-seats sell-outs, to compare with."""
    showtime = bench.take_showtime()
    sale = bench.sell_out(showtime, pay=False, best=True)
    booking = sale.bookings
    holds_rate = sale.holds / booking.elapsed if booking.elapsed else 0.0
    compared = ""
    if beside is not None:
        (picked,) = [row for row in beside.rows if isinstance(row, Counted)]
        (picked_load,) = beside.loads
        picked_rate = picked.count / picked.seconds if picked.seconds else 0.0
        compared = (
            f"; picking seats: {picked_rate:.0f} holds/s, {conflicts(picked_load)} "
            f"(x {holds_rate / picked_rate:.2f} holds/s)"
            if picked_rate
            else ""
        )
    return Result(
        "best",
        [
            Timed("  booking", booking, ratio=True),
            Counted(
                "  holds",
                sale.holds,
                booking.elapsed,
                f"{sale.holds} bookings; {conflicts(booking)}{compared}",
                target=HOLDS_TARGET,
            ),
        ],
        heading=f"Sell-out {showtime.number}, best available ({bench.server.capacity} seats, "
        f"{bench.clients} clients asking for 1-4 seats by quantity):",
        sold_out=[showtime],
    )


def sell_out_paying(bench: Bench) -> Result:
    """A sell-out paying for every booking at once (a card, an `Idempotency-Key`)."""
    showtime = bench.take_showtime()
    sale = bench.sell_out(showtime, pay=True)
    booking, payment = sale.bookings, sale.payments
    paid = payment.statuses.get(200, 0)
    return Result(
        "paying",
        [
            Timed("  booking", booking, ratio=True),
            Counted(
                "  holds",
                sale.holds,
                booking.elapsed,
                f"{sale.holds} bookings; {conflicts(booking)}",
            ),
            Timed("  payment", payment, note=f"({dict(payment.statuses)})"),
            Counted(
                "  paid",
                paid,
                payment.elapsed,
                f"{paid} paid bookings in {payment.elapsed:.1f} s",
                target=PAID_TARGET,
            ),
        ],
        heading=f"Sell-out {showtime.number}, holding and paying at once:",
        sold_out=[showtime],
        paid_out=[showtime],
        ok=paid == sale.holds,
    )


PROMO_CODE = "BENCHHALF"


def _promotion_create(limit: int) -> int:
    """A 10 % promo code for `limit` bookings, made in the bench's own process."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db import connections
    from django.utils import timezone

    from promotions import services

    now = timezone.now()
    promotion = services.promotion_create(
        code=PROMO_CODE,
        description="Bench: 10% off while it lasts",
        discount_type="PERCENT",
        value=Decimal("10"),
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=30),
        max_redemptions=limit,
    )
    connections.close_all()  # not to be shared with the client processes forked next
    return promotion.pk


def sell_outs_promo_code(bench: Bench) -> Result:
    """Two sell-outs of one-seat bookings, holding seats: a plain one, then one where every
    booking asks for one promo code limited to half the seats (customers who hear it is used up
    book without it). Bookings/s of both, side by side; then SQL: exactly the limit redeemed.

    One seat a booking, so that half the seats is half the bookings: at 1-4 seats a booking a
    sell-out makes fewer bookings than half its seats, and the code would never run out. Every
    hold with the code waits for the promotion's row lock, where its uses are counted.
    """
    plain_showtime, promo_showtime = bench.take_showtime(), bench.take_showtime()
    limit = bench.server.capacity // 2
    plain = bench.sell_out(plain_showtime, pay=False, most_seats=1)
    promotion_id = _promotion_create(limit)
    promo = bench.sell_out(promo_showtime, pay=False, promo_code=PROMO_CODE, most_seats=1)
    redeemed = checks.redeemed(promotion_id, promo_showtime.id)
    ok = redeemed.uses == redeemed.bookings == promo.discounted == limit
    return Result(
        "promo code",
        [
            Timed("  plain", plain.bookings, ratio=True, note=conflicts(plain.bookings)),
            Timed("  promo code", promo.bookings, ratio=True, note=conflicts(promo.bookings)),
            Counted(
                "  plain holds",
                plain.holds,
                plain.bookings.elapsed,
                f"{plain.holds} bookings in {plain.bookings.elapsed:.1f} s",
            ),
            Counted(
                "  promo holds",
                promo.holds,
                promo.bookings.elapsed,
                f"{promo.holds} bookings in {promo.bookings.elapsed:.1f} s, {promo.discounted} "
                f"with the code; SQL: {redeemed.uses} uses counted, {redeemed.bookings} bookings "
                f"discounted, limit {limit} ({'OK' if ok else 'WRONG'})",
            ),
        ],
        heading=(
            f"Sell-outs {plain_showtime.number} and {promo_showtime.number}, one seat a booking "
            f"({bench.server.capacity} seats, {bench.clients} clients): plain, then every booking "
            f"with promo code {PROMO_CODE} for {limit} uses:"
        ),
        sold_out=[plain_showtime, promo_showtime],
        ok=ok,
    )


POLLERS = 32
POLL_INTERVAL = 0.2


def premiere(bench: Bench, *, mode: str) -> Result:
    """A premiere goes on sale: the buyers book (best available) and pay until the showtime is
    sold out, while `POLLERS` browsers poll its seat map every `POLL_INTERVAL` s - with
    `If-None-Match` (mode "etag": 304 while nothing changed), or with `?since=` the version they
    saw (mode "since": only the seats that changed)."""
    showtime = bench.take_showtime()
    polls, sale = client.poll_during(
        bench.server.port,
        f"/api/v1/showtimes/{showtime.id}/seats/",
        lambda: bench.sell_out(showtime, pay=True, best=True),
        clients=POLLERS,
        processes=bench.processes,
        interval=POLL_INTERVAL,
        mode=mode,
    )
    booking, payment = sale.bookings, sale.payments
    paid = payment.statuses.get(200, 0)
    cheap = polls.statuses.get(304 if mode == "etag" else 200, 0)
    share = (
        f"{cheap / max(polls.count, 1):.1%} answered {'304' if mode == 'etag' else 'as changes'}"
    )
    return Result(
        f"premiere {mode}",
        [
            Timed(
                "  polls",
                polls,
                ratio=True,
                target=0.8 if mode == "etag" else None,
                note=f"({share}; {dict(polls.statuses)})",
            ),
            Timed("  booking", booking, ratio=True, note=conflicts(booking)),
            Counted("  holds", sale.holds, booking.elapsed, f"{sale.holds} bookings"),
            Counted(
                "  paid",
                paid,
                payment.elapsed,
                f"{paid} paid bookings in {payment.elapsed:.1f} s",
                target=PAID_TARGET,
            ),
        ],
        heading=(
            f"Sell-out {showtime.number}, a premiere: {bench.clients} buyers holding (best "
            f"available) and paying, {POLLERS} browsers polling the seat map every "
            f"{POLL_INTERVAL:.1f} s with " + ("If-None-Match:" if mode == "etag" else "?since=:")
        ),
        sold_out=[showtime],
        paid_out=[showtime],
        ok=paid == sale.holds,
    )
