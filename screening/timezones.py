"""Local times of a cinema: what staff type means the cinema's wall clock."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError


def local_to_aware(value: datetime, zone: ZoneInfo, *, field: str = "starts_at") -> datetime:
    """A time without an offset read in `zone`. A wall-clock time the clocks skip (spring
    forward) or show twice (fall back) is refused with a message that says which and what to do;
    an aware time is taken as it is."""
    if value.tzinfo is not None:
        return value
    early, late = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        when = f"{value:%H:%M} on {value:%Y-%m-%d} in {zone.key}"
        if early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
            message = f"{when} does not exist: the clocks go forward then. Choose another time."
        else:
            message = (
                f"{when} happens twice: the clocks go back then. Give the time with its UTC "
                f"offset ({early:%z} for the first, {late:%z} for the second)."
            )
        raise ValidationError({field: [message]})
    return early


LOCAL_FORMAT = "%a %d %b %Y, %H:%M"


def local_format(value: datetime | None, zone: ZoneInfo, fmt: str = LOCAL_FORMAT) -> str:
    """A moment as a cinema's wall clock shows it, with the zone's abbreviation: what staff
    read in the admin ("Tue 10 Mar 2026, 21:00 EDT"). Empty for None."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    return f"{local.strftime(fmt)} {local.tzname()}"
