"""Django's MySQL/MariaDB backend, with fewer round trips: transactions cost one less, and a
connection in steady use is not pinged before every request.

Django opens a transaction by turning autocommit off (`SET autocommit=0`) and, after COMMIT,
turns it back on (`SET autocommit=1`): three round trips to the server around every
`transaction.atomic()`, besides its statements. Here `atomic()` sends `START TRANSACTION`
instead, which opens a transaction while the session stays in autocommit mode: COMMIT or
ROLLBACK ends it, and there is nothing to turn back on. A booking's hold is one transaction, a
payment three: a round trip each is ~0.1 ms of the app's CPU and as much of the database's.

The same transaction, the same isolation level (a session setting), the same locks. Turning
autocommit off by hand (`transaction.set_autocommit(False)`) still sends `SET autocommit=0`, and
turning it on again sends `SET autocommit=1`, which commits what is open, as MySQL does.

Health checks (CONN_HEALTH_CHECKS): Django pings a persistent connection before each request's
first query - a round trip per request. Here a connection that was used less than
`DB_HEALTH_CHECK_AFTER_IDLE` seconds ago (default 1), with no failed query since, is not
pinged: under load, none is. One the
server closed within that second (a restart) fails that request's first query instead: the
client gets 503 with Retry-After (core.exceptions), and Django drops the connection at the
request's end, as after any failed query; the next request connects afresh.
"""

import time

from django.conf import settings
from django.db.backends.mysql import base
from django.db.backends.utils import debug_transaction


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # mysqlclient opens connections with autocommit off; `connect()` turns it on next.
        self._server_autocommit = False
        self._used_at = time.monotonic()
        return connection

    def create_cursor(self, name=None):
        self._used_at = time.monotonic()
        return super().create_cursor(name)

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
        """What `atomic()` calls to open its transaction (Django's hook for SQLite's BEGIN)."""
        with debug_transaction(self, "START TRANSACTION"), self.wrap_database_errors:
            self.connection.query("START TRANSACTION")

    def _set_autocommit(self, autocommit):
        if autocommit and self._server_autocommit:
            return  # left on by `atomic()`: COMMIT or ROLLBACK has ended its transaction
        super()._set_autocommit(autocommit)
        self._server_autocommit = autocommit
