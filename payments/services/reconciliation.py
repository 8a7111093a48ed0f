"""Settling what the provider did not tell us, for cron (`manage.py reconcile_payments`)."""

import contextlib
import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from booking.exceptions import BookingNotPayable, HoldExpired
from booking.models import BookingStatus
from core.idempotency import LEASE

from ..exceptions import PaymentDeclined, RefundFailed
from ..gateways import gateway
from ..gateways.base import GatewayError
from ..models import LIVE_CAPTURE, Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus
from .paying import payment_reconcile
from .refunds import provider_refunds_record, refund_everything, refund_make

logger = logging.getLogger(__name__)

# A payment in flight for longer than its request's Idempotency-Key lease is presumed abandoned
# (its process died: a live request finishes or gives up well within the lease).
IN_FLIGHT_LIMIT = LEASE
# Refunds made at the provider are looked for on payments captured this recently.
REFUND_LOOKBACK = timedelta(days=30)


def payments_reconcile_all() -> dict[str, int]:
    """Settle payments whose outcome is unknown or whose process died mid-charge, retry refunds
    the provider failed, refund money that came in for bookings never confirmed, and record
    refunds made at the provider whose webhook never arrived."""
    now = timezone.now()
    counts = {
        "examined": 0,
        "refunds_retried": 0,
        "unconfirmed_refunded": 0,
        "provider_refunds_applied": 0,
    }
    stale = Payment.objects.filter(status=PaymentStatus.PENDING).filter(
        Q(needs_reconciliation=True) | Q(in_flight=True, created_at__lt=now - IN_FLIGHT_LIMIT)
    )
    for payment_id in stale.values_list("pk", flat=True):
        # Whatever the outcome, it is recorded; a provider still silent is asked again next run.
        with (
            _logged("payment", payment_id),
            contextlib.suppress(GatewayError, PaymentDeclined, HoldExpired, BookingNotPayable),
        ):
            payment_reconcile(payment_id=payment_id)
        counts["examined"] += 1
    pending_refunds = Refund.objects.filter(
        status=RefundStatus.PENDING, created_at__lt=now - IN_FLIGHT_LIMIT
    )
    for refund_id in pending_refunds.values_list("pk", flat=True):
        with _logged("refund", refund_id), contextlib.suppress(RefundFailed):
            refund_make(refund_id)  # a full refund cancels its booking, as when made at once
            counts["refunds_retried"] += 1
    unconfirmed = list(
        Payment.objects.filter(status__in=LIVE_CAPTURE, updated_at__lt=now - IN_FLIGHT_LIMIT)
        .exclude(booking__status=BookingStatus.CONFIRMED)
        .values_list("pk", flat=True)
    )
    for payment_id in unconfirmed:
        with _logged("payment", payment_id):
            refund_everything(
                Payment.objects.filter(pk=payment_id), reason="Booking not confirmed.", by=None
            )
            counts["unconfirmed_refunded"] += 1
    counts["provider_refunds_applied"] = _provider_refunds_apply(now)
    return counts


@contextlib.contextmanager
def _logged(kind: str, pk: int):
    """One record that fails unexpectedly is logged, and the run goes on: a record that fails
    every time must not keep the others from being settled."""
    try:
        yield
    except Exception:
        logger.exception("Reconciliation of %s %s failed; the others go on", kind, pk)


def _provider_refunds_apply(now) -> int:
    """Payments of the last `REFUND_LOOKBACK` whose charge the provider refunded more of than
    we recorded (a webhook lost, our call's answer lost, staff in its dashboard), brought up to
    its refunds (`provider_refunds_record`); how many payments."""
    recorded = 0
    captured = (
        Payment.objects.filter(status__in=LIVE_CAPTURE, created_at__gte=now - REFUND_LOOKBACK)
        .exclude(method=PaymentMethod.CASH)  # cash never went through the provider
        .values_list("pk", "amount", "amount_refunded")
    )
    for payment_id, amount, amount_refunded in captured:
        try:
            charge = gateway().charge_lookup(idempotency_key=Payment(pk=payment_id).gateway_key)
        except GatewayError:
            continue
        if (
            charge is not None
            and charge.amount == amount
            and charge.amount_refunded > amount_refunded
        ):
            with _logged("payment", payment_id):
                if provider_refunds_record(payment_id, charge):
                    recorded += 1
    return recorded
