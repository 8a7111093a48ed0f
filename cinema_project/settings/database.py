from .environment import env

# Seconds before a request gives up on the database instead of hanging with it: opening a
# connection, waiting for an answer, sending a query. Past them the client gets 503 with
# Retry-After (core.exceptions).
DB_CONNECT_TIMEOUT = env.int("DB_CONNECT_TIMEOUT", default=5)
DB_READ_TIMEOUT = env.int("DB_READ_TIMEOUT", default=30)
DB_WRITE_TIMEOUT = env.int("DB_WRITE_TIMEOUT", default=30)
# Seconds a query waits for a row lock (InnoDB) or a table's metadata lock (ALTER TABLE, LOCK
# TABLES, a migration): the client gets 409 with Retry-After instead of a hung request. Row locks
# taken with select_for_update are the point; InnoDB's default is 50 s, metadata locks' a day.
# On SQLite (`make run`), how long a transaction waits for the database's write lock.
DB_LOCK_WAIT_TIMEOUT = env.int("DB_LOCK_WAIT_TIMEOUT", default=10)
# A persistent connection used less than this many seconds ago is not pinged before a request's
# first query (core/backends/mysql): one the server closed meanwhile fails that query (503).
DB_HEALTH_CHECK_AFTER_IDLE = env.float("DB_HEALTH_CHECK_AFTER_IDLE", default=1.0)
# /readyz opens its own connection with this timeout for every step, so a hung server cannot
# hold the probe.
DB_READY_TIMEOUT = env.int("DB_READY_TIMEOUT", default=2)


def database_config(url: str) -> dict:
    """A `DATABASES` entry for a URL; MySQL/MariaDB get utf8mb4, strict mode, short lock waits,
    network timeouts, persistent connections and transactions opened with one round trip
    (core/backends/mysql)."""
    config = env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.mysql":
        config["ENGINE"] = "core.backends.mysql"
        config["OPTIONS"] = {
            "charset": "utf8mb4",
            "init_command": (
                "SET sql_mode='STRICT_TRANS_TABLES', "
                f"innodb_lock_wait_timeout={DB_LOCK_WAIT_TIMEOUT}, "
                f"lock_wait_timeout={DB_LOCK_WAIT_TIMEOUT}"
            ),
            "isolation_level": "read committed",
            "connect_timeout": DB_CONNECT_TIMEOUT,
            "read_timeout": DB_READ_TIMEOUT,
            "write_timeout": DB_WRITE_TIMEOUT,
            **config.get("OPTIONS", {}),
        }
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
        config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = True
    elif config["ENGINE"] == "django.db.backends.sqlite3":
        # SQLite (`make run`) has no row locks: a transaction takes the database's write lock
        # when it begins, so two that race wait for each other (up to the lock wait) instead of
        # one failing with "database is locked" when it first writes.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": DB_LOCK_WAIT_TIMEOUT,
            **config.get("OPTIONS", {}),
        }
    return config


DATABASES = {"default": database_config(env("DATABASE_URL", default="sqlite:///db.sqlite3"))}
