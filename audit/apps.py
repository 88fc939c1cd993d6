from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The audit trail: an append-only record of every state change and security event."""

    name = "audit"
    verbose_name = _("Audit trail")
