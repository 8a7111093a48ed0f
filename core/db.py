"""Database helpers every app shares: which constraint refused a write, and the transaction rule
of the lock helpers."""

import re

from django.apps import apps
from django.db import IntegrityError, connection, models
from django.db.models import signals
from django.db.models.base import ModelState

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


class RowLoader:
    """Model instances from the rows of plain SQL, as the ORM would make them (its field
    conversions applied: aware datetimes, booleans, JSON), for the few hot paths where building
    the query costs more than the database's answer.

        seats = RowLoader(Seat, alias="s")
        cursor.execute(f"SELECT {seats.columns} FROM ... s WHERE ...")
        instances = [seats.load(row) for row in cursor.fetchall()]

    `fields`: the concrete fields to read (all by default); the others are deferred, as with
    `only()`. `load(row, start)` reads the loader's columns from `row[start:]`; `width` says how
    many they are, so that one row may carry several models side by side.
    """

    def __init__(self, model: type[models.Model], *, alias: str, fields: list[str] | None = None):
        self.model, self.alias = model, alias
        concrete = model._meta.concrete_fields
        self.fields = [f for f in concrete if fields is None or f.name in fields or f.primary_key]
        self.attnames = [f.attname for f in self.fields]
        self.columns = ", ".join(
            f"{alias}.{connection.ops.quote_name(f.column)}" for f in self.fields
        )
        self.width = len(self.fields)
        self._converters: dict[str, list] = {}

    def _converters_for(self) -> list:
        # Per database vendor: the same process may serve SQLite in one test and MySQL in another.
        vendor = connection.vendor
        if vendor not in self._converters:
            table = self.model._meta.db_table
            found = []
            for i, field in enumerate(self.fields):
                column = field.get_col(table)
                converters = connection.ops.get_db_converters(column)
                converters += field.get_db_converters(connection)
                if converters:
                    found.append((i, column, converters))
            self._converters[vendor] = found
        return self._converters[vendor]

    def get(self, pk, lock: str = ""):
        """The instance with primary key `pk`, read alone (with `lock`, a locking clause such as
        " FOR UPDATE"); None when there is none."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {self.columns} FROM {table} {self.alias} "  # noqa: S608
                f"WHERE {self.alias}.{connection.ops.quote_name(self.model._meta.pk.column)} = %s"
                f"{lock}",
                [pk],
            )
            row = cursor.fetchone()
        return None if row is None else self.load(row)

    def value(self, name: str, value):
        """One column's value as the model's field `name` would hold it."""
        for i, column, converters in self._converters_for():
            if self.fields[i].name == name:
                for converter in converters:
                    value = converter(value, column, connection)
        return value

    def load(self, row, start: int = 0) -> models.Model:
        values = list(row[start : start + self.width])
        for i, column, converters in self._converters_for():
            value = values[i]
            for converter in converters:
                value = converter(value, column, connection)
            values[i] = value
        model = self.model
        if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
            return model.from_db(connection.alias, self.attnames, values)
        # What `from_db` does, without `Model.__init__`'s walk over every field (a locked hall
        # row is dozens of instances): the values set, the state of an instance read from the
        # database.
        instance = model.__new__(model)
        instance.__dict__.update(zip(self.attnames, values, strict=True))
        state = instance._state = ModelState()
        state.adding, state.db = False, connection.alias
        return instance


def rows_insert(model: type[models.Model], field_names: list[str], rows) -> None:
    """Insert `rows` (tuples of values for `field_names`, as the model's fields take them) in one
    multi-row INSERT, within the caller's transaction. For rows whose ids nobody reads back, on
    hot paths: no instances built, no query compiled; defaults such as `auto_now_add` are the
    caller's to pass."""
    rows = list(rows)
    if not rows:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [
        field.get_db_prep_save(value, connection)
        for row in rows
        for field, value in zip(fields, row, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES {', '.join([one] * len(rows))}",
            params,
        )


def instances_insert(instances: list[models.Model]) -> None:
    """Insert new instances of one model, as `bulk_create` would (each field's `pre_save`, so
    `auto_now_add` and defaults apply; the primary keys set on them), in one statement where the
    database returns the new ids (MariaDB, SQLite), else one per row. Without `bulk_create`'s
    machinery or `save()`'s signals: for the hot path's few rows, in the caller's transaction."""
    if not instances:
        return
    model = type(instances[0])
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    rows = [
        [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
        for obj in instances
    ]
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    head = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        "VALUES "
    )
    with connection.cursor() as cursor:
        if connection.features.can_return_rows_from_bulk_insert:
            cursor.execute(
                f"{head}{', '.join([one] * len(rows))} RETURNING {quote(meta.pk.column)}",
                [value for row in rows for value in row],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
        else:
            ids = []
            for row in rows:
                cursor.execute(head + one, row)
                ids.append(cursor.lastrowid)
    for obj, pk in zip(instances, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def rows_update(model: type[models.Model], values: dict, where: str, params) -> int:
    """`UPDATE` the model's table: set `values` (field names to values, as the model's fields
    take them; None is NULL) on the rows `where` says (plain SQL over the table's columns, with
    `params`), within the caller's transaction; returns how many rows matched. For the hot path's
    few rows where compiling `QuerySet.update` costs more than the database's work: no signals,
    and `auto_now` fields are the caller's to pass."""
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in values]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {where}",  # noqa: S608
            [
                field.get_db_prep_save(value, connection)
                for field, value in zip(fields, values.values(), strict=True)
            ]
            + list(params),
        )
        return cursor.rowcount
