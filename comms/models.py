"""Who hears what, when and how: stakeholders, routing, templates, and the outbox.

The outbox is two tables. A ``Communication`` is one message (kind × audience × language for
one customer of an incident); it is written in the same transaction as the incident facts it
reports, with the template facts its texts are rendered from after commit (issue 11: a
staff-edited template never runs while the incident's rows are locked). Its ``Delivery`` rows
are one per recipient × channel, each a state machine (queued → sending → sent | failed; a
routine update may first wait as deferred, then be queued or superseded: comms.outbox.coalescing)
that a worker claims with a conditional UPDATE, so a delivery is never sent by two workers.
``DeliveryAttempt`` keeps the history.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from incidents.models import Component, Customer, Incident, IncidentUpdate, Language, Severity


class Role(models.TextChoices):
    AFFECTED_USERS = "affected_users", _("Affected users")
    CUSTOMER_IT = "customer_it", _("Customer IT")
    MANAGEMENT = "management", _("Management")
    EXECUTIVES = "executives", _("Executives")
    CONTRACT_CONTACT = "contract_contact", _("Contract contact")
    REGULATOR = "regulator", _("Regulator / legal")
    MEDIA = "media", _("Media")
    INTERNAL_MSP = "internal_msp", _("Internal (MSP)")


class Audience(models.TextChoices):
    """The seeds' information gradation: how much detail, in whose words."""

    TECHNICAL = "technical", _("Technical")
    OPERATIONAL = "operational", pgettext_lazy("audience", "Operational")  # not the component status
    EXECUTIVE = "executive", _("Executive")
    END_USER = "end_user", _("End user")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    TEAMS = "teams", _("Microsoft Teams")
    SLACK = "slack", _("Slack")
    WEBHOOK = "webhook", _("Webhook")


class MessageKind(models.TextChoices):
    ACKNOWLEDGMENT = "acknowledgment", _("Initial acknowledgment")
    UPDATE = "update", _("Status update")
    HOLDING = "holding", _("Holding update")
    ESCALATION = "escalation", _("Escalation notice")
    RESOLUTION = "resolution", _("Resolution notice")
    POST_INCIDENT = "post_incident", _("Post-incident summary")
    MANAGEMENT_SUMMARY = "management_summary", _("Management summary")
    REGULATORY = "regulatory", _("Regulatory notification")
    MAINTENANCE_ANNOUNCEMENT = "maintenance_announcement", _("Maintenance announcement")
    MAINTENANCE_REMINDER = "maintenance_reminder", _("Maintenance reminder")
    MAINTENANCE_STARTED = "maintenance_started", _("Maintenance started")
    MAINTENANCE_COMPLETED = "maintenance_completed", _("Maintenance completed")


class WrittenKind(models.TextChoices):
    """Messages whose texts Kalm writes itself rather than from an editable template."""

    SERVICE_REPORT = "service_report", _("Monthly service report")


COMMUNICATION_KINDS = [*MessageKind.choices, *WrittenKind.choices]
# Kinds that only e-mail can carry (a PDF or its link with the month's figures): never SMS or chat.
EMAIL_ONLY_KINDS = {WrittenKind.SERVICE_REPORT}


class Stakeholder(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="stakeholders")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=32, choices=Role)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience)
    language = models.CharField(_("language"), max_length=2, choices=Language, default=Language.DUTCH)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("SMS number"), max_length=20, blank=True,
                             help_text=_("International format, e.g. +31612345678."))
    teams_webhook_url = models.URLField(_("Teams webhook URL"), max_length=500, blank=True)
    slack_webhook_url = models.URLField(_("Slack webhook URL"), max_length=500, blank=True)
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    webhook_secret = models.CharField(_("webhook signing secret"), max_length=128, blank=True)
    components = models.ManyToManyField(
        Component, blank=True, related_name="stakeholders", verbose_name=_("components"),
        help_text=_("Only messages about these components. Empty means all."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Signed up on the public status page (statuspage.Subscription) rather than entered by
    # the MSP: their e-mails carry List-Unsubscribe and a "manage your subscription" footer.
    self_subscribed = models.BooleanField(_("subscribed on the status page"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer", "name"]
        indexes = [models.Index(fields=["customer", "is_active", "role"], name="stakeholder_routing")]
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    def addresses(self) -> list[tuple[str, str]]:
        """(channel, address) for every channel this stakeholder has filled in."""
        pairs = [
            (Channel.EMAIL, self.email), (Channel.SMS, self.phone), (Channel.TEAMS, self.teams_webhook_url),
            (Channel.SLACK, self.slack_webhook_url), (Channel.WEBHOOK, self.webhook_url),
        ]
        return [(channel, address) for channel, address in pairs if address]


class DistributionGroup(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="distribution_groups")
    name = models.CharField(_("name"), max_length=200)
    stakeholders = models.ManyToManyField(Stakeholder, blank=True, related_name="groups")

    class Meta:
        ordering = ["customer", "name"]
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="group_unique_name")]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """A customer's override of the default routing table (comms.directory.routing.DEFAULT_ROUTING).

    ``min_severity`` is the least severe level at which the role receives the kind; an
    empty value switches the kind off for the role.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="routing_rules")
    role = models.CharField(_("role"), max_length=32, choices=Role)
    kind = models.CharField(_("message kind"), max_length=32, choices=MessageKind)
    min_severity = models.CharField(_("from severity"), max_length=16, choices=Severity, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "role", "kind"], name="routing_rule_once")]

    def __str__(self) -> str:
        return f"{self.customer}: {self.role} {self.kind} ≥ {self.min_severity or 'never'}"


class MessageTemplate(models.Model):
    """A staff-edited template; without one, the shipped default for kind × audience × language is used.

    ``customer`` empty = the MSP-wide version; a customer's own version wins over it.
    """

    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="message_templates")
    kind = models.CharField(_("message kind"), max_length=32, choices=MessageKind)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience)
    language = models.CharField(_("language"), max_length=2, choices=Language)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # Set when this version failed (or exceeded a bound) at send time and the shipped default went out
    # instead (comms.messages.templates.message_template_failed); cleared when the template is saved.
    failed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind", "audience", "language"],
                                    condition=models.Q(customer__isnull=False), name="template_once_per_customer"),
            models.UniqueConstraint(fields=["kind", "audience", "language"],
                                    condition=models.Q(customer__isnull=True), name="template_once_msp_wide"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.audience}/{self.language}"


class CommunicationState(models.TextChoices):
    QUEUED = "queued", _("Queued")          # committed with the facts (or scheduled); recipients not expanded yet
    SENDING = "sending", _("Sending")       # deliveries exist and are being worked
    DONE = "done", _("Done")                # every delivery reached a final state
    CANCELLED = "cancelled", _("Cancelled")


class Communication(models.Model):
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="communications")
    update = models.ForeignKey(IncidentUpdate, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="communications")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="communications")
    kind = models.CharField(max_length=32, choices=COMMUNICATION_KINDS)
    audience = models.CharField(max_length=16, choices=Audience)
    language = models.CharField(max_length=2, choices=Language)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField()
    short_text = models.CharField(max_length=480, help_text="SMS and chat preview text.")
    # The template facts the texts are rendered from after commit (comms.outbox.texts), written with the
    # facts so every audience reads the same ones; None once the texts are rendered.
    template_context = models.JSONField(null=True, blank=True, editable=False)
    # subject and body_text are what the account manager wrote in the composer: finished text, wrapped
    # as a message when rendered, never evaluated as a template.
    texts_edited = models.BooleanField(default=False, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    is_automatic = models.BooleanField(default=False)
    recipient_ids = models.JSONField(default=list, help_text="Stakeholder ids chosen when the message was written.")
    state = models.CharField(max_length=16, choices=CommunicationState, default=CommunicationState.QUEUED)
    send_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "send_at"], name="communication_due")]

    def __str__(self) -> str:
        return f"{self.kind}/{self.audience}/{self.language}: {self.subject}"


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # A routine update inside the recipient's interval (comms.outbox.coalescing): it waits until
    # next_attempt_at, then goes out merged with what came after it, or is superseded.
    DEFERRED = "deferred", _("Deferred until the recipient's interval ends")
    # Never sent because a later message to the same address about the same incident
    # (superseded_by) carried the state, and the text, instead.
    SUPERSEDED = "superseded", _("Superseded by a later message")


FINAL_DELIVERY_STATES = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SUPERSEDED)
# A message the recipient got or is about to get: what starts a coalescing interval.
LIVE_DELIVERY_STATES = (DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.SENT)


class Delivery(models.Model):
    communication = models.ForeignKey(Communication, on_delete=models.CASCADE, related_name="deliveries")
    stakeholder = models.ForeignKey(Stakeholder, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel)
    address = models.CharField(max_length=500, help_text="Snapshot of the address when the message was queued.")
    state = models.CharField(max_length=16, choices=DeliveryState, default=DeliveryState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    next_attempt_at = models.DateTimeField(db_index=True)  # for a deferred delivery: when its interval ends
    # Set with state SUPERSEDED: the later delivery that carried this one's state and text.
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="superseded")
    # IncidentUpdate ids of superseded deliveries whose public messages this one carries
    # under "Earlier updates" (comms.outbox.earlier_updates); empty for almost every delivery.
    earlier_update_ids = models.JSONField(default=list, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # The same message never goes to the same address twice, whatever retries or sweeps do.
            models.UniqueConstraint(fields=["communication", "channel", "address"], name="delivery_once"),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due"),
            # The communication log's keyset pages (core.keyset), with and without a state filter.
            models.Index(fields=["-created_at", "-id"], name="delivery_log"),
            models.Index(fields=["state", "-created_at", "-id"], name="delivery_state_log"),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.channel}:{self.address} {self.state}"

    @property
    def message_id(self) -> str:
        """A stable RFC 5322 Message-ID: a retry of the same delivery carries the same one."""
        digest = hashlib.sha256(f"{self.communication_id}:{self.pk}".encode()).hexdigest()[:16]
        return f"<kalm.{self.communication_id}.{self.pk}.{digest}@{settings.KALM_MAIL_DOMAIN}>"


class DeliveryAttempt(models.Model):
    """One try at sending, written before the external call and completed after it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="history")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, blank=True)  # sent | retry | failed
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number} {self.outcome}"


class EndpointHealth(models.Model):
    """Consecutive failures per webhook/chat endpoint; past a threshold it is quarantined."""

    channel = models.CharField(max_length=16, choices=Channel)
    address = models.CharField(max_length=500)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    quarantined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="endpoint_once")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"


class EscalationTrigger(models.TextChoices):
    SEVERITY_RAISED = "severity_raised", _("Severity raised")
    TIME_THRESHOLD = "time_threshold", _("Open too long or past its ETA")
    BUSINESS_IMPACT = "business_impact", _("Business impact identified")
    EXTERNAL_IMPACT = "external_impact", _("External impact")
    REGULATORY = "regulatory", _("Personal data involved (regulatory)")
    UPDATE_OVERDUE = "update_overdue", _("Update overdue")


class EscalationRule(models.Model):
    """A customer's override of comms.directory.escalation.DEFAULT_ESCALATION: which roles a trigger reaches."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="escalation_rules")
    trigger = models.CharField(_("trigger"), max_length=32, choices=EscalationTrigger)
    roles = models.JSONField(_("roles"), default=list, help_text=_("Role codes; empty means nobody."))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "trigger"], name="escalation_rule_once")]

    def __str__(self) -> str:
        return f"{self.customer}: {self.trigger} → {', '.join(self.roles) or '-'}"
