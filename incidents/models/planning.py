"""Time-bound facts: legal notification clocks and planned maintenance windows."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models.core import Component, Customer, Incident


class RegulatoryRegime(models.TextChoices):
    """Legal notification deadlines, counted from awareness (the moment the flag was set)."""

    GDPR = "gdpr", _("GDPR breach notification (72 hours)")
    NIS2_EARLY_WARNING = "nis2_early", _("NIS2 early warning (24 hours)")
    NIS2_NOTIFICATION = "nis2_notification", _("NIS2 incident notification (72 hours)")
    NIS2_FINAL_REPORT = "nis2_final", _("NIS2 final report (one month)")


REGULATORY_DEADLINES = {
    RegulatoryRegime.GDPR: timedelta(hours=72),
    RegulatoryRegime.NIS2_EARLY_WARNING: timedelta(hours=24),
    RegulatoryRegime.NIS2_NOTIFICATION: timedelta(hours=72),
    RegulatoryRegime.NIS2_FINAL_REPORT: timedelta(days=30),
}


class RegulatoryClock(models.Model):
    """A running legal deadline; shown until the notification is marked filed."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="regulatory_clocks")
    regime = models.CharField(_("regime"), max_length=20, choices=RegulatoryRegime)
    started_at = models.DateTimeField(_("aware since"))
    deadline_at = models.DateTimeField(_("deadline"), db_index=True)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    reference = models.CharField(_("authority's reference"), max_length=200, blank=True)

    class Meta:
        ordering = ["deadline_at"]
        constraints = [models.UniqueConstraint(fields=["incident", "regime"], name="regulatory_clock_once")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.regime} until {self.deadline_at:%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.filed_at is None

    def fraction_elapsed(self, now) -> float:
        total = (self.deadline_at - self.started_at).total_seconds()
        return max(0.0, (now - self.started_at).total_seconds() / total) if total > 0 else 1.0


class MaintenanceStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Maintenance(models.Model):
    """A planned maintenance window for one customer's components."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="maintenances")
    title = models.CharField(_("title"), max_length=200)
    components = models.ManyToManyField(Component, related_name="maintenances", verbose_name=_("components"))
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    expected_impact = models.TextField(_("expected impact"), blank=True)
    customer_action = models.TextField(_("what users must do"), blank=True)
    # The texts above are in the customer's language; other languages here (core.texts).
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=MaintenanceStatus,
                              default=MaintenanceStatus.SCHEDULED)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="maintenance_ends_after_start")]
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")

    def __str__(self) -> str:
        return f"{self.customer}: {self.title} {self.starts_at:%Y-%m-%d %H:%M}"


__all__ = [
    "RegulatoryRegime",
    "RegulatoryClock",
    "MaintenanceStatus",
    "Maintenance",
    "REGULATORY_DEADLINES",
]
