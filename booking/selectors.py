import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache, cached_property, lru_cache

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.db import connection
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.dispatch import receiver
from django.utils import timezone

from core.db import RowLoader
from screening.layouts import IdealSpot, layout_ideal_spot
from screening.models import (
    ACCESSIBLE_SPACES,
    Cinema,
    Hall,
    Seat,
    SeatType,
    Showtime,
    ShowtimeStatus,
)
from screening.selectors import local_day_bounds

from . import hooks
from .models import (
    Booking,
    BookingStatus,
    SeatChange,
    SeatClaim,
    SeatSurcharge,
    Ticket,
    TicketType,
    TicketTypeCode,
)
from .pricing import MULTIPLIER_PLACES, money, price_list
from .seat_rules import Choice, HallPlan, Pick, best_choice, hall_plan_build, open_count


def seats_taken_subquery() -> Coalesce:
    """For annotating `Showtime` querysets: the live claims of each row, as a correlated count
    (served by the claims' unique index), so a listing stays one query. Registered with
    screening for its `seats_available` (booking/apps.py)."""
    taken = (
        SeatClaim.objects.live(timezone.now())
        .filter(showtime=OuterRef("pk"))
        .order_by()
        .values("showtime")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(taken, output_field=IntegerField()), 0)


@dataclass(frozen=True)
class _HallSeats:
    """A hall's seats in drawing order, each as the start of its JSON object in the seat map."""

    ids: tuple[int, ...]
    types: tuple[str, ...]
    heads: tuple[str, ...]


@lru_cache(maxsize=256)
def _hall_seats(hall_id: int, seats_version: int) -> _HallSeats:
    """Seats change only when a hall's layout is replaced, which bumps `seats_version`: the key
    read from the database on every request, so this per-process cache is never stale."""
    seats = (
        Seat.objects.filter(hall_id=hall_id)
        .order_by("y", "x")
        .values_list("id", "row", "number", "seat_type", "x", "y", "pair_id")
    )
    ids, types, heads = [], [], []
    for seat_id, row, number, seat_type, x, y, pair in seats:
        ids.append(seat_id)
        types.append(seat_type)
        fields = {
            "id": seat_id,
            "row": row,
            "number": number,
            "type": seat_type,
            "position": {"x": x, "y": y},
            "pair": pair,
        }
        heads.append(json.dumps(fields, separators=(",", ":"))[:-1] + ',"status":"')
    return _HallSeats(tuple(ids), tuple(types), tuple(heads))


@lru_cache(maxsize=256)
def hall_plan(hall_id: int, seats_version: int) -> HallPlan:
    """A hall's seats as rows, for the seat rules; per process, keyed like `_hall_seats`."""
    layout = Hall.objects.values_list("layout", flat=True).get(pk=hall_id)
    spot = layout_ideal_spot(layout) or IdealSpot()
    seats = Seat.objects.filter(hall_id=hall_id).values_list(
        "id", "row", "number", "seat_type", "x", "y", "pair_id"
    )
    return hall_plan_build(seats, ideal_across=spot.across, ideal_back=spot.back)


def seat_map_cache_clear() -> None:
    """Forget the per-process caches: halls and rendered seat maps (tests flush tables, which
    resets ids)."""
    _hall_seats.cache_clear()
    hall_plan.cache_clear()
    with _rendered_lock:
        _rendered.clear()


def held_back_until(starts_at: datetime, now: datetime) -> datetime | None:
    """Until when wheelchair spaces and companion seats are kept for bookings with a wheelchair
    space (`ACCESSIBLE_RELEASE_MINUTES` before the show); None once they are on general sale."""
    release = starts_at - timedelta(minutes=settings.ACCESSIBLE_RELEASE_MINUTES)
    return release if now < release else None


def seats_taken(showtime_id: int, now: datetime) -> set[int]:
    """The seats of a showtime that live claims take (no locks: a snapshot). The seat map's
    plain SQL (`LIVE_CLAIMS`), its seats alone: best available reads this on every attempt, and
    the claims' expiries, a datetime for the driver to parse per claim, cost more than the rest
    of the answer. The databases merge the derived table into one plain query (the same plan)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seat_id FROM ({LIVE_CLAIMS}) live".format(claim=SeatClaim._meta.db_table),  # noqa: S608
            [showtime_id, connection.ops.adapt_datetimefield_value(now)],
        )
        return {seat_id for (seat_id,) in cursor.fetchall()}


@dataclass(frozen=True)
class BestSeats:
    bookable: bool  # scheduled and not started
    choice: Choice | None  # None: not enough seats open for the pick
    available: int  # seats open for the pick
    labels: tuple[str, ...]


def best_seats_propose(showtime_id: int, pick: Pick) -> BestSeats | None:
    """The seats best available would hold for `pick` now (`seat_rules.best_choice`), from a
    snapshot without locks - booking with `quantity` chooses again under them. None for no such
    showtime. Two queries, and the hall's plan the first time in this process."""
    row = (
        Showtime.objects.filter(pk=showtime_id)
        .values_list("hall_id", "hall__seats_version", "starts_at", "status")
        .first()
    )
    if row is None:
        return None
    hall_id, seats_version, starts_at, status = row
    now = timezone.now()
    plan = hall_plan(hall_id, seats_version)
    taken = seats_taken(showtime_id, now)
    held_back = held_back_until(starts_at, now) is not None
    choice = best_choice(plan, taken, pick, held_back=held_back)
    return BestSeats(
        bookable=status == ShowtimeStatus.SCHEDULED and starts_at > now,
        choice=choice,
        available=open_count(plan, taken, pick, held_back=held_back),
        labels=tuple(plan.seats[pk].label for pk in choice.seat_ids) if choice else (),
    )


def money_text(value) -> str:
    """Two decimals ("13.50") whatever the database hands back (SQLite may say 13.5)."""
    return str(money(Decimal(str(value))))


@dataclass(frozen=True)
class SeatMapState:
    """What a seat map is made of besides its seats, read in one query: enough to say whether a
    poller's copy is current (`etag`) without building anything."""

    showtime_id: int
    hall_id: int
    seats_version: int
    starts_at: datetime
    status: str
    base_price: Decimal
    version: int  # the newest SeatChange id of the showtime (0: none yet)
    prices: str  # the price rules the map shows: ADULT's multiplier, each seat type's surcharge

    @cached_property
    def etag(self) -> str:
        """Everything the document shows but its seats' claims (which `version` stands for) and
        time (which the document states: when each hold ends, when accessible seats are
        released). The hall and the start time too: a showtime nobody booked may move."""
        starts_at = (self.starts_at - _EPOCH) // _MICROSECOND
        return (
            f'"{self.showtime_id}.{self.version}.{self.hall_id}-{self.seats_version}.'
            f'{starts_at}.{self.status}.{money_text(self.base_price)}.{self.prices}"'
        )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def seat_map_state(showtime_id: int) -> SeatMapState | None:
    """One indexed read: the showtime, its hall's seats version, its newest seat change, and the
    price rules the map shows (each by its unique key: an edit of any of them changes the tag,
    an edit of a rule the map does not show - another ticket type - does not). Plain SQL: this
    is all a poller whose copy is current costs."""
    with connection.cursor() as cursor:
        cursor.execute(_seat_map_state_sql(), [ADULT, *SeatType.values, showtime_id])
        row = cursor.fetchone()
    if row is None:
        return None
    hall_id, seats_version, starts_at, status, base_price, version, adult, *surcharges = row
    prices = [
        "-" if adult is None else f"{Decimal(str(adult)).quantize(MULTIPLIER_PLACES)}",
        *("-" if amount is None else f"{money(Decimal(str(amount)))}" for amount in surcharges),
    ]
    return SeatMapState(
        showtime_id=showtime_id,
        hall_id=hall_id,
        seats_version=seats_version,
        starts_at=_STARTS_AT.values("starts_at", [starts_at])[0],
        status=status,
        base_price=Decimal(str(base_price)),
        version=version or 0,
        prices="-".join(prices),
    )


ADULT = TicketTypeCode.ADULT.value  # the map shows ADULT prices


@cache
def _seat_map_state_sql() -> str:
    surcharge = SeatSurcharge._meta.db_table
    surcharges = "".join(
        f",\n        (SELECT a.amount FROM {surcharge} a WHERE a.seat_type = %s)"  # noqa: S608
        for _ in SeatType.values
    )
    return f"""
    SELECT s.hall_id, h.seats_version, s.starts_at, s.status, s.base_price,
        (SELECT MAX(c.id) FROM {SeatChange._meta.db_table} c WHERE c.showtime_id = s.id),
        (SELECT t.multiplier FROM {TicketType._meta.db_table} t WHERE t.code = %s AND t.active)
        {surcharges}
    FROM {Showtime._meta.db_table} s JOIN {Hall._meta.db_table} h ON h.id = s.hall_id
    WHERE s.id = %s
"""  # noqa: S608 - table names from the models, values as parameters


# Datetimes read by plain SQL arrive as the database has them (naive UTC from MySQL's driver,
# text from SQLite's): these make them what the models' fields hold.
_STARTS_AT = RowLoader(Showtime, alias="s", fields=["starts_at"])
_EXPIRES_AT = RowLoader(SeatClaim, alias="k", fields=["expires_at"])


def _live_claims(showtime_id: int, now: datetime) -> list[tuple[int, datetime | None]]:
    """A showtime's live claims as (seat, expires_at: None when sold). Plain SQL, like the
    state: the unique (showtime, seat) index serves it."""
    with connection.cursor() as cursor:
        cursor.execute(
            LIVE_CLAIMS.format(claim=SeatClaim._meta.db_table),
            [showtime_id, connection.ops.adapt_datetimefield_value(now)],
        )
        rows = cursor.fetchall()
    expiries = _EXPIRES_AT.values("expires_at", [expires_at for _, expires_at in rows])
    return [(seat_id, expires_at) for (seat_id, _), expires_at in zip(rows, expiries, strict=True)]


LIVE_CLAIMS = """
    SELECT seat_id, expires_at FROM {claim}
    WHERE showtime_id = %s AND (expires_at IS NULL OR expires_at > %s)
"""


def _held_until(expires_at: datetime | None) -> tuple[str, str]:
    """A claim's (status, held_until as JSON)."""
    if expires_at is None:
        return ("sold", "null")
    return ("held", json.dumps(expires_at, cls=DjangoJSONEncoder))


def seat_map_json(state: SeatMapState) -> str:
    """The seat map of a showtime as a JSON document: every seat of its hall with its status
    (available / held / sold), until when a held seat's hold lasts (`held_until`: a poller sees
    it free after that without asking), ADULT price, a companion seat's `pair`, and until when
    wheelchair spaces and companion seats are held back (`held_back_until`); the counts, and the
    map's `version` (for `?since=` and the ETag).

    Three queries whatever the hall size: the state (`seat_map_state`), the price rules, and
    the live claims. The seats themselves come from `_hall_seats`. This is the page every
    customer reloads, so it is built for speed: the document is built as text.
    """
    return _seat_map_render(state, timezone.now())[0]


def _seat_map_render(state: SeatMapState, now: datetime) -> tuple[str, datetime | None]:
    """`seat_map_json` at `now`, and the first instant at which the same state would render
    otherwise (None: never): when the first of its holds ends (the seat shows available), when
    accessible seats are released (their `held_back_until` turns null)."""
    claims = _live_claims(state.showtime_id, now)
    states = {seat_id: _held_until(expires_at) for seat_id, expires_at in claims}
    ends = [expires_at for _, expires_at in claims if expires_at is not None]
    seats = _hall_seats(state.hall_id, state.seats_version)
    prices = price_list()
    release = held_back_until(state.starts_at, now)
    held_back = json.dumps(release, cls=DjangoJSONEncoder)
    price_tails = {}
    for seat_type in set(seats.types):
        price = prices.adult_price(state.base_price, seat_type)
        accessible = seat_type in ACCESSIBLE_SPACES
        if accessible and release is not None:
            ends.append(release)
        price_tails[seat_type] = (
            ',"price":'
            + json.dumps(None if price is None else money_text(price))
            + ',"held_back_until":'
            + (held_back if accessible else "null")
            + "}"
        )
    counts = {"available": 0, "held": 0, "sold": 0}
    parts = []
    available = ("available", "null")
    for seat_id, seat_type, head in zip(seats.ids, seats.types, seats.heads, strict=True):
        status, held_until = states.get(seat_id, available)
        counts[status] += 1
        parts.append(f'{head}{status}","held_until":{held_until}{price_tails[seat_type]}')
    header = {
        "id": state.showtime_id,
        "hall": state.hall_id,
        "starts_at": state.starts_at,
        "status": state.status,
        "base_price": money_text(state.base_price),
    }
    document = (
        f'{{"showtime":{json.dumps(header, cls=DjangoJSONEncoder)},"version":{state.version},'
        f'"seats":[{",".join(parts)}],"counts":{json.dumps(counts)},'
        f'"currency":{json.dumps(settings.CURRENCY)}}}'
    )
    return document, min(ends, default=None)


@dataclass(frozen=True)
class _Rendered:
    state: SeatMapState
    body: bytes
    until: datetime  # served while now < until; rendered again after


# Rendered seat maps, per process: a showtime's newest, while its state stands and time has not
# changed it. A few dozen showtimes are on sale at once; each entry holds one document.
SEAT_MAP_CACHE_SIZE = 64
# However long the state stands, a document is rendered again after this: a bound on what the
# state cannot see can leave stale (a claim edited in a shell or by hand, without a SeatChange).
SEAT_MAP_CACHE_SECONDS = 60
_rendered: OrderedDict[int, _Rendered] = OrderedDict()
_rendered_lock = threading.Lock()


@receiver(setting_changed)
def _seat_map_settings_changed(setting: str, **kwargs) -> None:
    """The document states these settings too: renderings made under others are forgotten
    (only tests change settings in a running process)."""
    if setting in ("ACCESSIBLE_RELEASE_MINUTES", "CURRENCY"):
        with _rendered_lock:
            _rendered.clear()


def seat_map_body(state: SeatMapState) -> bytes:
    """`seat_map_json` encoded, from the per-process cache while a fresh render would give the
    same bytes: the same state (the version, prices, hall, start), and before the first instant
    that changes the document (`_seat_map_render`). Hit: nothing more than the state's query.
    Miss: the price rules and the live claims (two queries) and the rendering."""
    now = timezone.now()
    with _rendered_lock:
        cached = _rendered.get(state.showtime_id)
        if cached is not None:
            _rendered.move_to_end(state.showtime_id)
    if cached is not None and cached.state == state and now < cached.until:
        return cached.body
    document, until = _seat_map_render(state, now)
    body = document.encode()
    bound = now + timedelta(seconds=SEAT_MAP_CACHE_SECONDS)
    entry = _Rendered(state, body, bound if until is None else min(until, bound))
    with _rendered_lock:
        _rendered[state.showtime_id] = entry
        _rendered.move_to_end(state.showtime_id)
        while len(_rendered) > SEAT_MAP_CACHE_SIZE:
            _rendered.popitem(last=False)
    return body


def seat_map_changes(state: SeatMapState, since: int) -> dict | None:
    """The seats of a showtime whose status changed after version `since`, as they are now;
    None when `since` is no version of this map (newer than it - or its log was purged, the
    showtime long over), and the client must reload the whole map. A showtime's log is kept
    whole while it can be sold (`seat_changes_purge`), so any older version is answered.
    One query (plain SQL): the changed seats with their live claims."""
    if since > state.version:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            SEAT_CHANGES.format(change=SeatChange._meta.db_table, claim=SeatClaim._meta.db_table),
            [
                state.showtime_id,
                since,
                state.showtime_id,
                connection.ops.adapt_datetimefield_value(timezone.now()),
            ],
        )
        rows = cursor.fetchall()
    encoder = DjangoJSONEncoder()
    expiries = _EXPIRES_AT.values("expires_at", [expires_at for _, _, expires_at in rows])
    seats = []
    for (seat_id, claimed, _), expires_at in zip(rows, expiries, strict=True):
        if not claimed:
            status, held_until = "available", None
        elif expires_at is None:
            status, held_until = "sold", None
        else:
            status = "held"
            held_until = encoder.default(expires_at)
        seats.append({"id": seat_id, "status": status, "held_until": held_until})
    return {
        "showtime": state.showtime_id,
        "since": since,
        "version": state.version,
        "seats": seats,
    }


SEAT_CHANGES = """
    SELECT c.seat_id, k.id IS NOT NULL, k.expires_at
    FROM (SELECT DISTINCT seat_id FROM {change} WHERE showtime_id = %s AND id > %s) c
    LEFT JOIN {claim} k ON k.showtime_id = %s AND k.seat_id = c.seat_id
        AND (k.expires_at IS NULL OR k.expires_at > %s)
    ORDER BY c.seat_id
"""


def _count_per_showtime(queryset: QuerySet) -> Coalesce:
    counted = (
        queryset.filter(showtime=OuterRef("pk"))
        .order_by()
        .values("showtime")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def showtimes_of_the_day(*, cinema: Cinema, day: date) -> list[Showtime]:
    """A cinema's showtimes of one of its local days, cancelled ones too, in start order, each
    with `sold`, `held` and `checked_in` counts and its `free` seats (none once cancelled) - the
    box office's board. One query, whatever the number of showtimes."""
    start, end = local_day_bounds(day, cinema.zone)
    now = timezone.now()
    showtimes = list(
        Showtime.objects.filter(hall__cinema=cinema, starts_at__gte=start, starts_at__lt=end)
        .select_related("movie", "hall")
        .annotate(
            sold=_count_per_showtime(SeatClaim.objects.filter(expires_at__isnull=True)),
            held=_count_per_showtime(SeatClaim.objects.filter(expires_at__gt=now)),
            checked_in=_count_per_showtime(
                Ticket.objects.filter(
                    checked_in_at__isnull=False, booking__status=BookingStatus.CONFIRMED
                )
            ),
        )
        .order_by("starts_at", "hall__name", "pk")
    )
    for showtime in showtimes:
        showtime.hall.cinema = cinema
        scheduled = showtime.status == ShowtimeStatus.SCHEDULED
        showtime.free = showtime.hall.capacity - showtime.sold - showtime.held if scheduled else 0
    return showtimes


def booking_queryset() -> QuerySet[Booking]:
    """Bookings with what the API shows, in three queries for any page."""
    return Booking.objects.select_related(
        "showtime__movie", "showtime__hall__cinema", "promotion"
    ).prefetch_related(
        Prefetch(
            "tickets", queryset=Ticket.objects.select_related("seat").order_by("seat__y", "seat__x")
        )
    )


def bookings_visible_to(user) -> QuerySet[Booking]:
    """A customer's own bookings; staff and administrators see all."""
    queryset = booking_queryset()
    return queryset if user.is_staff else queryset.filter(user=user)


def booking_status_q(status: str, *, now=None) -> Q:
    """Filter by the status a client sees: a PENDING booking whose hold ran out shows EXPIRED."""
    now = now or timezone.now()
    if status == BookingStatus.PENDING:
        return Q(status=BookingStatus.PENDING, expires_at__gt=now)
    if status == BookingStatus.EXPIRED:
        return Q(status=BookingStatus.EXPIRED) | Q(
            status=BookingStatus.PENDING, expires_at__lte=now
        )
    return Q(status=status)


def payment_summaries_attach(bookings: list[Booking]) -> list[Booking]:
    """Give each booking its `payment_summary` (what the payments app reports, one query for
    all of them; None for a booking never paid)."""
    summaries = hooks.payment_summaries([booking.pk for booking in bookings])
    for booking in bookings:
        booking.payment_summary = summaries.get(booking.pk)
    return bookings


def seat_map_document(showtime_id: int) -> str | None:
    """The whole seat map of a showtime (`seat_map_json`), None for no such showtime."""
    state = seat_map_state(showtime_id)
    return None if state is None else seat_map_json(state)


def tickets_sold() -> QuerySet[Ticket]:
    """The tickets sold: those of confirmed bookings. A cancelled booking keeps its tickets as
    its history (a full refund cancels it), but they are sold no more."""
    return Ticket.objects.filter(booking__status=BookingStatus.CONFIRMED)


@dataclass(frozen=True)
class Occupancy:
    """Seats sold over seats offered. A cancelled showtime offers none."""

    sold: int
    seats: int

    @property
    def basis_points(self) -> int | None:
        """sold / seats in ten-thousandths, rounded half up; None without seats."""
        if not self.seats:
            return None
        return (20000 * self.sold + self.seats) // (2 * self.seats)

    @property
    def fraction(self) -> Decimal | None:
        points = self.basis_points
        return None if points is None else Decimal(points).scaleb(-4)

    @property
    def percent(self) -> Decimal | None:
        points = self.basis_points
        return None if points is None else Decimal(points).scaleb(-2)


def showtimes_occupancy(showtime_ids: list[int]) -> dict[int, Occupancy]:
    """Each showtime's occupancy now, in one query: tickets sold over the seats of its hall (none
    when it is cancelled). For the box office's board and the reports."""
    sold = (
        tickets_sold()
        .filter(showtime=OuterRef("pk"))
        .order_by()
        .values("showtime")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Showtime.objects.filter(pk__in=showtime_ids)
        .annotate(sold=Coalesce(Subquery(sold, output_field=IntegerField()), 0))
        .values_list("pk", "status", "hall__capacity", "sold")
    )
    return {
        pk: Occupancy(sold, capacity if status == ShowtimeStatus.SCHEDULED else 0)
        for pk, status, capacity, sold in rows
    }
