from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CadenceConfig(AppConfig):
    """The time-driven tick: what is due by the clock (reminders, holding updates, escalations,
    deadlines, maintenance steps), found in the database and done once (docs/architecture.md, decision 3)."""

    name = "cadence"
    verbose_name = _("Cadence")
