from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for ``make run`` (``manage.py load_demo``): on top of everything, imported by nothing."""

    name = "demo"
    verbose_name = "Demo data"
