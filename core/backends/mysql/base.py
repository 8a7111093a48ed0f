"""Django's MySQL/MariaDB backend, with fewer round trips: a transaction costs two less, and a
connection in steady use is not pinged before every request.

Django opens a transaction by turning autocommit off (`SET autocommit=0`) and, after COMMIT,
turns it back on (`SET autocommit=1`): three round trips to the server around every
`transaction.atomic()`, besides its statements. Here `atomic()` opens its transaction with
`START TRANSACTION`, sent in the same round trip as the transaction's first statement (one
multi-statement query: mysqlclient's connections allow them, Django's session set-up relies on
it), and the session stays in autocommit mode - COMMIT or ROLLBACK ends the transaction, and
there is nothing to turn back on. A transaction that ran no statement sends nothing at all. A
booking's hold is one transaction, a payment three; a round trip is ~0.1 ms of the app's CPU and
as much of the database's, more when the machine is busy.

The same transaction, the same isolation level (a session setting), the same locks and
savepoints. Turning autocommit off by hand (`transaction.set_autocommit(False)`) still sends
`SET autocommit=0`, and turning it on again `SET autocommit=1`, which commits what is open, as
MySQL does.

Health checks (CONN_HEALTH_CHECKS): Django pings a persistent connection before each request's
first query - a round trip per request. Here a connection that was used less than
`DB_HEALTH_CHECK_AFTER_IDLE` seconds ago (default 1), with no failed query since, is not
pinged: under load, none is. One the server closed within that second (a restart) fails that
request's first query instead: the client gets 503 with Retry-After (core.exceptions), and
Django drops the connection at the request's end, as after any failed query; the next request
connects afresh.
"""

import time

from django.conf import settings
from django.db.backends.mysql import base
from django.db.backends.utils import debug_transaction

BEGIN = "START TRANSACTION"


class CursorWrapper(base.CursorWrapper):
    """Sends the transaction's pending START TRANSACTION with the first statement, and maps the
    errors of a multi-statement query's later statements (`nextset`) as Django's own wrapper
    maps those of the first."""

    def __init__(self, cursor, wrapper: "DatabaseWrapper"):
        super().__init__(cursor)
        self.wrapper = wrapper

    def execute(self, query, args=None):
        if not self.wrapper.begin_pending:
            return super().execute(query, args)
        # Two results: the transaction's start, then the statement's - the one to read. Until
        # the server has started the transaction (a query that fails to build, or whose START
        # fails, has not), it is still pending.
        super().execute(f"{BEGIN}; {query}", args)
        self.wrapper.begin_pending = False
        self.nextset()
        return self.cursor.rowcount

    def executemany(self, query, args):
        self.wrapper.begin_now()
        return super().executemany(query, args)

    def callproc(self, procname, args=()):
        self.wrapper.begin_now()
        return self.cursor.callproc(procname, args)

    def nextset(self):
        try:
            return self.cursor.nextset()
        except base.Database.OperationalError as e:
            if e.args[0] in self.codes_for_integrityerror:
                raise base.Database.IntegrityError(*tuple(e.args)) from e
            raise


class DatabaseWrapper(base.DatabaseWrapper):
    begin_pending = False

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # mysqlclient opens connections with autocommit off; `connect()` turns it on next.
        self._server_autocommit = False
        self.begin_pending = False
        self._used_at = time.monotonic()
        return connection

    def create_cursor(self, name=None):
        self._used_at = time.monotonic()
        return CursorWrapper(self.connection.cursor(), self)

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and not self.health_check_done
            and not self.errors_occurred
            and time.monotonic() - self._used_at < settings.DB_HEALTH_CHECK_AFTER_IDLE
        ):
            self.health_check_done = True  # in use a moment ago, and nothing failed: no ping
            return
        super().close_if_health_check_failed()

    def _start_transaction_under_autocommit(self):
        """What `atomic()` calls to open its transaction (Django's hook for SQLite's BEGIN):
        sent with the first statement (`CursorWrapper`)."""
        self.begin_pending = True

    def begin_now(self) -> None:
        """Send a pending START TRANSACTION on its own (before what cannot carry it)."""
        if self.begin_pending:
            self.begin_pending = False
            with debug_transaction(self, BEGIN), self.wrap_database_errors:
                self.connection.query(BEGIN)

    def commit(self):
        self._end(super().commit)

    def rollback(self):
        self._end(super().rollback)

    def _end(self, end) -> None:
        """COMMIT or ROLLBACK - or nothing, when no statement ran: there is no transaction to
        end. Nothing was asked of the server then, so nothing says the connection works: an
        earlier error (`errors_occurred`) still has it checked at the request's end."""
        if not self.begin_pending:
            end()
            return
        errors_occurred = self.errors_occurred
        end()
        self.errors_occurred = errors_occurred

    def _commit(self):
        if self.begin_pending:
            self.begin_pending = False
            return None
        return super()._commit()

    def _rollback(self):
        if self.begin_pending:
            self.begin_pending = False
            return None
        return super()._rollback()

    def _set_autocommit(self, autocommit):
        self.begin_pending = False
        if autocommit and self._server_autocommit:
            return  # left on by `atomic()`: COMMIT or ROLLBACK has ended its transaction
        super()._set_autocommit(autocommit)
        self._server_autocommit = autocommit
