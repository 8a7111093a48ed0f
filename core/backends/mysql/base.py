"""Django's MySQL/MariaDB backend, with transactions that cost one round trip less.

Django opens a transaction by turning autocommit off (`SET autocommit=0`) and, after COMMIT,
turns it back on (`SET autocommit=1`): three round trips to the server around every
`transaction.atomic()`, besides its statements. Here `atomic()` sends `START TRANSACTION`
instead, which opens a transaction while the session stays in autocommit mode: COMMIT or
ROLLBACK ends it, and there is nothing to turn back on. A booking's hold is one transaction, a
payment three: a round trip each is ~0.1 ms of the app's CPU and as much of the database's.

The same transaction, the same isolation level (a session setting), the same locks. Turning
autocommit off by hand (`transaction.set_autocommit(False)`) still sends `SET autocommit=0`, and
turning it on again sends `SET autocommit=1`, which commits what is open, as MySQL does.
"""

from django.db.backends.mysql import base
from django.db.backends.utils import debug_transaction


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # mysqlclient opens connections with autocommit off; `connect()` turns it on next.
        self._server_autocommit = False
        return connection

    def _start_transaction_under_autocommit(self):
        """What `atomic()` calls to open its transaction (Django's hook for SQLite's BEGIN)."""
        with debug_transaction(self, "START TRANSACTION"), self.wrap_database_errors:
            self.connection.query("START TRANSACTION")

    def _set_autocommit(self, autocommit):
        if autocommit and self._server_autocommit:
            return  # left on by `atomic()`: COMMIT or ROLLBACK has ended its transaction
        super()._set_autocommit(autocommit)
        self._server_autocommit = autocommit
