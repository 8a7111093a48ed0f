import pkgutil
import threading
from contextlib import suppress
from datetime import timedelta
from functools import wraps
from unittest import mock

from django.utils import timezone

from booking import services as booking_services
from booking.models import Booking, SeatClaim
from promotions.models import Redemption, RedemptionStatus


def hold(user, showtime, code=None, *, seats=None, ticket_type="ADULT"):
    """A hold made by `booking_create`, with a promo code; the hall's first seat by default."""
    seat_ids = seats or [showtime.hall.seats.order_by("pk").values_list("pk", flat=True).first()]
    return booking_services.booking_create(
        user=user,
        showtime_id=showtime.pk,
        seats=[booking_services.SeatRequest(seat_id, ticket_type) for seat_id in seat_ids],
        promo_code=code,
    )


def lapse(booking) -> None:
    """Let a hold run out: its booking, its seats' claims and its use of a promotion."""
    past = timezone.now() - timedelta(seconds=1)
    Booking.objects.filter(pk=booking.pk).update(expires_at=past)
    SeatClaim.objects.filter(booking_id=booking.pk).update(expires_at=past)
    Redemption.objects.filter(booking_id=booking.pk, status=RedemptionStatus.HELD).update(
        expires_at=past
    )


def counting(promotion) -> int:
    """The uses that count against the promotion's limits now."""
    return Redemption.objects.counting(timezone.now()).filter(promotion=promotion).count()


def status_of(booking) -> str:
    return Redemption.objects.get(booking_id=booking.pk).status


def meeting_after(target: str, *, parties: int = 2, timeout: float = 2.0):
    """Patch `target` (a dotted path) so that its callers wait for each other after it returns,
    for at most `timeout` seconds: without the lock meant to keep them apart, their calls are
    sure to overlap; with it, the first one waits in vain and goes on alone."""
    barrier = threading.Barrier(parties)
    function = pkgutil.resolve_name(target)

    @wraps(function)
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        with suppress(threading.BrokenBarrierError):
            barrier.wait(timeout)
        return result

    return mock.patch(target, wrapper)
