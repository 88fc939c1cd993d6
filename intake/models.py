"""Monitoring intake: integrations (a source's webhook for a customer), their mapping rules, the
alerts they reported, and every request received (kept for a bounded time)."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models import Category, Customer, Incident, Severity


def new_token() -> str:
    """A URL-safe secret of 32 random bytes: the integration's address is its credential."""
    return secrets.token_urlsafe(32)


class Kind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GRAFANA = "grafana", "Grafana"
    UPTIMEKUMA = "uptimekuma", "Uptime Kuma"
    ZABBIX = "zabbix", "Zabbix"
    NINJAONE = "ninjaone", "NinjaOne"
    DATTORMM = "dattormm", "Datto RMM"
    GENERIC = "generic", _("Generic JSON")


class Policy(models.TextChoices):
    PUBLISH = "publish", _("Publish: open the incident and acknowledge at once")
    DRAFT = "draft", _("Draft: a person decides (the acknowledgment goes out at the target)")


class Resolution(models.TextChoices):
    PROPOSE = "propose", _("Monitoring, then propose resolving")
    AUTO = "auto", _("Monitoring, then resolve after the quiet period")


class Integration(models.Model):
    """One source's webhook for one customer (its alerts may reach more customers through rules)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="integrations",
                                 verbose_name=_("customer"))
    kind = models.CharField(_("source"), max_length=16, choices=Kind)
    name = models.CharField(_("name"), max_length=100, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    # After a rotation the old address keeps working for a day, so a source can be re-pointed.
    previous_token = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    previous_token_until = models.DateTimeField(null=True, blank=True, editable=False)
    signing_secret = models.CharField(
        _("signing secret"), max_length=128, blank=True,
        help_text=_("For sources that sign their requests (NinjaOne): requests without a valid signature are "
                    "refused."))
    policy = models.CharField(_("policy"), max_length=8, choices=Policy, default=Policy.PUBLISH)
    resolution = models.CharField(_("when all alerts resolve"), max_length=8, choices=Resolution,
                                  default=Resolution.PROPOSE)
    quiet_minutes = models.PositiveSmallIntegerField(
        _("quiet period (minutes)"), default=15,
        help_text=_("How long every alert must stay resolved before the incident is resolved."))
    flap_seconds = models.PositiveIntegerField(
        _("fire for at least (seconds)"), default=0,
        help_text=_("An alert counts only when it has been firing this long; shorter blips are ignored."))
    default_severity = models.CharField(_("severity when the alert has none"), max_length=8, choices=Severity,
                                        default=Severity.HIGH)
    category = models.CharField(_("category"), max_length=16, choices=Category, default=Category.SERVER)
    mapping = models.JSONField(_("mapping (JMESPath)"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer__name", "kind", "pk"]
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")

    def __str__(self) -> str:
        return f"{self.customer} · {self.name or self.get_kind_display()}"


class MappingRule(models.Model):
    """Alerts whose labels match go to these customers and components with this severity.

    The first matching rule (by position) wins; with none, the integration's customer, the
    ``component`` label and the alert's own severity apply. A rule naming several customers
    makes one shared incident for all of them, each with its own number.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    match = models.JSONField(_("labels to match"), default=dict, blank=True,
                             help_text=_('{"label": "value"}; "*" matches any value; empty matches every alert.'))
    customers = models.ManyToManyField(Customer, blank=True, related_name="+", verbose_name=_("customers"))
    components = models.JSONField(_("component names"), default=list, blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category, blank=True)
    policy = models.CharField(_("policy"), max_length=8, choices=Policy, blank=True)
    flap_seconds = models.PositiveIntegerField(_("fire for at least (seconds)"), null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return ", ".join(f"{key}={value}" for key, value in self.match.items()) or "*"


class AlertState(models.TextChoices):
    PENDING = "pending", _("Waiting (firing too briefly yet)")
    INBOX = "inbox", _("In the alert inbox")
    OPEN = "open", _("In an incident")
    DISMISSED = "dismissed", _("Dismissed")
    IGNORED = "ignored", _("Resolved before it counted")


class Alert(models.Model):
    """One alert of a source, de-duplicated by its fingerprint; ``firing`` follows the source."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(max_length=200)
    group_key = models.CharField(max_length=200)
    state = models.CharField(max_length=12, choices=AlertState, default=AlertState.PENDING)
    firing = models.BooleanField(default=True)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=8, choices=Severity)
    category = models.CharField(max_length=16, choices=Category)
    policy = models.CharField(max_length=8, choices=Policy)
    flap_seconds = models.PositiveIntegerField(default=0)
    labels = models.JSONField(default=dict, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    # Where the mapping sent it: customer pks, and component pks per customer (by name).
    customer_ids = models.JSONField(default=list)
    component_ids = models.JSONField(default=list, blank=True)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    started_at = models.DateTimeField()
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    times_fired = models.PositiveIntegerField(default=1)
    times_received = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-first_seen_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["integration", "fingerprint"], name="intake_alert_once")]
        indexes = [
            models.Index(fields=["integration", "group_key", "state"], name="intake_alert_group"),
            models.Index(fields=["state", "first_seen_at"], name="intake_alert_due"),
        ]

    def __str__(self) -> str:
        return self.title


class RequestState(models.TextChoices):
    PENDING = "pending", _("Waiting to be processed")
    DONE = "done", _("Processed")
    FAILED = "failed", _("Failed")
    REFUSED = "refused", _("Refused")


class IntakeRequest(models.Model):
    """A request an integration received, kept ``KALM_INTAKE_KEEP_DAYS`` days, body cut at 64 KiB.

    An accepted request is the intake's outbox: its alerts (``signals``, as read) are stored
    before the source gets its answer and processed by a worker in arrival order
    (``intake.processing``), so a source waits for a single INSERT, never for an incident to open.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="requests")
    received_at = models.DateTimeField(db_index=True)
    status_code = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=8, choices=RequestState, default=RequestState.PENDING)
    signals = models.JSONField(default=list, blank=True)  # the alerts as read, until processed
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=500)  # the refusal (as answered), or the counts below as text
    counts = models.JSONField(default=dict, blank=True)  # what its alerts did: {"opened": 1, "repeated": 2}
    body = models.TextField(blank=True)
    truncated = models.BooleanField(default=False)
    client_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["integration", "-received_at"], name="intake_request_recent"),
                   models.Index(fields=["state", "integration", "received_at"], name="intake_request_pending")]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} {self.status_code}"

    def outcome_lines(self) -> list[str]:
        """What happened, in the reader's language ("Incident opened: 1"); a refusal as it was answered."""
        if self.state == RequestState.PENDING:
            return [str(RequestState.PENDING.label)]
        if not self.counts:
            return [self.outcome]
        return [f"{OUTCOME_LABELS.get(key, key)}: {count}" for key, count in sorted(self.counts.items())]


OUTCOME_LABELS = {
    "opened": _("Incident opened"),
    "joined": _("Added to the open incident"),
    "repeated": _("Repeat of a known alert"),
    "waiting": _("Waiting until it has fired long enough"),
    "inbox": _("To the alert inbox"),
    "cleared": _("Cleared"),
    "already_cleared": _("Cleared already"),
    "recovered": _("Incident to monitoring"),
    "recurred": _("Fired again"),
}
