"""The row lock of the rollups' refresh: step 7 of the order in `booking/locks.py`, taken alone -
a refresh holds no other lock of that order. Every helper refuses to run outside a
transaction."""

from django.db import IntegrityError, transaction

from core.db import transaction_required

from .models import RollupState


def rollup_state_lock() -> RollupState:
    """The one state row, locked (made the first time)."""
    transaction_required()
    state = RollupState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        try:
            with transaction.atomic():
                RollupState.objects.create(pk=1)
        except IntegrityError:
            pass  # made by another refresh meanwhile
        state = RollupState.objects.select_for_update().get(pk=1)
    return state
