"""What the MSP owes a customer after (or during) an incident.

- ``CustomerEscalation``: the customer pushes back (a phone call, an angry e-mail, a meeting),
  with a demand; someone at the MSP owns it until it is closed with a resolution note.
- ``CreditPolicy`` and ``Compensation``: the contract's service-credit terms (the contract
  model in incidents has none) and, per incident × customer, the credit Kalm proposes from
  them and the measured downtime, then a manager's decision. Only decided credits are billed.
- ``RemediationAction``: the post-incident review's actions, tracked to done with evidence.

Writes go through ``followup.services``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models import Customer, Incident

currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter currency code, e.g. EUR."))


class EscalationChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    MEETING = "meeting", _("Meeting")
    OTHER = "other", _("Other")


class EscalationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CustomerEscalation(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="customer_escalations")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="escalations")
    raised_by = models.CharField(_("who escalated"), max_length=200,
                                 help_text=_("The person at the customer, e.g. “J. de Vries, CFO”."))
    channel = models.CharField(_("channel"), max_length=16, choices=EscalationChannel)
    demand = models.TextField(_("what they demand"), max_length=2000)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("owner"))
    status = models.CharField(_("status"), max_length=16, choices=EscalationStatus, default=EscalationStatus.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution = models.TextField(_("resolution note"), max_length=2000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer escalation")
        verbose_name_plural = _("customer escalations")

    def __str__(self) -> str:
        return f"{self.customer}: {self.raised_by} ({self.channel})"

    @property
    def is_open(self) -> bool:
        return self.status == EscalationStatus.OPEN


class CreditPolicy(models.Model):
    """A customer's service-credit terms: ``percent_per_hour`` of the monthly fee for every hour of
    downtime beyond ``allowed_downtime_minutes`` per incident, at most ``cap_percent``."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="credit_policy")
    monthly_fee = models.DecimalField(_("monthly fee"), max_digits=12, decimal_places=2,
                                      validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(_("currency"), max_length=3, default="EUR", validators=[currency_validator])
    percent_per_hour = models.DecimalField(
        _("credit per hour of downtime (% of the monthly fee)"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))])
    allowed_downtime_minutes = models.PositiveIntegerField(
        _("allowed downtime per incident (minutes)"), default=0, validators=[MaxValueValidator(60 * 24 * 31)])
    cap_percent = models.DecimalField(
        _("cap (% of the monthly fee)"), max_digits=5, decimal_places=2, default=Decimal(100),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("credit policy")
        verbose_name_plural = _("credit policies")

    def __str__(self) -> str:
        return f"{self.customer}: {self.percent_per_hour}%/h of {self.monthly_fee} {self.currency}"


class CompensationStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    ADJUSTED = "adjusted", _("Adjusted")
    DECLINED = "declined", _("Declined")


GRANTED = (CompensationStatus.APPROVED, CompensationStatus.ADJUSTED)


class Compensation(models.Model):
    """One credit per incident × customer: proposed by Kalm, decided by a manager."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="compensations")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="compensations")
    status = models.CharField(_("status"), max_length=16, choices=CompensationStatus,
                              default=CompensationStatus.PROPOSED)
    downtime_seconds = models.PositiveIntegerField(_("measured downtime (seconds)"), default=0)
    proposed_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    proposed_amount = models.DecimalField(_("proposed amount"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    reason = models.TextField(_("reason"), max_length=2000, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["incident", "customer"], name="compensation_once")]
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.customer_id} {self.status} {self.proposed_amount} {self.currency}"

    @property
    def is_decided(self) -> bool:
        return self.status != CompensationStatus.PROPOSED


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class RemediationAction(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="remediation_actions")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="remediation_actions")
    title = models.CharField(_("action"), max_length=500)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="remediation_actions", verbose_name=_("owner"))
    # The owner as the review wrote it (free text); ``owner`` is the user it names, when one does.
    owner_name = models.CharField(_("owner as written"), max_length=200, blank=True)
    due_at = models.DateTimeField(_("due"), db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=ActionStatus, default=ActionStatus.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    evidence = models.TextField(_("evidence"), max_length=4000, blank=True)
    from_review = models.BooleanField(default=False)  # kept in step with the post-incident review's lines
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="remediation_open_due")]
        verbose_name = _("remediation action")
        verbose_name_plural = _("remediation actions")

    def __str__(self) -> str:
        return f"{self.title} ({self.due_at:%Y-%m-%d})"

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN

    @property
    def owner_label(self) -> str:
        if self.owner is not None:
            return self.owner.get_full_name() or self.owner.get_username()
        return self.owner_name
