from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommsConfig(AppConfig):
    name = "comms"
    verbose_name = _("Communications")

    def ready(self) -> None:
        from comms.notices import deferred_notice
        from comms.selectors import update_recipient_count
        from incidents import console, notices

        if deferred_notice not in notices.providers:
            notices.providers.append(deferred_notice)
        console.update_recipient_counter = update_recipient_count  # the console's "sent to N recipients"
