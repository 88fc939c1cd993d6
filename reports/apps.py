from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Post-incident reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Post-incident summary messages link the report; comms asks through this hook
        # because it must not import reports (which builds on comms).
        from comms import context
        from reports.links import report_link

        context.report_link_builder = report_link
