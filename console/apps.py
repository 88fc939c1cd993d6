from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The MSP's console under /console/: pages for incidents, maintenance, messages and reports.

    Views parse input with forms and call flows/ for changes and the apps' selectors for reads.
    """

    name = "console"
    verbose_name = _("Console")
