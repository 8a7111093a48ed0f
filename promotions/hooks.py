"""Where booking plugs into promotions (in booking/apps.py), without promotions importing it:

- `ticket_types_provide`: the ticket type codes there are, which a promotion may be limited to.
"""

from collections.abc import Callable

TicketTypesProvider = Callable[[], list[str]]

_ticket_types: list[TicketTypesProvider] = []


def ticket_types_provide(provider: TicketTypesProvider) -> None:
    _ticket_types[:] = [provider]


def ticket_types() -> list[str]:
    return _ticket_types[0]() if _ticket_types else []
