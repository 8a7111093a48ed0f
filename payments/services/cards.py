"""Saved cards: the provider's token and what a customer recognises a card by, never the number."""

from django.db import transaction

from accounts.models import User

from ..cards import CardDetails
from ..exceptions import CardLimitReached, CardNotFound
from ..gateways import gateway
from ..locks import card_owner_lock
from ..models import SavedCard

MAX_SAVED_CARDS = 3


def card_save(*, user: User, card: CardDetails) -> SavedCard:
    """Tokenize a card through the provider and keep the token: at most 3 cards per customer
    (CardLimitReached, 409), checked again under the customer's row lock after tokenizing."""
    if SavedCard.objects.filter(user=user).count() >= MAX_SAVED_CARDS:
        raise CardLimitReached()
    token = gateway().tokenize(card)
    with transaction.atomic(durable=True):
        card_owner_lock(user.pk)
        if SavedCard.objects.filter(user=user).count() >= MAX_SAVED_CARDS:
            raise CardLimitReached()
        return SavedCard.objects.create(
            user=user,
            provider=gateway().name,
            token=token.token,
            brand=token.brand,
            last4=token.last4,
            exp_month=token.exp_month,
            exp_year=token.exp_year,
            holder_name=card.holder_name,
        )


def card_delete(*, user: User, card_id: int) -> None:
    """Forget one of the customer's cards. Raises CardNotFound (404), also for another's card."""
    deleted, _ = SavedCard.objects.filter(user=user, pk=card_id).delete()
    if not deleted:
        raise CardNotFound()
