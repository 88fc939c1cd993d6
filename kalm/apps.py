from django.apps import AppConfig


class KalmConfig(AppConfig):
    """Platform pieces shared by the apps: API tokens, health checks, template filters."""

    name = "kalm"
    verbose_name = "Kalm"
