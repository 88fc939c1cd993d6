from django.apps import AppConfig


class FlowsConfig(AppConfig):
    """What happens, in order, when the facts change: the facts, then the messages, then the public page."""

    name = "flows"
    verbose_name = "Flows"
