from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for trying the product (`manage.py seed_demo`). It sits on top of every app and
    uses their services only; nothing imports it."""

    name = "demo"
    verbose_name = "Demo data"
