"""A year of a 6-hall cinema, written with multi-row INSERTs: what `bench/reports.py` reports on.

Rows are made in Python, day by day, and written in batches (mysqlclient turns `executemany` of
an INSERT into multi-row INSERT statements), with foreign-key and unique checks off for the
session. Ids are given explicitly and every table is written in id order, so InnoDB appends.

The data is what the apps would have written, in the proportions of a real cinema:
- 6 halls (96 to 320 seats, two VIP rows each), 5 showtimes a day each, one movie per showtime
  out of 30 (some much more popular than others), prices by time of day;
- bookings of 1-6 tickets (adult, child, senior, student), sold online (card) up to three weeks
  before the show or at the counter (card or cash) in the last 90 minutes; about half the seats
  sell, more at weekends and in the evening;
- 10 % of the bookings with a promotion (`discount`, `promo_code`), a few free ones (no payment);
- 3 % cancelled and refunded in full, 1 % refunded in part, 2 % of the payments declined before
  one succeeded; 1 in 200 showtimes cancelled, every booking of it refunded;
- holds that were never paid (EXPIRED, with their tickets), about one for every four sales: rows the
  report must skip.

Not written, because no report reads them: seat claims (the live state of the seats), payment
events (the audit trail), saved cards.
"""

import random
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

HALLS = [
    ("Hall 1", 320),
    ("Hall 2", 240),
    ("Hall 3", 200),
    ("Hall 4", 160),
    ("Hall 5", 120),
    ("Hall 6", 96),
]
SEATS_PER_ROW = 16
SLOTS = [
    (time(11, 0), 0.22, Decimal("9.00")),
    (time(14, 0), 0.32, Decimal("10.00")),
    (time(17, 0), 0.48, Decimal("12.00")),
    (time(20, 0), 0.70, Decimal("14.00")),
    (time(22, 45), 0.42, Decimal("12.00")),
]
MOVIES = 30
CUSTOMERS = 5000
BOOKING_SIZES = ([1, 2, 3, 4, 5, 6], [15, 40, 15, 20, 7, 3])
TICKET_TYPES = (["ADULT", "CHILD", "SENIOR", "STUDENT"], [65, 15, 10, 10])
MULTIPLIERS = {
    "ADULT": Decimal("1.000"),
    "CHILD": Decimal("0.700"),
    "SENIOR": Decimal("0.800"),
    "STUDENT": Decimal("0.850"),
}
VIP_SURCHARGE = Decimal("3.00")
CENT = Decimal("0.01")
BATCH = 5000


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Counts:
    showtimes: int = 0
    bookings: int = 0  # sold (confirmed, or cancelled since)
    tickets: int = 0  # of those bookings
    expired: int = 0  # holds never paid
    expired_tickets: int = 0
    payments: int = 0
    refunds: int = 0
    seconds: float = 0.0


@dataclass
class Tables:
    """The rows waiting to be written, and the next id of each table."""

    cursor: object
    rows: dict = field(default_factory=dict)
    next_id: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)
    written: dict = field(default_factory=dict)

    def declare(self, key: str, model, columns: list[str]) -> None:
        self.names[key] = model._meta.db_table
        self.columns[key] = columns
        self.rows[key] = []
        self.written[key] = 0
        self.next_id[key] = 1

    def add(self, key: str, row: tuple) -> int:
        pk = self.next_id[key]
        self.next_id[key] += 1
        self.rows[key].append((pk, *row))
        if len(self.rows[key]) >= BATCH:
            self.flush(key)
        return pk

    def flush(self, key: str) -> None:
        rows = self.rows[key]
        if not rows:
            return
        columns = ", ".join(f"`{c}`" for c in ["id", *self.columns[key]])
        marks = ", ".join(["%s"] * (len(self.columns[key]) + 1))
        self.cursor.executemany(
            f"INSERT INTO `{self.names[key]}` ({columns}) VALUES ({marks})", rows
        )
        self.written[key] += len(rows)
        self.rows[key] = []

    def flush_all(self) -> None:
        for key in self.rows:
            self.flush(key)


def generate(
    *, first_day: date, days: int, timezone_name: str, seed: int = 7, scale: float = 1.0
) -> Counts:
    """Write `days` days of the cinema from `first_day` (local days of `timezone_name`) into the
    configured database, migrated and empty. `scale` scales every showtime's sales (1.0: about
    a million tickets a year)."""
    import time as clock

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from accounts.models import AccountState, User
    from booking.models import Booking, Ticket
    from catalog.models import Movie
    from payments.models import Payment, Refund
    from screening.models import Cinema, Hall, Seat, Showtime

    started = clock.monotonic()
    rng = random.Random(seed)
    zone = zoneinfo.ZoneInfo(timezone_name)
    utc = zoneinfo.ZoneInfo("UTC")
    counts = Counts()

    cinema = Cinema.objects.create(
        name="Bench Palace", address="1 Year St", city="Berlin", timezone=timezone_name
    )
    halls = []
    for name, capacity in HALLS:
        rows = capacity // SEATS_PER_ROW
        layout = {
            "rows": [
                {
                    "label": chr(ord("A") + i),
                    "seats": SEATS_PER_ROW,
                    "type": "VIP" if i >= rows - 2 else "STANDARD",
                }
                for i in range(rows)
            ]
        }
        hall = Hall.objects.create(cinema=cinema, name=name, layout=layout, capacity=capacity)
        Seat.objects.bulk_create(
            Seat(hall=hall, row=row["label"], number=n + 1, seat_type=row["type"], x=n, y=y)
            for y, row in enumerate(layout["rows"])
            for n in range(SEATS_PER_ROW)
        )
        seats = list(
            Seat.objects.filter(hall=hall).order_by("y", "x").values_list("pk", "seat_type")
        )
        halls.append((hall, seats))
    movies = Movie.objects.bulk_create(
        Movie(
            title=f"Feature {i + 1:02d}",
            duration_minutes=rng.randint(85, 150),
            release_date=first_day - timedelta(days=rng.randint(0, 300)),
            rating="PG-13",
        )
        for i in range(MOVIES)
    )
    popularity = [rng.uniform(0.5, 1.5) for _ in movies]
    password = make_password(None)
    User.objects.bulk_create(
        User(email=f"year{i}@example.com", password=password, state=AccountState.ACTIVE)
        for i in range(CUSTOMERS)
    )
    user_ids = list(User.objects.values_list("pk", flat=True))

    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0")
        tables = Tables(cursor)
        tables.declare(
            "showtime",
            Showtime,
            [
                "movie_id",
                "hall_id",
                "starts_at",
                "ends_at",
                "base_price",
                "format",
                "language",
                "status",
                "created_at",
            ],
        )
        tables.declare(
            "booking",
            Booking,
            [
                "reference",
                "user_id",
                "showtime_id",
                "status",
                "pending",
                "expires_at",
                "subtotal",
                "discount",
                "fees",
                "tax",
                "total",
                "currency",
                "promo_code",
                "created_at",
                "confirmed_at",
                "cancelled_at",
                "cancellation_reason",
            ],
        )
        tables.declare(
            "ticket",
            Ticket,
            ["booking_id", "showtime_id", "seat_id", "ticket_type", "price", "code"],
        )
        tables.declare(
            "payment",
            Payment,
            [
                "booking_id",
                "user_id",
                "amount",
                "amount_refunded",
                "currency",
                "status",
                "method",
                "in_flight",
                "needs_reconciliation",
                "provider",
                "provider_reference",
                "card_brand",
                "card_last4",
                "failure_code",
                "failure_message",
                "created_at",
                "updated_at",
            ],
        )
        tables.declare(
            "refund",
            Refund,
            [
                "payment_id",
                "amount",
                "status",
                "reason",
                "provider_reference",
                "created_at",
                "completed_at",
            ],
        )

        for day_index in range(days):
            day = first_day + timedelta(days=day_index)
            weekend = 1.3 if day.weekday() >= 4 else 1.0
            for hall, seats in halls:
                for slot, demand, base_price in SLOTS:
                    movie_index = rng.randrange(len(movies))
                    movie = movies[movie_index]
                    starts_at = datetime.combine(day, slot, tzinfo=zone).astimezone(utc)
                    ends_at = starts_at + timedelta(minutes=movie.duration_minutes + 15)
                    cancelled = rng.random() < 0.005
                    showtime_id = tables.add(
                        "showtime",
                        (
                            movie.pk,
                            hall.pk,
                            _naive(starts_at),
                            _naive(ends_at),
                            base_price,
                            "2D",
                            "English",
                            "cancelled" if cancelled else "scheduled",
                            _naive(starts_at - timedelta(days=30)),
                        ),
                    )
                    counts.showtimes += 1
                    share = min(
                        0.97,
                        demand * weekend * popularity[movie_index] * rng.uniform(0.7, 1.3) * scale,
                    )
                    _sell(
                        tables,
                        rng,
                        counts,
                        showtime_id=showtime_id,
                        starts_at=starts_at,
                        base_price=base_price,
                        seats=seats,
                        share=share,
                        cancelled=cancelled,
                        user_ids=user_ids,
                    )
        tables.flush_all()
    with connection.cursor() as cursor:
        for key in ("showtime", "booking", "ticket", "payment", "refund"):
            cursor.execute(f"ANALYZE TABLE `{tables.names[key]}`")
            cursor.fetchall()
    counts.seconds = clock.monotonic() - started
    return counts


def _naive(moment: datetime) -> datetime:
    """As Django writes a datetime to MySQL: UTC, without a zone."""
    return moment.astimezone(zoneinfo.ZoneInfo("UTC")).replace(tzinfo=None)


def _sell(
    tables: Tables,
    rng: random.Random,
    counts: Counts,
    *,
    showtime_id: int,
    starts_at: datetime,
    base_price: Decimal,
    seats: list,
    share: float,
    cancelled: bool,
    user_ids: list[int],
) -> None:
    free = seats[:]
    rng.shuffle(free)
    target = int(len(seats) * share)
    sold = 0
    for _ in range(target // 12):  # holds never paid, on seats that sold later
        size = rng.choices(*BOOKING_SIZES)[0]
        held_at = starts_at - timedelta(minutes=rng.uniform(30, 20000))
        types = rng.choices(*TICKET_TYPES, k=size)
        chosen = rng.sample(seats, size)
        prices = [
            money(base_price * MULTIPLIERS[t]) + (VIP_SURCHARGE if seat_type == "VIP" else 0)
            for t, (_, seat_type) in zip(types, chosen, strict=True)
        ]
        subtotal = sum(prices, Decimal("0.00"))
        booking_id = tables.add(
            "booking",
            (
                f"Y{tables.next_id['booking']:011d}",
                rng.choice(user_ids),
                showtime_id,
                "EXPIRED",
                None,
                _naive(held_at + timedelta(minutes=10)),
                subtotal,
                Decimal("0.00"),
                Decimal("0.00"),
                Decimal("0.00"),
                subtotal,
                "USD",
                "",
                _naive(held_at),
                None,
                None,
                "",
            ),
        )
        counts.expired += 1
        for ticket_type, (seat_id, _), price in zip(types, chosen, prices, strict=True):
            tables.add("ticket", (booking_id, showtime_id, seat_id, ticket_type, price, None))
            counts.expired_tickets += 1
    while sold < target:
        size = min(rng.choices(*BOOKING_SIZES)[0], target - sold)
        chosen, free = free[:size], free[size:]
        sold += size
        counter = rng.random() < 0.3
        if counter:
            sold_at = starts_at - timedelta(minutes=rng.uniform(1, 90))
            method = "CASH" if rng.random() < 0.5 else "CARD_PRESENT"
        else:
            sold_at = starts_at - timedelta(minutes=min(rng.expovariate(1 / 2880), 30240) + 15)
            method = "CARD"
        types = rng.choices(*TICKET_TYPES, k=size)
        prices = [
            money(base_price * MULTIPLIERS[t]) + (VIP_SURCHARGE if seat_type == "VIP" else 0)
            for t, (_, seat_type) in zip(types, chosen, strict=True)
        ]
        subtotal = sum(prices, Decimal("0.00"))
        roll = rng.random()
        promo, discount = "", Decimal("0.00")
        if roll < 0.002:
            promo, discount = "FREESHOW", subtotal
        elif roll < 0.10:
            promo, discount = "SAVE10", money(subtotal * Decimal("0.10"))
        total = subtotal - discount
        user_id = rng.choice(user_ids)
        fate = rng.random()
        refund_in_full = cancelled or fate < 0.03
        refund_part = not refund_in_full and fate < 0.04 and size > 1
        cancelled_at = None
        if refund_in_full:
            latest = min(
                starts_at, max(sold_at + timedelta(minutes=5), starts_at - timedelta(hours=1))
            )
            cancelled_at = sold_at + (latest - sold_at) * rng.random()
        booking_id = tables.add(
            "booking",
            (
                f"Y{tables.next_id['booking']:011d}",
                user_id,
                showtime_id,
                "CANCELLED" if refund_in_full else "CONFIRMED",
                None,
                _naive(sold_at + timedelta(minutes=10)),
                subtotal,
                discount,
                Decimal("0.00"),
                Decimal("0.00"),
                total,
                "USD",
                promo,
                _naive(sold_at),
                _naive(sold_at),
                _naive(cancelled_at) if cancelled_at else None,
                "Refunded in full." if refund_in_full else "",
            ),
        )
        counts.bookings += 1
        for ticket_type, (seat_id, _), price in zip(types, chosen, prices, strict=True):
            tables.add(
                "ticket",
                (
                    booking_id,
                    showtime_id,
                    seat_id,
                    ticket_type,
                    price,
                    f"YT{tables.next_id['ticket']:012d}",
                ),
            )
            counts.tickets += 1
        if total == 0:
            continue  # free: confirmed without a payment
        if method == "CARD" and rng.random() < 0.02:
            tables.add(
                "payment",
                (
                    booking_id,
                    user_id,
                    total,
                    Decimal("0.00"),
                    "USD",
                    "FAILED",
                    "CARD",
                    None,
                    False,
                    "sandbox",
                    "",
                    "visa",
                    "0002",
                    "card_declined",
                    "Declined.",
                    _naive(sold_at - timedelta(seconds=40)),
                    _naive(sold_at - timedelta(seconds=39)),
                ),
            )
            counts.payments += 1
        refunded = Decimal("0.00")
        status = "SUCCEEDED"
        if refund_in_full:
            refunded, status = total, "REFUNDED"
        elif refund_part:
            refunded, status = prices[0], "PARTIALLY_REFUNDED"
            if refunded >= total:
                refunded, status = Decimal("0.00"), "SUCCEEDED"
        card = method != "CASH"
        payment_id = tables.add(
            "payment",
            (
                booking_id,
                user_id,
                total,
                refunded,
                "USD",
                status,
                method,
                None,
                False,
                "sandbox" if card else "counter",
                f"ch_{tables.next_id['payment']}" if card else "",
                "visa" if card else "",
                "4242" if card else "",
                "",
                "",
                _naive(sold_at),
                _naive(sold_at),
            ),
        )
        counts.payments += 1
        if refunded:
            refunded_at = cancelled_at or sold_at + (starts_at - sold_at) * rng.random()
            tables.add(
                "refund",
                (
                    payment_id,
                    refunded,
                    "SUCCEEDED",
                    "Refund.",
                    f"re_{tables.next_id['refund']}",
                    _naive(refunded_at),
                    _naive(refunded_at + timedelta(seconds=1)),
                ),
            )
            counts.refunds += 1
