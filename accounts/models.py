"""What Kalm remembers about a staff member's account beyond Django's user: their language.

Staff had no language of their own (the console follows the browser or the switch). Mail
about their account (a password reset) is written in the language they last used the
console in, so a Dutch user who forgot their password gets the reset mail in Dutch.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountPreferences(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kalm_preferences",
                                verbose_name=_("user"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True,
                                help_text=_("The console language the user last chose or signed in with; "
                                            "mail about their account is written in it."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("account preferences")
        verbose_name_plural = _("account preferences")

    def __str__(self) -> str:
        return str(self.user)
