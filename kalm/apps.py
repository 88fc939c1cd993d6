from django.apps import AppConfig

from kalm.folders import create_folders


class KalmConfig(AppConfig):
    """Platform pieces shared by the apps: API tokens, health checks, template filters; the folders
    the settings point at, created in every process that starts (kalm.folders)."""

    name = "kalm"
    verbose_name = "Kalm"

    def ready(self) -> None:
        create_folders()
