"""Card details as a customer types them: checked here, handed to the provider, never stored."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone


@dataclass(frozen=True)
class CardDetails:
    """Raw card data on its way to the provider. `repr` hides the number and CVC, so a log or a
    traceback that prints one shows nothing secret."""

    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = field(repr=False)
    holder_name: str

    @property
    def last4(self) -> str:
        return self.number[-4:]


def luhn_valid(number: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"


def _ascii_digits(value: str) -> bool:
    """0-9 only: `str.isdigit` also takes other scripts' digits (and superscripts), which a
    provider would read differently - or not at all."""
    return value.isascii() and value.isdigit()


def card_expired(exp_month: int, exp_year: int) -> bool:
    """A card is good through the last day of its expiry month (by the UTC date)."""
    today = timezone.now().date()
    return (exp_year, exp_month) < (today.year, today.month)


def card_check(card: CardDetails) -> None:
    """Raise ValidationError (field -> messages) for a number failing the Luhn check, an expired
    card, or a CVC of the wrong length for the brand. Messages never repeat what was typed."""
    errors: dict[str, list[str]] = {}
    if not (
        _ascii_digits(card.number) and 12 <= len(card.number) <= 19 and luhn_valid(card.number)
    ):
        errors["number"] = ["This card number is not valid."]
    if not 1 <= card.exp_month <= 12:
        errors["exp_month"] = ["Enter a month from 1 to 12."]
    elif card_expired(card.exp_month, card.exp_year):
        errors["exp_year"] = ["This card has expired."]
    expected = 4 if "number" not in errors and card_brand(card.number) == "amex" else 3
    if not (_ascii_digits(card.cvc) and len(card.cvc) == expected):
        errors["cvc"] = [f"Enter the {expected}-digit security code."]
    if errors:
        raise ValidationError(errors)
