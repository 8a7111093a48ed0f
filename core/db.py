"""Database helpers every app shares: which constraint refused a write, the transaction rule of
the lock helpers, and the hot paths' plain SQL - rows read into instances (`RowLoader`), rows
written (`instances_insert`, `rows_insert`, `rows_update`), and writes that belong together sent
in one round trip (`statements_run`)."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models
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


def default_connection():
    """The default database's connection of this thread. `django.db.connection` looks it up
    again on every attribute read (a thread-local lookup each time): hot paths that read it
    often resolve it once."""
    return connections[DEFAULT_DB_ALIAS]


def prefetched(instance: models.Model, name: str, objects) -> None:
    """Give `instance` its reverse relation `name` loaded with `objects`, as `prefetch_related`
    would: `instance.<name>.all()` answers them without a query, anything else on it queries as
    usual. For a service that has just read or written those rows and hands the instance to code
    that renders them. The relation's queryset builds its filter only if it ever queries."""
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache.pop(name, None)  # the manager would hand back a queryset loaded before
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache, queryset._prefetch_done = list(objects), True
    cache[name] = queryset


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
        instances = seats.load_all(cursor.fetchall())

    `fields`: the concrete fields to read (all by default); the others are deferred, as with
    `only()`. `load(row, start)` reads the loader's columns from `row[start:]` (`load_all`, from
    each of many rows); `width` says how many they are, so that one row may carry several models
    side by side.
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

    def _converters_for(self, db) -> list:
        # Per database vendor: the same process may serve SQLite in one test and MySQL in another.
        vendor = db.vendor
        if vendor not in self._converters:
            table = self.model._meta.db_table
            found = []
            for i, field in enumerate(self.fields):
                column = field.get_col(table)
                converters = db.ops.get_db_converters(column)
                converters += field.get_db_converters(db)
                if converters:
                    found.append((i, column, converters))
            self._converters[vendor] = found
        return self._converters[vendor]

    def get(self, pk, lock: str = ""):
        """The instance with primary key `pk`, read alone (with `lock`, a locking clause such as
        " FOR UPDATE"); None when there is none."""
        db = default_connection()
        table = db.ops.quote_name(self.model._meta.db_table)
        with db.cursor() as cursor:
            cursor.execute(
                f"SELECT {self.columns} FROM {table} {self.alias} "  # noqa: S608
                f"WHERE {self.alias}.{db.ops.quote_name(self.model._meta.pk.column)} = %s"
                f"{lock}",
                [pk],
            )
            row = cursor.fetchone()
        return None if row is None else self.load(row)

    def values(self, name: str, values) -> list:
        """Values of one column as the model's field `name` would hold them."""
        db = default_connection()
        functions = [
            (column, converters)
            for i, column, converters in self._converters_for(db)
            if self.fields[i].name == name
        ]
        converted = []
        for value in values:
            for column, converters in functions:
                for converter in converters:
                    value = converter(value, column, db)
            converted.append(value)
        return converted

    def load(self, row, start: int = 0) -> models.Model:
        return self.load_all([row], start)[0]

    def load_all(self, rows, start: int = 0) -> list[models.Model]:
        """`load` of every row of `rows`, the connection, the converters and the model's
        signals looked up once for all of them (a locked hall row is dozens)."""
        db = default_connection()
        converters = self._converters_for(db)
        model, attnames, end = self.model, self.attnames, start + self.width
        signalled = signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)
        instances = []
        for row in rows:
            values = list(row[start:end])
            for i, column, functions in converters:
                value = values[i]
                for converter in functions:
                    value = converter(value, column, db)
                values[i] = value
            if signalled:
                instances.append(model.from_db(db.alias, attnames, values))
                continue
            # What `from_db` does, without `Model.__init__`'s walk over every field: the values
            # set, the state of an instance read from the database.
            instance = model.__new__(model)
            instance.__dict__.update(zip(attnames, values, strict=True))
            state = instance._state = ModelState()
            state.adding, state.db = False, db.alias
            instances.append(instance)
        return instances


# Per model (with its fields) and database vendor: what an INSERT of its rows says but the rows.
_insert_heads: dict[tuple, tuple] = {}


def _insert_head(db, model: type[models.Model], field_names: tuple[str, ...] | None) -> tuple:
    """The fields an INSERT writes (`field_names`, or every concrete field but the primary key),
    "INSERT INTO t (columns) VALUES " and one row's placeholders. Made once and kept as one
    tuple, so threads see it whole or not at all."""
    key = (model, field_names, db.vendor)
    head = _insert_heads.get(key)
    if head is None:
        meta = model._meta
        if field_names is None:
            fields = [f for f in meta.concrete_fields if not f.primary_key]
        else:
            fields = [meta.get_field(name) for name in field_names]
        quote = db.ops.quote_name
        head = _insert_heads[key] = (
            fields,
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
            "VALUES ",
            "(" + ", ".join(["%s"] * len(fields)) + ")",
        )
    return head


@dataclass(frozen=True)
class Statement:
    """One statement for `statements_run`: its SQL, its parameters, and what to make of its
    answer (`answered(rows, rowcount)`; None: nothing)."""

    sql: str
    params: list
    answered: Callable[[list, int], Any] | None = None


def statements_run(*statements: Statement | None) -> list:
    """Run statements in order, in the caller's transaction; returns what each one's `answered`
    made of its answer (None without). Nones are skipped (a builder's "nothing to do").

    MySQL/MariaDB take them in one round trip, as one multi-statement query (mysqlclient opens
    connections that allow it; Django's own session set-up relies on it): the writes a hold or
    a payment makes together cost one trip to the server, not one each. The server stops at a
    failing statement; its error is raised as Django's (an IntegrityError for a unique key), the
    statements before it are undone with the caller's transaction. Elsewhere, one by one.
    """
    statements = [statement for statement in statements if statement is not None]
    if len(statements) > 1:
        transaction_required()  # outside one, each would commit alone: a failure, half written
    db = default_connection()
    results = []
    with db.cursor() as cursor:
        if db.vendor == "mysql" and len(statements) > 1:
            cursor.execute(
                "; ".join(statement.sql for statement in statements),
                [value for statement in statements for value in statement.params],
            )
            for index, statement in enumerate(statements):
                if index:
                    with db.wrap_database_errors:
                        cursor.nextset()
                results.append(_answered(cursor, statement))
        else:
            for statement in statements:
                cursor.execute(statement.sql, statement.params)
                results.append(_answered(cursor, statement))
    return results


def _answered(cursor, statement: Statement):
    if statement.answered is None:
        return None
    rows = cursor.fetchall() if cursor.description else []
    return statement.answered(rows, cursor.rowcount)


def rows_insert(model: type[models.Model], field_names: list[str], rows) -> None:
    """Insert `rows` (tuples of values for `field_names`, as the model's fields take them) in one
    multi-row INSERT, within the caller's transaction. For rows whose ids nobody reads back, on
    hot paths: no instances built, no query compiled; defaults such as `auto_now_add` are the
    caller's to pass."""
    statements_run(rows_insert_statement(model, field_names, rows))


def rows_insert_statement(model: type[models.Model], field_names: list[str], rows):
    """`rows_insert` as a `Statement` (None for no rows)."""
    rows = list(rows)
    if not rows:
        return None
    db = default_connection()
    fields, head, one = _insert_head(db, model, tuple(field_names))
    params = [
        field.get_db_prep_save(value, db)
        for row in rows
        for field, value in zip(fields, row, strict=True)
    ]
    return Statement(f"{head}{', '.join([one] * len(rows))}", params)


def instances_insert(instances: list[models.Model]) -> None:
    """Insert new instances of one model, as `bulk_create` would (each field's `pre_save`, so
    `auto_now_add` and defaults apply; the primary keys set on them), in one statement where the
    database returns the new ids (MariaDB, SQLite), else one per row. Without `bulk_create`'s
    machinery or `save()`'s signals: for the hot path's few rows, in the caller's transaction."""
    if not instances:
        return
    db = default_connection()
    if db.features.can_return_rows_from_bulk_insert:
        statements_run(instances_insert_statement(instances))
        return
    fields, head, one = _insert_head(db, type(instances[0]), None)
    with db.cursor() as cursor:
        for obj in instances:
            cursor.execute(head + one, _insert_row(db, fields, obj))
            _inserted(db, obj, cursor.lastrowid)


def instances_insert_statement(instances: list[models.Model]):
    """`instances_insert` as a `Statement` (None for no instances), for a database that returns
    the new ids from one INSERT (MariaDB, SQLite): they are set when it has run."""
    if not instances:
        return None
    db = default_connection()
    model = type(instances[0])
    fields, head, one = _insert_head(db, model, None)

    def answered(rows, _count):
        for obj, (pk,) in zip(instances, rows, strict=True):
            _inserted(db, obj, pk)

    return Statement(
        f"{head}{', '.join([one] * len(instances))} "
        f"RETURNING {db.ops.quote_name(model._meta.pk.column)}",
        [value for obj in instances for value in _insert_row(db, fields, obj)],
        answered,
    )


def _insert_row(db, fields, obj) -> list:
    return [field.get_db_prep_save(field.pre_save(obj, True), db) for field in fields]


def _inserted(db, obj, pk) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = db.alias


def rows_update(model: type[models.Model], values: dict, where: str, params) -> int:
    """`UPDATE` the model's table: set `values` (field names to values, as the model's fields
    take them; None is NULL) on the rows `where` says (plain SQL over the table's columns, with
    `params`), within the caller's transaction; returns how many rows matched. For the hot path's
    few rows where compiling `QuerySet.update` costs more than the database's work: no signals,
    and `auto_now` fields are the caller's to pass."""
    return statements_run(rows_update_statement(model, values, where, params))[0]


def rows_update_statement(model: type[models.Model], values: dict, where: str, params):
    """`rows_update` as a `Statement`, answering how many rows matched."""
    db = default_connection()
    meta = model._meta
    quote = db.ops.quote_name
    fields = [meta.get_field(name) for name in values]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    return Statement(
        f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {where}",  # noqa: S608
        [
            field.get_db_prep_save(value, db)
            for field, value in zip(fields, values.values(), strict=True)
        ]
        + list(params),
        lambda _rows, count: count,
    )
