"""What happened: customers, their components and incidents (the timeline is in ``timeline``).

One Incident is one set of facts. It can affect several customers (an upstream outage),
and each affected customer has its own CustomerIncident with its own number. Writes go
through ``incidents.services``; nothing here sends messages or renders public pages.
"""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    DUTCH = "nl", _("Dutch")
    GERMAN = "de", _("German")


class Severity(models.TextChoices):
    """The seeds' four levels; the order here is most to least severe."""

    CRITICAL = "critical", _("Critical – everything is down")
    HIGH = "high", _("High – large impact")
    MEDIUM = "medium", _("Medium – limited impact")
    LOW = "low", _("Low – minimal impact")

    @classmethod
    def rank(cls, value: str) -> int:
        """0 for critical … 3 for low, so a smaller rank is more severe."""
        return list(cls.values).index(value)

    @classmethod
    def short_label(cls, value: str) -> str:
        """ "Critical" rather than "Critical – everything is down" (translated): for pills and messages."""
        return str(dict(cls.choices).get(value, value)).split(" – ")[0]


class Status(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


OPEN_STATUSES = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)


class Category(models.TextChoices):
    SERVER = "server", _("Server")
    NETWORK = "network", _("Network")
    EMAIL = "email", _("E-mail")
    SECURITY = "security", _("Security")
    SOFTWARE = "software", _("Software")
    OTHER = "other", _("Other")


class DetectedBy(models.TextChoices):
    MSP = "msp", _("MSP (our monitoring or staff)")
    CLIENT = "client", _("Client")


class ComponentStatus(models.TextChoices):
    """Atlassian Statuspage's five component statuses, in order of increasing impact."""

    OPERATIONAL = "operational", _("Operational")
    UNDER_MAINTENANCE = "under_maintenance", _("Under maintenance")
    DEGRADED_PERFORMANCE = "degraded_performance", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")

    @classmethod
    def weight(cls, value: str) -> int:
        return list(cls.values).index(value)


prefix_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$", _("Use 2–10 capital letters or digits, starting with a letter.")
)


class ReportDelivery(models.TextChoices):
    """How the post-incident summary e-mail carries the report: a link, or the PDF itself."""

    LINK = "link", _("A signed link that expires")
    ATTACHMENT = "attachment", _("The PDF attached")


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True, help_text=_("Used in the status page address."))
    incident_prefix = models.CharField(_("incident number prefix"), max_length=10, validators=[prefix_validator])
    language = models.CharField(_("language"), max_length=2, choices=Language, default=Language.DUTCH)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.KALM_DEFAULT_TIME_ZONE, validators=[validate_time_zone]
    )
    # Contract terms. The cadence engine reads these; a contract may tighten the defaults.
    ack_target_minutes = models.PositiveIntegerField(
        _("acknowledgment target (minutes)"), default=15, validators=[MinValueValidator(1)]
    )
    cadence_critical_minutes = models.PositiveIntegerField(
        _("update cadence, critical (minutes)"), default=30, validators=[MinValueValidator(5)]
    )
    cadence_high_minutes = models.PositiveIntegerField(
        _("update cadence, high (minutes)"), default=60, validators=[MinValueValidator(5)]
    )
    cadence_medium_minutes = models.PositiveIntegerField(
        _("update cadence, medium (minutes)"), default=120, validators=[MinValueValidator(5)]
    )
    cadence_low_minutes = models.PositiveIntegerField(
        _("update cadence, low (minutes)"), default=240, validators=[MinValueValidator(5)]
    )
    cadence_monitoring_minutes = models.PositiveIntegerField(
        _("update cadence while monitoring (minutes)"), default=120, validators=[MinValueValidator(5)]
    )
    ack_requires_approval = models.BooleanField(
        _("acknowledgment needs the account manager's approval"), default=False,
        help_text=_("Otherwise it goes out at once. Either way it goes out within the acknowledgment target."),
    )
    holding_updates = models.BooleanField(
        _("send a holding update when an update is overdue"), default=True
    )
    reminder_minutes_before = models.PositiveIntegerField(
        _("remind the account manager this long before an update is due (minutes)"), default=10
    )
    overdue_escalation_minutes = models.PositiveIntegerField(
        _("escalate to the manager when an update is this late (minutes)"), default=15
    )
    escalate_after_hours = models.PositiveIntegerField(
        _("escalate to management when an incident is open longer than (hours)"), default=4
    )
    nis2_applies = models.BooleanField(_("NIS2 applies (essential or important entity)"), default=False)
    account_managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="managed_customers", verbose_name=_("account managers")
    )
    status_page_public = models.BooleanField(_("status page is public"), default=True)
    report_delivery = models.CharField(
        _("post-incident report in the summary e-mail"), max_length=16, choices=ReportDelivery,
        default=ReportDelivery.LINK,
        help_text=_("The summary e-mail carries either a signed link (valid for 14 days) or the PDF itself."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [("view_all_customers", "Can see and act on every customer's incidents")]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def cadence_minutes(self, severity: str, status: str = "investigating") -> int:
        """Minutes between public updates: per severity, and the longer monitoring interval when monitoring."""
        per_severity = getattr(self, f"cadence_{severity}_minutes")
        if status == Status.MONITORING:
            return max(per_severity, self.cadence_monitoring_minutes)
        return per_severity


class Component(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(_("name"), max_length=200)
    group = models.CharField(_("group"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # Denormalised from open incidents (services.component_status_refresh) so the
    # status page reads one column instead of scanning incidents.
    status = models.CharField(
        _("status"), max_length=32, choices=ComponentStatus, default=ComponentStatus.OPERATIONAL
    )
    # Name, group and description in the customer's other readers' languages (core.texts):
    # {"en": {"name": "File server", "group": "Servers"}}. The fields above are in the customer's language.
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)  # the Statuspage JSON's component updated_at

    class Meta:
        ordering = ["customer", "group", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="component_unique_name")]
        verbose_name = _("component")
        verbose_name_plural = _("components")

    def __str__(self) -> str:
        return f"{self.customer.name}: {self.name}"


class Incident(models.Model):
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("problem category"), max_length=16, choices=Category)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.INVESTIGATING)
    business_impact = models.TextField(_("business impact"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    resolution_summary = models.TextField(_("resolution summary"), blank=True)
    detected_by = models.CharField(_("detected by"), max_length=8, choices=DetectedBy, default=DetectedBy.MSP)
    personal_data_involved = models.BooleanField(_("personal data involved"), default=False)
    # The texts above are written in ``language``; ``translations`` holds them in other languages
    # ({"en": {"title": …}}); a reader without a version reads them as written (core.texts).
    language = models.CharField(_("written in"), max_length=2, choices=Language, default=Language.DUTCH)
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    started_at = models.DateTimeField(_("started at"))
    detected_at = models.DateTimeField(_("detected at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    identified_at = models.DateTimeField(_("identified at"), null=True, blank=True)
    monitoring_at = models.DateTimeField(_("monitoring since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    eta = models.DateTimeField(_("expected resolution"), null=True, blank=True)
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    external_impact = models.BooleanField(_("external impact (customers of the customer, press)"), default=False)
    is_drill = models.BooleanField(default=False, db_index=True)
    post_incident_sent_at = models.DateTimeField(_("post-incident summary sent"), null=True, blank=True)
    last_public_update_at = models.DateTimeField(null=True, blank=True)
    next_update_due_at = models.DateTimeField(_("next update due"), null=True, blank=True, db_index=True)

    # Empty for incidents opened by the system (monitoring webhooks, the API of a robot user).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    customers = models.ManyToManyField(Customer, through="CustomerIncident", related_name="incidents")
    components = models.ManyToManyField(Component, through="AffectedComponent", related_name="incidents")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "-started_at"], name="incident_status_started")]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != Status.RESOLVED

    @property
    def first_link(self) -> "CustomerIncident | None":
        """The customer the incident was opened for (uses prefetched links when present)."""
        links = list(self.customer_links.all())
        return links[0] if links else None

    @property
    def time_zone(self) -> str:
        """The zone the console shows this incident's times in: its first customer's."""
        link = self.first_link
        return link.customer.time_zone if link else settings.KALM_DEFAULT_TIME_ZONE


class CustomerIncident(models.Model):
    """One customer affected by an incident, with that customer's own incident number."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="customer_links")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="incident_links")
    number = models.CharField(_("incident number"), max_length=32, unique=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "customer"], name="customer_incident_once"),
        ]

    def __str__(self) -> str:
        return self.number


class IncidentNumberCounter(models.Model):
    """The last sequence number handed out per customer per (customer-local) day.

    Locked with SELECT … FOR UPDATE while a number is drawn, so concurrent openings on
    PostgreSQL get distinct numbers instead of racing on MAX()+1.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "day"], name="number_counter_per_day")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.day}: {self.last}"


class AffectedComponent(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="affected_by")
    status = models.CharField(_("status"), max_length=32, choices=ComponentStatus)

    class Meta:
        ordering = ["component__customer__name", "component__position", "component__name"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "component"], name="affected_component_once"),
        ]

    def __str__(self) -> str:
        return f"{self.component}: {self.status}"


__all__ = [
    "validate_time_zone",
    "Language",
    "Severity",
    "Status",
    "Category",
    "DetectedBy",
    "ComponentStatus",
    "ReportDelivery",
    "Customer",
    "Component",
    "Incident",
    "CustomerIncident",
    "IncidentNumberCounter",
    "AffectedComponent",
    "OPEN_STATUSES",
    "prefix_validator",
]
