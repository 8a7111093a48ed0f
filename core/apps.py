from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from .outbox import email_delivery_task_register
        from .tasks import email_deliver

        email_delivery_task_register(email_deliver)

        post_migrate.connect(cache_tables_create, sender=self)


def cache_tables_create(*, using: str, verbosity: int = 1, **kwargs) -> None:
    """After `migrate`: the table of every DatabaseCache (the default cache is one), as
    `createcachetable` makes it, so that no deployment needs that extra step. Tables that exist
    are left alone."""
    call_command("createcachetable", database=using, verbosity=verbosity)
