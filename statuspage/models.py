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


class SubscriptionChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class SubscriptionState(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class Subscription(models.Model):
    """A visitor who signed up on the status page (statuspage.subscriptions).

    The recipient itself is a ``comms.Stakeholder`` (``self_subscribed``, role affected
    users, audience end user), so updates reach it through the ordinary pipeline and appear
    in the communication log; this row keeps the double opt-in state and the address the
    subscriber owns. Tokens are signed ids (no secret is stored here).
    """

    customer = models.ForeignKey("incidents.Customer", on_delete=models.CASCADE, related_name="subscriptions")
    stakeholder = models.OneToOneField("comms.Stakeholder", on_delete=models.CASCADE, related_name="subscription")
    channel = models.CharField(_("channel"), max_length=16, choices=SubscriptionChannel)
    address = models.CharField(_("address"), max_length=500, help_text=_("The e-mail address or webhook URL."))
    contact_email = models.EmailField(_("contact e-mail"), blank=True,
                                      help_text=_("Where a webhook subscription's confirmation goes."))
    state = models.CharField(_("state"), max_length=16, choices=SubscriptionState,
                             default=SubscriptionState.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "channel", "address"],
                                               name="subscription_once_per_address")]
        verbose_name = _("status page subscription")
        verbose_name_plural = _("status page subscriptions")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.channel} {self.state}"

    @property
    def notify_email(self) -> str:
        """Where confirmation mail goes: the address itself, or a webhook's contact."""
        return self.address if self.channel == SubscriptionChannel.EMAIL else self.contact_email


class PublishFailure(models.Model):
    """A document of a public page that failed to render at its last publish.

    The store keeps that document's last good file (visitors see it); this row is what staff see
    on the console until a publish renders the document again, which deletes the row.
    """

    customer = models.ForeignKey("incidents.Customer", on_delete=models.CASCADE, related_name="publish_failures")
    document = models.CharField(_("document"), max_length=200, help_text=_("variant/name in the snapshot store"))
    error = models.CharField(_("error"), max_length=500)
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "document"], name="publish_failure_once")]
        ordering = ["customer", "document"]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.document}"


class SignupCounter(models.Model):
    """Sign-up attempts of one client in the current window (statuspage.signup_guard), when there is
    no Redis: a row every web process sees and increments atomically."""

    key = models.CharField(max_length=100, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} until {self.expires_at:%H:%M:%S}"


class PublishedPage(models.Model):
    """When a customer's page was last rendered: what the periodic refresh compares with the clock
    (``statuspage.refresh``) so it re-publishes only the pages time itself has changed."""

    customer = models.OneToOneField(
        "incidents.Customer", on_delete=models.CASCADE, primary_key=True, related_name="published_page"
    )
    rendered_at = models.DateTimeField()  # the moment the documents were rendered "as of"

    class Meta:
        verbose_name = _("published status page")
        verbose_name_plural = _("published status pages")

    def __str__(self) -> str:
        return f"{self.customer_id}: rendered {self.rendered_at:%Y-%m-%d %H:%M}"
