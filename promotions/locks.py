"""The promotion's row lock: step 3 of the order in `booking/locks.py` - after the showtime's
shared lock, before booking rows and seats. Every new use of a promotion is counted and taken
under it (a hold, or confirming a hold that had lapsed), and so are the changes to the promotion
itself and its mailings. Giving a use back needs no lock: a use being released still counts for
the others until its transaction commits, which errs on the safe side.

Every helper refuses to run outside a transaction. No joins in the locking queries: MySQL would
lock the joined rows too, outside the order.
"""

from core.db import transaction_required

from .models import Promotion, code_normalize


def promotion_lock(promotion_id: int) -> Promotion:
    """A promotion, exclusive. Raises Promotion.DoesNotExist."""
    transaction_required()
    return Promotion.objects.select_for_update().get(pk=promotion_id)


def promotion_lock_by_code(code: str) -> Promotion | None:
    """The promotion with this code (in any case), exclusive; None when there is none. A point
    lookup on the unique key: an unknown code locks nothing."""
    transaction_required()
    return Promotion.objects.select_for_update().filter(code=code_normalize(code)).first()
