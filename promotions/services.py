"""Every write of the promotions app, and the rules a use of a promo code must meet.

- Promotions are created, changed and deleted by administrators, through the API or the admin.
- The rules: `promotion_terms_check` (the code is on, its dates, the movie, the tickets, the
  subtotal, a first booking) and `promotion_uses_check` (the limits: uses, uses per customer, the
  money budget). Booking calls both under the promotion's lock (`promotions.locks`) to hold a
  use; `POST /promotions/validate/` calls them without it, to tell a customer what a code would do.
- Redemptions: booking records, confirms and releases its bookings' uses within its own
  transactions, under its locks (`redemption_hold`, `redemption_confirm`, `redemptions_release`).
  Promotions sit below booking and never call it.
- The promotion's e-mail (`promotion_send`): in batches, each customer at most once.
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts.models import AccountState, User
from accounts.tokens import unsubscribe_token
from catalog.models import Movie
from core.db import constraint_name, transaction_required
from core.emails import email_send_on_commit
from core.exceptions import ResourceBusy

from . import hooks, locks
from .exceptions import (
    PromotionExhausted,
    PromotionExpired,
    PromotionInUse,
    PromotionInvalid,
    PromotionLocked,
    PromotionNotApplicable,
    PromotionNotSendable,
)
from .models import (
    DiscountType,
    Promotion,
    PromotionRecipient,
    Redemption,
    RedemptionStatus,
    code_normalize,
)
from .selectors import promotion_usage

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
CODE_TAKEN = "Another promotion has this code."
# What customers were told in a promotion's e-mail: fixed once it has been sent.
SENT_FIELDS = ("code", "discount_type", "value")
SEND_BATCH_SIZE = 200

TicketLine = tuple[str, Decimal]  # (ticket type code, price after ticket rules and surcharges)


# Promotions


def promotion_validate(promotion: Promotion) -> None:
    """The rules of a promotion's own fields, each message under its field: the services call it
    before saving, the admin's form to show the same errors. The check constraints repeat the
    rules that can be stated in SQL."""
    errors: dict[str, list[str]] = {}
    if (
        promotion.discount_type == DiscountType.PERCENT
        and promotion.value is not None
        and promotion.value > 100
    ):
        errors["value"] = ["A percentage is at most 100."]
    if promotion.starts_at and promotion.ends_at and promotion.ends_at <= promotion.starts_at:
        errors["ends_at"] = ["The end must be after the start."]
    if not isinstance(promotion.ticket_types, list):
        errors["ticket_types"] = ["A list of ticket type codes."]
    else:
        unknown = sorted(set(map(str, promotion.ticket_types)) - set(hooks.ticket_types()))
        if unknown:
            errors["ticket_types"] = [f"No ticket type {code}." for code in unknown]
    if errors:
        raise ValidationError(errors)
    promotion.full_clean(validate_unique=False, validate_constraints=False)


def _promotion_save(promotion: Promotion) -> None:
    """Save a validated promotion; a code taken already (also by a racing request) is a
    validation error on `code`."""
    if Promotion.objects.filter(code=promotion.code).exclude(pk=promotion.pk).exists():
        raise ValidationError({"code": [CODE_TAKEN]})
    try:
        with transaction.atomic():
            promotion.save()
    except IntegrityError as exc:
        if constraint_name(exc) == "code":
            raise ValidationError({"code": [CODE_TAKEN]}) from exc
        raise


def _fields_set(promotion: Promotion, fields: dict) -> None:
    for field, value in fields.items():
        setattr(promotion, field, value)
    if promotion.code:
        promotion.code = code_normalize(promotion.code)
    if isinstance(promotion.ticket_types, list):
        promotion.ticket_types = sorted(set(promotion.ticket_types))


def promotion_create(*, movies: Iterable[Movie] = (), **fields) -> Promotion:
    """A new promotion. Raises ValidationError (a field's rule, a code taken already)."""
    with transaction.atomic(durable=True):
        promotion = Promotion()
        _fields_set(promotion, fields)
        promotion_validate(promotion)
        _promotion_save(promotion)
        promotion.movies.set(list(movies))
    return promotion


def promotion_update(*, promotion_id: int, data: dict) -> Promotion:
    """Change a promotion, under its lock (uses are counted under it: a lower limit applies to
    the next hold at once). Once it has been e-mailed, what the e-mail told customers - its code
    and its discount - is fixed: PromotionLocked (409). Raises ValidationError."""
    data = dict(data)
    movies = data.pop("movies", None)
    with transaction.atomic(durable=True):
        promotion = locks.promotion_lock(promotion_id)
        if promotion.sent_at is not None:
            changed = [
                field
                for field in SENT_FIELDS
                if field in data
                and (code_normalize(data[field]) if field == "code" else data[field])
                != getattr(promotion, field)
            ]
            if changed:
                raise PromotionLocked(details={"fields": changed})
        _fields_set(promotion, data)
        promotion_validate(promotion)
        _promotion_save(promotion)
        if movies is not None:
            promotion.movies.set(list(movies))
    return promotion


def promotion_delete(*, promotion_id: int) -> None:
    """Delete a promotion no booking has used. Raises PromotionInUse (409): bookings and their
    redemptions keep the promotion they used (switch it off with `active` instead)."""
    with transaction.atomic(durable=True):
        promotion = locks.promotion_lock(promotion_id)
        try:
            promotion.delete()
        except ProtectedError as exc:
            raise PromotionInUse() from exc


# The rules of a use


def promotion_discount(promotion: Promotion, tickets: Iterable[TicketLine]) -> Decimal:
    """The discount a promotion gives a booking, computed once on the subtotal of the tickets it
    applies to (all of them, or those of its `ticket_types`), prices being after ticket rules and
    surcharges, before fees and tax.

    PERCENT: that subtotal x value / 100, rounded half up to the cent once for the booking (not
    per ticket): 15 % of 10.05 is 1.5075 -> 1.51. FIXED: the value, but never more than that
    subtotal, so no total goes below zero.
    """
    eligible = sum(
        (price for ticket_type, price in tickets if _applies_to(promotion, ticket_type)), ZERO
    )
    if promotion.discount_type == DiscountType.PERCENT:
        return (eligible * promotion.value / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(promotion.value, eligible)


def _applies_to(promotion: Promotion, ticket_type: str) -> bool:
    return not promotion.ticket_types or ticket_type in promotion.ticket_types


def _day(moment: datetime) -> str:
    moment = timezone.localtime(moment)
    return f"{moment.day} {moment:%B %Y}"


def _names(codes: Iterable[str]) -> str:
    names = [code.lower() for code in sorted(codes)]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def promotion_terms_check(
    promotion: Promotion,
    *,
    movie_id: int | None,
    tickets: list[TicketLine] | None,
    first_booking: bool,
    now: datetime,
) -> Decimal | None:
    """Whether the promotion can be used now, for this movie and these tickets - everything but
    its limits (`promotion_uses_check`). Returns the discount for `tickets` (None without them;
    without a movie, the movie is not checked). `first_booking`: the customer has never had a
    booking confirmed (only asked of a `first_booking_only` promotion). Raises PromotionInvalid
    (switched off, not started), PromotionExpired, PromotionNotApplicable.
    """
    if not promotion.active:
        raise PromotionInvalid()
    if now < promotion.starts_at:
        raise PromotionInvalid(f"This promo code can be used from {_day(promotion.starts_at)}.")
    if now >= promotion.ends_at:
        raise PromotionExpired(f"This promo code expired on {_day(promotion.ends_at)}.")
    if movie_id is not None:
        movies = set(promotion.movies.values_list("pk", flat=True))
        if movies and movie_id not in movies:
            raise PromotionNotApplicable("This promo code is not valid for this movie.")
    if promotion.first_booking_only and not first_booking:
        raise PromotionNotApplicable("This promo code is for a customer's first booking only.")
    if tickets is None:
        return None
    if not any(_applies_to(promotion, ticket_type) for ticket_type, _ in tickets):
        raise PromotionNotApplicable(
            f"This promo code is for {_names(promotion.ticket_types)} tickets only."
        )
    subtotal = sum((price for _, price in tickets), ZERO)
    if subtotal < promotion.min_total:
        raise PromotionNotApplicable(
            f"This promo code needs a subtotal of at least {promotion.min_total} "
            f"{settings.CURRENCY} before the discount.",
            details={"min_total": str(promotion.min_total)},
        )
    return promotion_discount(promotion, tickets)


def promotion_uses_check(
    promotion: Promotion, *, user_id: int, discount: Decimal | None, now: datetime
) -> None:
    """Whether the limits leave one more use, taking `discount` off, for this customer: uses left
    = limit - confirmed - live holds, per promotion and per customer, and the money budget left
    must cover the whole discount. A `first_booking_only` promotion is used once per customer.

    Counted now: under the promotion's lock the count is exact and the caller may take the use
    (`redemption_hold`); without it, it is an estimate. A promotion without limits costs no query.
    Raises PromotionNotApplicable (the customer's own limit), PromotionExhausted.
    """
    per_user = 1 if promotion.first_booking_only else promotion.per_user_limit
    budget, most = promotion.max_discount_total, promotion.max_redemptions
    if per_user is None and most is None and budget is None:
        return
    usage = promotion_usage(promotion.pk, user_id=user_id, now=now)
    if per_user is not None and usage.uses_by_user >= per_user:
        raise PromotionNotApplicable(
            "You have already used this promo code."
            if per_user == 1
            else f"You have already used this promo code {per_user} times, the most it allows."
        )
    if most is not None and usage.uses >= most:
        raise PromotionExhausted()
    if budget is not None:
        left = budget - usage.discount_total
        if left <= 0 or (discount is not None and discount > left):
            raise PromotionExhausted()


# Redemptions: written by booking, in its transactions, under its locks


def redemption_hold(
    *, promotion: Promotion, booking_id: int, user_id: int, amount: Decimal, expires_at: datetime
) -> Redemption:
    """Record a booking's use of a promotion from its hold on: it counts until `expires_at`,
    when it lapses by itself. The caller holds the promotion's lock and has run both checks under
    it. The unique key on (booking, promotion) refuses a second use by one booking."""
    transaction_required()
    return Redemption.objects.create(
        promotion=promotion,
        booking_id=booking_id,
        user_id=user_id,
        amount=amount,
        status=RedemptionStatus.HELD,
        expires_at=expires_at,
    )


def redemption_confirm(*, booking_id: int) -> None:
    """A booking's use is spent: the booking is confirmed. A use whose hold had lapsed is taken
    again: the caller holds the promotion's lock and has checked that the limits allow it."""
    transaction_required()
    Redemption.objects.filter(
        booking_id=booking_id, status__in=[RedemptionStatus.HELD, RedemptionStatus.RELEASED]
    ).update(status=RedemptionStatus.CONFIRMED, expires_at=None, updated_at=timezone.now())


def redemptions_release(*, booking_ids: list[int]) -> None:
    """Give back the uses of bookings that are cancelled, replaced or recorded as expired, in the
    caller's transaction under the bookings' locks (a booking's use changes only with its booking).

    A held use is released. A confirmed one is released too - its booking was cancelled, and what
    was paid is refunded - unless its promotion says `refund_restores_use=False`: then it stays
    spent (FORFEITED). Needs no promotion lock: see `promotions.locks`.
    """
    transaction_required()
    rows = Redemption.objects.filter(
        booking_id__in=booking_ids,
        status__in=[RedemptionStatus.HELD, RedemptionStatus.CONFIRMED],
    ).values_list("pk", "status", "promotion__refund_restores_use")
    released, forfeited = [], []
    for pk, status, restores in rows:
        (released if status == RedemptionStatus.HELD or restores else forfeited).append(pk)
    now = timezone.now()
    if released:
        Redemption.objects.filter(pk__in=released).update(
            status=RedemptionStatus.RELEASED, expires_at=None, updated_at=now
        )
    if forfeited:
        Redemption.objects.filter(pk__in=forfeited).update(
            status=RedemptionStatus.FORFEITED, updated_at=now
        )


# The promotion's e-mail


def _discount_text(promotion: Promotion) -> str:
    value = format(promotion.value.normalize(), "f")
    if promotion.discount_type == DiscountType.PERCENT:
        return f"{value}% off"
    return f"{promotion.value} {settings.CURRENCY} off"


def promotion_send(
    *, promotion_id: int, unsubscribe_url: str, batch_size: int = SEND_BATCH_SIZE
) -> int:
    """E-mail the promotion to every active customer who opted in (`promotions_opt_in`) and has
    not been sent it yet; returns how many were mailed now (0 the second time).

    In batches of `batch_size`, each a short transaction under the promotion's lock: the batch's
    recipients are recorded (a unique key per promotion and customer) together with their
    e-mails, each with its own unsubscribe link (`unsubscribe_url?token=...`). Sending again, or
    two administrators sending at once, mails nobody twice. The first e-mail fixes the
    promotion's discount (`sent_at`). Raises PromotionNotSendable (409: switched off or ended).
    """
    mailed, after = 0, 0
    while True:
        with transaction.atomic(durable=True):
            promotion = locks.promotion_lock(promotion_id)
            now = timezone.now()
            if not promotion.active or promotion.ends_at <= now:
                if mailed:
                    return mailed  # switched off or ended while it was being sent
                raise PromotionNotSendable(
                    "This promotion is switched off."
                    if not promotion.active
                    else "This promotion has ended."
                )
            already = PromotionRecipient.objects.filter(promotion=promotion).values("user_id")
            users = list(
                User.objects.filter(promotions_opt_in=True, state=AccountState.ACTIVE, pk__gt=after)
                .exclude(pk__in=already)
                .order_by("pk")[:batch_size]
            )
            if not users:
                return mailed
            try:
                PromotionRecipient.objects.bulk_create(
                    PromotionRecipient(promotion=promotion, user=user) for user in users
                )
            except IntegrityError as exc:  # only a writer that skipped the lock gets here
                raise ResourceBusy() from exc
            if promotion.sent_at is None:
                promotion.sent_at = now
                promotion.save(update_fields=["sent_at", "updated_at"])
            for user in users:
                _promotion_email(promotion, user, unsubscribe_url)
        mailed += len(users)
        after = users[-1].pk


def _promotion_email(promotion: Promotion, user: User, unsubscribe_url: str) -> None:
    email_send_on_commit(
        to=[user.email],
        template="promotions/email/promotion",
        context={
            "name": user.get_short_name(),
            "code": promotion.code,
            "description": promotion.description,
            "discount": _discount_text(promotion),
            "ends_on": _day(promotion.ends_at),
            "unsubscribe_link": f"{unsubscribe_url}?{urlencode({'token': unsubscribe_token(user)})}",
        },
    )
