from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaybookConfig(AppConfig):
    name = "playbook"
    verbose_name = _("Response playbook")
    default_auto_field = "django.db.models.BigAutoField"
