from .environment import env


def database_config(url: str) -> dict:
    """A `DATABASES` entry for a URL; MySQL/MariaDB get utf8mb4, strict mode and pooled connections."""
    config = env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.mysql":
        config["OPTIONS"] = {
            "charset": "utf8mb4",
            # Row locks taken with select_for_update are the point: a waiter gives up quickly and
            # the client gets a 409 with Retry-After instead of hanging for InnoDB's 50 s default.
            "init_command": (
                "SET sql_mode='STRICT_TRANS_TABLES', "
                f"innodb_lock_wait_timeout={env.int('DB_LOCK_WAIT_TIMEOUT', default=10)}"
            ),
            "isolation_level": "read committed",
            **config.get("OPTIONS", {}),
        }
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
        config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": database_config(env("DATABASE_URL", default="sqlite:///db.sqlite3"))}
