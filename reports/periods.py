"""Local days in SQL without the database's time zone tables.

A report's period is a range of dates, each a day in the time zone of the cinema a record belongs
to. Both things a query needs are computed here in Python, per time zone, and handed to the
database as plain UTC values:
- the UTC bounds of the period (`period_q`): a range on an indexed timestamp;
- the local date of a timestamp (`local_date`): UTC plus the zone's offset, where the offset is
  constant between the zone's transitions (daylight saving time), so a short CASE over those
  instants gives it exactly.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Case, DateField, F, Q, Value, When
from django.db.models.functions import TruncDate

MAX_DAYS = 366
DEFAULT_DAYS = 30


class PeriodInvalid(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    """From `first` to `last`, both included."""

    first: date
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @classmethod
    def of(cls, first: date | None, last: date | None, today: date) -> "Period":
        """The period a report asks for: `last` defaults to `today`, `first` to the
        `DEFAULT_DAYS`th day before; at most `MAX_DAYS` days. Raises PeriodInvalid."""
        last = last or today
        first = first or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise PeriodInvalid("from", "Must not be after `to`.")
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodInvalid("to", f"A report covers {MAX_DAYS} days at most.")
        return cls(first, last)

    def bounds(self, zone_name: str) -> tuple[datetime, datetime]:
        """The period in `zone_name` as UTC instants: [start of `first`, start of the day after
        `last`). A local midnight that daylight saving time skips begins at the first instant
        that exists."""
        zone = ZoneInfo(zone_name)
        start = datetime.combine(self.first, time.min, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
        return start, end


def period_q(field: str, period: Period, zones: dict[str, Q]) -> Q:
    """Rows whose `field` (a UTC timestamp) falls in `period`, in the time zone of the row:
    `zones` maps each time zone to the rows in it (an empty Q when there is only one). The range
    of all the zones comes first, so that an index on `field` serves the query."""
    if not zones:
        return Q(pk__in=[])
    ranges = {zone: period.bounds(zone) for zone in zones}
    earliest = min(start for start, _ in ranges.values())
    latest = max(end for _, end in ranges.values())
    q = Q(**{f"{field}__gte": earliest, f"{field}__lt": latest})
    if len(zones) == 1:
        return q
    each = Q()
    for zone, (start, end) in ranges.items():
        each |= zones[zone] & Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return q & each


def offsets(zone_name: str, start: datetime, end: datetime) -> list[tuple[datetime | None, int]]:
    """The UTC offsets (seconds) of a zone between two UTC instants: [(until, offset), ...], the
    last one open-ended (`until` None). Transitions are found day by day, then to the second."""
    zone = ZoneInfo(zone_name)

    def offset_at(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())

    segments: list[tuple[datetime | None, int]] = []
    current = offset_at(start)
    moment = start
    while moment < end:
        following = min(moment + timedelta(days=1), end)
        if offset_at(following) != current:
            low, high = moment, following  # the offset changes in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset_at(middle) == current:
                    low = middle
                else:
                    high = middle
            high = high.replace(microsecond=0)
            segments.append((high, current))
            current = offset_at(high)
        moment = following
    segments.append((None, current))
    return segments


def local_date(field: str, period: Period, zones: dict[str, Q]):
    """An expression for the local date of `field` (a UTC timestamp within `period`, give or take
    a day), in the time zone of the row (`zones` as for `period_q`)."""
    dates = {}
    for zone in zones:
        start, end = period.bounds(zone)
        dates[zone] = _shifted_date(
            field, offsets(zone, start - timedelta(days=1), end + timedelta(days=1))
        )
    if len(dates) == 1:
        return next(iter(dates.values()))
    return Case(
        *(When(zones[zone], then=date_of) for zone, date_of in dates.items()),
        default=Value(None),
        output_field=DateField(),
    )


def _shifted_date(field: str, segments: list[tuple[datetime | None, int]]):
    def shifted(offset: int):
        moment = F(field) + Value(timedelta(seconds=offset))
        return TruncDate(moment, tzinfo=UTC)

    *changes, (_, last) = segments
    if not changes:
        return shifted(last)
    return Case(
        *(When(**{f"{field}__lt": until}, then=shifted(offset)) for until, offset in changes),
        default=shifted(last),
        output_field=DateField(),
    )
