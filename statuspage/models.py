"""The secret link that opens a private status page (``Customer.status_page_public`` False)."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

TOKEN_BYTES = 24  # 32 URL-safe characters


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class StatusPageAccess(models.Model):
    """One secret per customer; created on first use, replaced by ``statuspage_link --rotate``."""

    customer = models.OneToOneField(
        "incidents.Customer", on_delete=models.CASCADE, related_name="status_page_access"
    )
    token = models.CharField(_("secret link token"), max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("status page access")
        verbose_name_plural = _("status page access")

    def __str__(self) -> str:
        return f"{self.customer_id}: secret link since {self.created_at:%Y-%m-%d}"
