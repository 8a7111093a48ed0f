"""Database helpers every app shares: which constraint refused a write, and the transaction rule
of the lock helpers."""

import re

from django.apps import apps
from django.db import IntegrityError, connection, models

# MySQL/MariaDB: "Duplicate entry 'x' for key 'table.name'" (MySQL 8) or "... for key 'name'",
# "CONSTRAINT `name` failed" (a check), "... a foreign key constraint fails (... CONSTRAINT `name`".
_MYSQL_KEY = re.compile(r"for key '(?:[^'.]+\.)?([^']+)'")
_MYSQL_CONSTRAINT = re.compile(r"CONSTRAINT [`']([^`']+)[`']")
# SQLite names columns, not constraints: "UNIQUE constraint failed: table.a, table.b".
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the constraint (or of the unique column) that refused a write, or None.

    A `UniqueConstraint` or `CheckConstraint` is named as in the model's Meta; a field's own
    `unique=True` is named by its column.
    """
    text = str(exc.args[-1] if exc.args else exc)
    for pattern in (_MYSQL_KEY, _MYSQL_CONSTRAINT, _SQLITE_CHECK):
        match = pattern.search(text)
        if match:
            return match.group(1)
    match = _SQLITE_UNIQUE.search(text)
    if match:
        return _sqlite_unique_name([column.strip() for column in match.group(1).split(",")])
    return None


def _sqlite_unique_name(qualified: list[str]) -> str | None:
    table = qualified[0].split(".")[0]
    columns = [name.split(".", 1)[1] for name in qualified]
    for model in apps.get_models():
        if model._meta.db_table != table:
            continue
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                names = [model._meta.get_field(f).column for f in constraint.fields]
                if names == columns:
                    return constraint.name
        return columns[0] if len(columns) == 1 else None
    return None


def protected_references_exist(instance: models.Model) -> bool:
    """Whether rows of any app point at `instance` through a PROTECT foreign key - "has it been
    booked?" asked of a showtime without knowing the app that books it."""
    for relation in instance._meta.related_objects:
        if relation.on_delete is models.PROTECT:
            related = relation.related_model._base_manager.filter(**{relation.field.name: instance})
            if related.exists():
                return True
    return False


class TransactionRequired(RuntimeError):
    """A row lock taken outside a transaction is released at once: a bug, not a lock."""


def transaction_required() -> None:
    """Every lock helper starts with this (as pretix's `lock_objects` does)."""
    if not connection.in_atomic_block:
        raise TransactionRequired("Row locks must be taken inside transaction.atomic().")
