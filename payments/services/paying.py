"""Paying for a booking exactly once.

Three steps, so that the provider is never called while a transaction is open: reserve (a short
transaction: the booking locked and checked, an in-flight payment row inserted - one per booking,
a unique key), charge (no transaction), settle (a short transaction: the payment and the booking's
confirmation together). A charge whose booking can no longer be confirmed is refunded: a payment
ends confirmed or refunded, never charged and unconfirmed. When the provider does not answer, the
payment waits for reconciliation, and the next attempt to pay settles it first, so a retry never
charges twice.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from booking import locks as booking_locks
from booking import services as booking_services
from booking.exceptions import BookingNotFound, BookingNotPayable, HoldExpired
from booking.models import Booking, BookingStatus
from core.db import instances_insert, rows_update
from screening.models import Showtime

from ..audit import payment_event_record
from ..cards import CardDetails, card_expired
from ..exceptions import (
    PaymentDeclined,
    PaymentGatewayUnavailable,
    RefundFailed,
)
from ..gateways import gateway
from ..gateways.base import Charge, GatewayError
from ..locks import payment_with_booking_lock
from ..models import (
    Payment,
    PaymentEvent,
    PaymentStatus,
    SavedCard,
)
from ..selectors import booking_payments, payment_summary
from .refunds import provider_refunds_apply, refund_make, refund_reserve

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentSource:
    token: str
    brand: str
    last4: str


def _payment_source(*, user: User, card_id: int | None, card: CardDetails | None) -> PaymentSource:
    if card_id is not None:
        saved = SavedCard.objects.filter(user=user, pk=card_id, provider=gateway().name).first()
        if saved is None:
            raise ValidationError({"card_id": ["No such saved card."]})
        if card_expired(saved.exp_month, saved.exp_year):
            raise ValidationError({"card_id": ["This card has expired."]})
        return PaymentSource(saved.token, saved.brand, saved.last4)
    if card is None:
        raise ValidationError({"card": ["Give a saved card_id or the card's details."]})
    token = gateway().tokenize(card)
    return PaymentSource(token.token, token.brand, token.last4)


def booking_pay(
    *,
    user: User,
    booking_id: int,
    card_id: int | None = None,
    card: CardDetails | None = None,
    resumed: bool = False,
) -> tuple[Booking, Payment | None]:
    """Charge a booking's total once and confirm it; returns the booking and the payment.

    A free booking (total 0) is confirmed without a card. `resumed`: an earlier request with the
    same Idempotency-Key died mid-way - its payment is settled with the provider first, and a
    booking it paid is answered as paid. Raises BookingNotFound (404, also for someone else's),
    PaymentDeclined (402: the booking stays pending until its hold expires), HoldExpired (410:
    nothing charged, or the charge refunded), BookingNotPayable (409: paid already, cancelled,
    or another payment in progress; also when another settle of this charge - a webhook - found
    the booking unconfirmable first, and the charge is being given back),
    PaymentGatewayUnavailable (503: the provider did not answer; a retry is safe).

    A booking this call charged and confirmed comes back with what the API shows of it loaded -
    its showtime (movie, hall, cinema), tickets (seats) - and its `payment_summary`
    (`booking.selectors.payment_summaries_attach`) made from the payment just captured: nothing
    is read again to answer. Any other way (free, settled by an earlier attempt) it does not.
    """
    # What the answer shows of its showtime, read now (a promotion, which few have, is read when
    # the answer shows it).
    # ... and, in the same statement, whether an earlier attempt's outcome is still unknown.
    booking = booking_locks.booking_with_venue(
        booking_id, user.pk, annotations={"outcomes_unknown": _outcomes_unknown_sql(resumed)}
    )
    if booking is None:
        raise BookingNotFound()
    booking.user = user  # the query says so: the confirmation's mail needs no read of it
    if booking.total == 0:
        return booking_services.booking_confirm(booking_id=booking.pk), None
    if booking.outcomes_unknown:
        settled = _unknown_outcomes_settle(booking.pk, abandoned_in_flight=resumed)
        if settled is not None:
            return settled
    if resumed:
        booking.refresh_from_db()
        payers = booking_payments(booking.pk).payers
        if booking.status == BookingStatus.CONFIRMED and payers:
            return booking, Payment.objects.get(pk=min(payers))
    source = _payment_source(user=user, card_id=card_id, card=card)
    payment = _payment_reserve(booking=booking, user=user, source=source)
    try:
        charge = gateway().charge(
            amount=payment.amount,
            currency=payment.currency,
            token=source.token,
            idempotency_key=payment.gateway_key,
            description=f"Booking {booking.reference}",
        )
    except GatewayError as exc:
        _outcome_unknown(payment.pk, str(exc))
        raise PaymentGatewayUnavailable() from exc
    confirmed, payment = charge_settle(payment.pk, charge, reserved=(booking, payment))
    confirmed.payment_summary = payment_summary(payment)
    return confirmed, payment


def _payment_reserve(*, booking: Booking, user: User, source: PaymentSource) -> Payment:
    """Check under the booking's locks that it can be charged, and record the payment in flight.

    The unique key on (booking, in_flight) lets one request at a time charge a booking: a second
    one, racing with another key, is refused here, before anything is charged. `booking`: as read
    before the locks (its showtime and promotion spare `booking_lock` a query).
    """
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            locked = booking_locks.booking_lock(booking.pk, known=booking)
            if locked.status == BookingStatus.CONFIRMED:
                raise BookingNotPayable("This booking is paid already.")
            booking_services.booking_charge_check(locked, now)
            payment = Payment(
                booking=locked,
                user=user,
                amount=locked.total,
                currency=locked.currency,
                provider=gateway().name,
                card_brand=source.brand,
                card_last4=source.last4,
            )
            # One plain INSERT (no signal listens; the unique key refuses a second one in
            # flight just the same): `create()` builds a query that costs more than the row.
            instances_insert([payment])
            payment_event_record(
                payment,
                PaymentEvent.Kind.CREATED,
                amount=str(payment.amount),
                currency=payment.currency,
                card=f"{source.brand} {source.last4}",
            )
    except IntegrityError as exc:
        raise BookingNotPayable("Another payment for this booking is in progress.") from exc
    return payment


def _outcome_unknown(payment_id: int, error: str) -> None:
    """The provider did not answer: keep the payment PENDING for reconciliation, and let the
    booking be paid again (the next attempt settles this one first)."""
    with transaction.atomic(durable=True):
        payment = payment_with_booking_lock(payment_id)
        if payment.status == PaymentStatus.PENDING:
            payment.in_flight = None
            payment.needs_reconciliation = True
            payment.failure_message = error[:255]
            payment.save(
                update_fields=["in_flight", "needs_reconciliation", "failure_message", "updated_at"]
            )
            payment_event_record(payment, PaymentEvent.Kind.GATEWAY_ERROR, error=error)


def charge_settle(
    payment_id: int, charge: Charge, *, reserved: tuple[Booking, Payment] | None = None
) -> tuple[Booking, Payment]:
    """Record what the provider did with a charge - from the request that made it, a webhook or
    reconciliation, in any order, at once even: settling twice changes nothing.

    A declined charge fails the payment (PaymentDeclined). A successful one confirms the booking
    in the same transaction; if the booking cannot be confirmed any more (its seats were taken,
    it was cancelled, another payment paid it), the charge is refunded and the reason raised.
    A charge settled before is not settled again: its booking stays as that settle left it, and
    the answer is that settle's (the booking and payment, or BookingNotPayable when the charge
    is being given back).

    `reserved`: the booking as read before its locks and the payment as reserved, from the request
    that made the charge - what they say spares reading them again (the booking comes back with
    the relations the first read loaded).
    """
    known, payment = reserved if reserved is not None else (None, None)
    if known is not None:
        booking_id = known.pk
    else:
        booking_id = Payment.objects.values_list("booking_id", flat=True).get(pk=payment_id)
    if not charge.succeeded:
        payment_failed(
            payment_id,
            code=charge.decline_code,
            message=charge.message,
            reference=charge.reference,
            event=PaymentEvent.Kind.FAILED,
            decline_code=charge.decline_code,
        )
        raise PaymentDeclined(
            charge.message or PaymentDeclined.message, details={"decline_code": charge.decline_code}
        )
    try:
        return _capture_settle(payment_id, booking_id, charge, known, payment)
    except (HoldExpired, BookingNotPayable) as exc:
        if _charge_refund_unconfirmable(payment_id, charge, exc.message):
            raise
    # Another settle of this charge (the request's, a webhook's) recorded it meanwhile.
    return _capture_settle(payment_id, booking_id, charge, None, None)


class _SettledMeanwhile(Exception):
    """Another settle of the charge captured the payment while this one was confirming."""


def _capture_settle(
    payment_id: int, booking_id: int, charge: Charge, known: Booking | None, payment
) -> tuple[Booking, Payment]:
    """A succeeded charge: the booking confirmed and the payment captured, in one transaction -
    or, recorded before, what that settle decided (nothing confirmed here)."""
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            booking = booking_locks.booking_lock(booking_id, known=known)
            if known is not None:
                _relations_carry(booking, known)
            # One statement (plain SQL, as the capture below: each request that pays runs
            # them): this payment's state, and who else pays for the booking - whatever its
            # state, a capture that could not confirm it being one to give back.
            payments = booking_payments(booking_id, payment_id)
            if payments.status not in (PaymentStatus.PENDING, PaymentStatus.FAILED):
                if payment_id in payments.payers and booking.status == BookingStatus.CONFIRMED:
                    return booking, Payment.objects.get(pk=payment_id)
                raise BookingNotPayable("This charge is being given back: it paid no booking.")
            if charge.amount_refunded > 0:
                raise BookingNotPayable("This charge was refunded at the provider.")
            if payments.paid_by_other(payment_id):
                raise BookingNotPayable("This booking is paid already.")
            booking = booking_services.booking_confirm_locked(booking, now)
            # Captured only if still open: this UPDATE takes the payment's lock, after the
            # booking's (the order of booking/locks.py), as a locking read would. Every writer of
            # a payment's status takes the booking's lock first, so it is open; if a writer that
            # did not (a shell) closed it since the read above, this confirmation must not stand.
            fields = _captured_fields(charge, now)
            captured = rows_update(
                Payment,
                fields,
                "id = %s AND status IN (%s, %s)",
                [payment_id, PaymentStatus.PENDING, PaymentStatus.FAILED],
            )
            if not captured:
                raise _SettledMeanwhile()
            if payment is None:
                payment = Payment.objects.get(pk=payment_id)
            else:
                for name, value in fields.items():
                    setattr(payment, name, value)
            payment_event_record(payment, PaymentEvent.Kind.SUCCEEDED, reference=charge.reference)
    except _SettledMeanwhile:
        return _capture_settle(payment_id, booking_id, charge, None, None)
    return booking, payment


def _relations_carry(booking: Booking, known: Booking) -> None:
    """Give a freshly locked booking what an earlier read of it loaded - its user, its showtime's
    movie and hall (with the cinema) - for the confirmation's mail and the answer: they do not
    change meanwhile (the showtime itself is the one read under its lock)."""
    if Booking.user.is_cached(known) and known.user_id == booking.user_id:
        booking.user = known.user
    showtime, before = booking.showtime, known.showtime
    if Showtime.movie.is_cached(before) and before.movie_id == showtime.movie_id:
        showtime.movie = before.movie
    if Showtime.hall.is_cached(before) and before.hall_id == showtime.hall_id:
        showtime.hall = before.hall


def _captured_fields(charge: Charge, now: datetime) -> dict:
    """What a payment whose charge went through says (every column it changes)."""
    return {
        "status": PaymentStatus.SUCCEEDED,
        "in_flight": None,
        "needs_reconciliation": False,
        "provider_reference": charge.reference,
        "failure_code": "",
        "failure_message": "",
        "updated_at": now,
    }


def payment_failed(
    payment_id: int, *, code: str, event: str, message: str = "", reference: str = "", **audit
) -> None:
    """A pending payment that did not go through: it fails, and the booking may be paid again."""
    with transaction.atomic(durable=True):
        payment = payment_with_booking_lock(payment_id)
        if payment.status == PaymentStatus.PENDING:
            payment.status = PaymentStatus.FAILED
            payment.in_flight = None
            payment.needs_reconciliation = False
            payment.provider_reference = reference or payment.provider_reference
            payment.failure_code = code
            payment.failure_message = message
            payment.save(
                update_fields=[
                    "status",
                    "in_flight",
                    "needs_reconciliation",
                    "provider_reference",
                    "failure_code",
                    "failure_message",
                    "updated_at",
                ]
            )
            payment_event_record(payment, event, **audit)


def payment_captured(payment: Payment, charge: Charge, **audit) -> None:
    """Record a locked payment's charge as captured."""
    fields = _captured_fields(charge, timezone.now())
    for name, value in fields.items():
        setattr(payment, name, value)
    payment.save(update_fields=list(fields))
    payment_event_record(payment, PaymentEvent.Kind.SUCCEEDED, reference=charge.reference, **audit)


def _charge_refund_unconfirmable(payment_id: int, charge: Charge, reason: str) -> bool:
    """Money came in for a booking that cannot be confirmed: record it and reserve its refund in
    one transaction, then give it back; True. Never a capture without its refund: not for a
    moment (it would count as the booking's payment, and the one that paid be refused), nor for
    good (a process that dies in between leaves the refund PENDING, for reconciliation; so does
    a provider that fails it). False, nothing done, if another settle of the charge recorded it
    meanwhile: as the booking's payment, or with its refund."""
    refund_reason = f"Booking not confirmed: {reason}"
    with transaction.atomic(durable=True):
        payment = payment_with_booking_lock(payment_id)
        if payment.status not in (PaymentStatus.PENDING, PaymentStatus.FAILED):
            return False
        payment_captured(payment, charge, unconfirmable=reason)
        provider_refunds_apply(payment, charge)  # refunded at the provider already, in part or all
        if payment.amount_refunded >= payment.amount:
            return True
        refund = refund_reserve(payment, reason=refund_reason)
    try:
        refund_make(refund.pk, by=None, reason=refund_reason)
    except RefundFailed:
        logger.warning("Refund of unconfirmable payment %s left for reconciliation", payment_id)
    return True


def _unknown_outcomes_settle(
    booking_id: int, *, abandoned_in_flight: bool
) -> tuple[Booking, Payment] | None:
    """Before charging a booking again, ask the provider about earlier attempts it did not answer
    (and, with `abandoned_in_flight`, about attempts whose request died mid-charge).

    If one did go through, it pays for the booking and no new charge is made. Raises
    PaymentGatewayUnavailable while the provider still cannot say.
    """
    for payment_id in _unknown_outcomes(booking_id, abandoned_in_flight=abandoned_in_flight):
        try:
            settled = payment_reconcile(payment_id=payment_id)
        except GatewayError as exc:
            raise PaymentGatewayUnavailable() from exc
        except (PaymentDeclined, HoldExpired, BookingNotPayable):
            continue
        if settled is not None:
            return settled
    return None


def _unknown_outcomes(booking_id: int, *, abandoned_in_flight: bool) -> list[int]:
    """The booking's pending payments that wait for reconciliation (with `abandoned_in_flight`,
    every pending one), newest first."""
    condition, params = _outcome_unknown_condition(abandoned_in_flight)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Payment._meta.db_table} p "  # noqa: S608
            f"WHERE p.booking_id = %s AND {condition} ORDER BY p.created_at DESC, p.id DESC",
            [booking_id, *params],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _outcomes_unknown_sql(abandoned_in_flight: bool) -> tuple[str, list]:
    """Whether the booking `b` has payments `_unknown_outcomes` would list, as an SQL
    expression: every payment asks, and the answer is almost always no - asked by the statement
    that reads the booking, it costs no round trip of its own."""
    condition, params = _outcome_unknown_condition(abandoned_in_flight)
    return (
        f"EXISTS (SELECT 1 FROM {Payment._meta.db_table} p "  # noqa: S608
        f"WHERE p.booking_id = b.id AND {condition})",
        params,
    )


def _outcome_unknown_condition(abandoned_in_flight: bool) -> tuple[str, list]:
    if abandoned_in_flight:
        return "p.status = %s", [PaymentStatus.PENDING]
    return "p.status = %s AND p.needs_reconciliation = %s", [PaymentStatus.PENDING, True]


def payment_reconcile(*, payment_id: int) -> tuple[Booking, Payment] | None:
    """Settle a payment whose outcome is unknown by asking the provider about its charge.

    No charge at the provider: the payment failed (nothing was charged). Raises GatewayError
    when the provider cannot be asked, and what `charge_settle` raises.
    """
    payment = Payment.objects.get(pk=payment_id)
    charge = gateway().charge_lookup(idempotency_key=payment.gateway_key)
    if charge is None:
        payment_failed(
            payment_id,
            code="not_charged",
            event=PaymentEvent.Kind.RECONCILED,
            outcome="no charge at the provider",
        )
        return None
    payment_event_record(
        payment,
        PaymentEvent.Kind.RECONCILED,
        outcome="succeeded" if charge.succeeded else "declined",
    )
    return charge_settle(payment_id, charge)
