from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatuspageConfig(AppConfig):
    name = "statuspage"
    verbose_name = _("Status pages")

    def ready(self) -> None:
        import statuspage.receivers  # noqa: F401  (re-publishes the page on edits of customers and components)
        from statuspage import subscription_tasks  # noqa: F401  (registers the confirmation-mail task)
