"""Where apps above booking plug in, without booking importing them. They register in their
`AppConfig.ready()`; today only payments does (payments/apps.py):

- `on_bookings_cancelled`: after bookings are cancelled - by their customer, by staff, or with
  their showtime - payments refunds what was paid for them;
- `payment_summaries_provide`: a booking shows a summary of its payment, in the shape booking
  defines (`PaymentSummarySerializer`), from records only payments knows.

Cancellation hooks run after the booking's transaction has committed, never inside it: a refund
calls the payment provider.
"""

from collections.abc import Callable, Iterable

CancelledHook = Callable[..., None]
SummariesProvider = Callable[[list[int]], dict[int, dict]]

_cancelled_hooks: list[CancelledHook] = []
_summaries: list[SummariesProvider] = []


def on_bookings_cancelled(hook: CancelledHook) -> CancelledHook:
    """Register `hook(*, booking_ids, by, reason)`, called after bookings are cancelled."""
    if hook not in _cancelled_hooks:
        _cancelled_hooks.append(hook)
    return hook


def bookings_cancelled(*, booking_ids: Iterable[int], by, reason: str) -> None:
    booking_ids = list(booking_ids)
    if booking_ids:
        for hook in _cancelled_hooks:
            hook(booking_ids=booking_ids, by=by, reason=reason)


def payment_summaries_provide(provider: SummariesProvider) -> None:
    """Register the function that gives each booking id its payment summary (one query)."""
    _summaries[:] = [provider]


def payment_summaries(booking_ids: list[int]) -> dict[int, dict]:
    if not booking_ids or not _summaries:
        return {}
    return _summaries[0](booking_ids)
