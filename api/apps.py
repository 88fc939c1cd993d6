from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The JSON API and its tokens (``ApiToken``; the table keeps its old name, ``kalm_apitoken``)."""

    name = "api"
    verbose_name = "API"
