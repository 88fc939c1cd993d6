from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Sign-in and accounts")

    def ready(self) -> None:
        from accounts import audit_receivers, signals  # noqa: F401  (connects the receivers)
