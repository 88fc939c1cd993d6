from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatuspageConfig(AppConfig):
    name = "statuspage"
    verbose_name = _("Status pages")

    def ready(self) -> None:
        import statuspage.receivers  # noqa: F401  (re-publishes the page on every public change)

        # Subscribers' e-mails carry List-Unsubscribe and a footer; comms asks through this
        # hook because it must not import statuspage (which builds on comms).
        from comms import delivery
        from statuspage import subscription_tasks  # noqa: F401  (registers the confirmation-mail task)
        from statuspage.subscription_mail import subscriber_extras

        if subscriber_extras not in delivery.extras_providers:
            delivery.extras_providers.append(subscriber_extras)
