"""The incident timeline: each opening, update, note and resolution (``IncidentUpdate``) and the
component statuses it changed (``ComponentChange``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models.core import Component, ComponentStatus, Incident, Severity, Status


class UpdateKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    UPDATE = "update", _("Update")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    NOTE = "note", _("Internal note")
    CUSTOMER_ADDED = "customer_added", _("Customer added")
    DUE_EXTENDED = "due_extended", _("Next update postponed")
    HOLDING = "holding", _("Holding update (automatic)")
    ACKNOWLEDGED = "acknowledged", _("Acknowledgment released")
    POST_INCIDENT = "post_incident", _("Post-incident summary")


class IncidentUpdate(models.Model):
    """One entry on the incident timeline.

    ``message`` is public unless ``is_internal``; internal notes never leave the console.
    Status and severity changes are recorded as (previous, new) so the timeline and the
    post-incident report can tell the whole story.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=16, choices=UpdateKind, default=UpdateKind.UPDATE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    message = models.TextField(_("message"), blank=True)
    # The message in other languages than the incident's ({"en": {"message": …}}), see core.texts.
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    is_internal = models.BooleanField(_("internal note"), default=False)
    status = models.CharField(max_length=16, choices=Status)
    previous_status = models.CharField(max_length=16, choices=Status, blank=True)
    severity = models.CharField(max_length=16, choices=Severity)
    previous_severity = models.CharField(max_length=16, choices=Severity, blank=True)
    # Names of other facts this entry changed (e.g. "business_impact", "personal_data_involved"),
    # so listeners can react to what happened without diffing the incident.
    facts_changed = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["incident", "-created_at"], name="update_incident_created")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_public(self) -> bool:
        return not self.is_internal and bool(self.message)

    @property
    def status_changed(self) -> bool:
        return bool(self.previous_status) and self.previous_status != self.status

    @property
    def severity_changed(self) -> bool:
        return bool(self.previous_severity) and self.previous_severity != self.severity


class ComponentChange(models.Model):
    update = models.ForeignKey(IncidentUpdate, on_delete=models.CASCADE, related_name="component_changes")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    previous_status = models.CharField(max_length=32, choices=ComponentStatus, blank=True)
    status = models.CharField(max_length=32, choices=ComponentStatus)

    class Meta:
        ordering = ["component__position", "component__name"]

    def __str__(self) -> str:
        return f"{self.component_id}: {self.previous_status or '-'} -> {self.status}"


__all__ = ["UpdateKind", "IncidentUpdate", "ComponentChange"]
