from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The lowest layer: presentation every app shares (times, durations, per-language texts).

    It imports no other Kalm app, so incidents, comms, statuspage and reports may all use it.
    """

    name = "core"
    verbose_name = "Kalm core"
