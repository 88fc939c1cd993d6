"""The audit trail: one row per state change or security event, never changed or deleted.

Append-only three times over: ``AuditEvent.save()`` refuses an existing row and ``delete()``
refuses always; the default manager's queryset refuses ``update()``, ``delete()`` and
``bulk_update()``; on PostgreSQL a trigger (migration 0002) rejects UPDATE and DELETE of a
row. The one change the database allows is Django's ``on_delete=SET_NULL`` detaching a
deleted user, customer or incident: the event stays, with the username and what it was
about kept as text.

Rows are written only by ``audit.services.record``.
"""

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.formatting import format_moment
from incidents.models import Customer, Incident


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit event."""


class Action(models.TextChoices):
    # The incident lifecycle (flows.incidents)
    INCIDENT_OPENED = "incident.opened", _("Incident opened")
    INCIDENT_UPDATED = "incident.updated", _("Incident updated")
    INCIDENT_NOTE = "incident.note", _("Internal note added")
    INCIDENT_RESOLVED = "incident.resolved", _("Incident resolved")
    INCIDENT_REOPENED = "incident.reopened", _("Incident reopened")
    INCIDENT_CUSTOMER_ADDED = "incident.customer_added", _("Customer added to an incident")
    INCIDENT_POSTPONED = "incident.postponed", _("Next update postponed")
    INCIDENT_HOLDING = "incident.holding", _("Holding update sent")
    INCIDENT_ACKNOWLEDGED = "incident.acknowledged", _("Acknowledgment released")
    INCIDENT_SUMMARY = "incident.summary", _("Post-incident summary sent")
    # Maintenance windows (flows.maintenance)
    MAINTENANCE_SCHEDULED = "maintenance.scheduled", _("Maintenance scheduled")
    MAINTENANCE_EDITED = "maintenance.edited", _("Maintenance texts changed")
    MAINTENANCE_STARTED = "maintenance.started", _("Maintenance started")
    MAINTENANCE_COMPLETED = "maintenance.completed", _("Maintenance completed")
    MAINTENANCE_CANCELLED = "maintenance.cancelled", _("Maintenance cancelled")
    # Reference data (console pages and the admin)
    TEMPLATE_SAVED = "template.saved", _("Message template saved")
    TEMPLATE_RESET = "template.reset", _("Message template reset to the default")
    STAKEHOLDER_CREATED = "stakeholder.created", _("Stakeholder added")
    STAKEHOLDER_CHANGED = "stakeholder.changed", _("Stakeholder changed")
    STAKEHOLDER_DEACTIVATED = "stakeholder.deactivated", _("Stakeholder deactivated")
    STAKEHOLDER_REACTIVATED = "stakeholder.reactivated", _("Stakeholder reactivated")
    STAKEHOLDER_DELETED = "stakeholder.deleted", _("Stakeholder deleted")
    STAKEHOLDERS_IMPORTED = "stakeholder.imported", _("Stakeholders imported")
    ROUTING_RULE_CREATED = "routing_rule.created", _("Routing rule added")
    ROUTING_RULE_CHANGED = "routing_rule.changed", _("Routing rule changed")
    ROUTING_RULE_DELETED = "routing_rule.deleted", _("Routing rule deleted")
    ESCALATION_RULE_CREATED = "escalation_rule.created", _("Escalation rule added")
    ESCALATION_RULE_CHANGED = "escalation_rule.changed", _("Escalation rule changed")
    ESCALATION_RULE_DELETED = "escalation_rule.deleted", _("Escalation rule deleted")
    CONTRACT_CHANGED = "contract.changed", _("Contract terms changed")
    # Access
    API_TOKEN_CREATED = "api_token.created", _("API token created")
    API_TOKEN_REVOKED = "api_token.revoked", _("API token revoked")
    STATUS_LINK_ROTATED = "status_link.rotated", _("Private status page link rotated")
    # Monitoring intake (intake/)
    INTEGRATION_CREATED = "integration.created", _("Monitoring integration added")
    INTEGRATION_CHANGED = "integration.changed", _("Monitoring integration changed")
    INTEGRATION_ROTATED = "integration.rotated", _("Monitoring integration address rotated")
    ALERT_PUBLISHED = "alert.published", _("Alert published as an incident")
    ALERT_MERGED = "alert.merged", _("Alert added to an open incident")
    ALERT_DISMISSED = "alert.dismissed", _("Alert dismissed")
    # Follow-up (followup/): customer escalations, compensation, remediation actions
    CUSTOMER_ESCALATION_RECORDED = "escalation.recorded", _("Customer escalation recorded")
    CUSTOMER_ESCALATION_CLOSED = "escalation.closed", _("Customer escalation closed")
    CREDIT_POLICY_CHANGED = "credit_policy.changed", _("Credit policy changed")
    COMPENSATION_PROPOSED = "compensation.proposed", _("Compensation proposed")
    COMPENSATION_DECIDED = "compensation.decided", _("Compensation decided")
    REMEDIATION_CREATED = "remediation.created", _("Remediation action added")
    REMEDIATION_CLOSED = "remediation.closed", _("Remediation action closed")
    # Response playbook (playbook/): roles, checklists, the standby rota
    ROLE_ASSIGNED = "role.assigned", _("Incident role assigned")
    ROLE_ACKNOWLEDGED = "role.acknowledged", _("Incident role acknowledged")
    ROLE_CLEARED = "role.cleared", _("Incident role cleared")
    CHECKLIST_ITEM_DONE = "checklist.done", _("Checklist item done")
    CHECKLIST_ITEM_REOPENED = "checklist.reopened", _("Checklist item reopened")
    CHECKLIST_TEMPLATE_SAVED = "checklist_template.saved", _("Checklist template saved")
    ROTA_SHIFT_ADDED = "rota.added", _("Standby shift added")
    ROTA_SHIFT_DELETED = "rota.deleted", _("Standby shift deleted")
    SERVICE_REPORT_SETTING_CHANGED = "service_report.setting", _("Service report setting changed")
    LOGIN = "auth.login", _("Signed in")
    LOGIN_FAILED = "auth.login_failed", _("Sign-in failed")
    LOCKED_OUT = "auth.locked_out", _("Locked out after failed sign-ins")
    LOCKOUT_LIFTED = "auth.lockout_lifted", _("Sign-in lockout lifted")
    PASSWORD_CHANGED = "auth.password_changed", _("Password changed")
    PASSWORD_RESET = "auth.password_reset", _("Password reset by e-mail")
    MFA_ADDED = "auth.mfa_added", _("Second factor added")
    MFA_REMOVED = "auth.mfa_removed", _("Second factor removed")
    RECOVERY_CODES_REGENERATED = "auth.recovery_codes_regenerated", _("Recovery codes regenerated")
    RECOVERY_CODE_USED = "auth.recovery_code_used", _("Recovery code used")


class AuditEventQuerySet(models.QuerySet):
    """Reads only: bulk writes to existing rows are refused."""

    def update(self, **kwargs):
        raise AppendOnlyError("The audit trail is append-only: events cannot be updated.")

    def delete(self):
        raise AppendOnlyError("The audit trail is append-only: events cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("The audit trail is append-only: events cannot be updated.")

    delete.alters_data = True  # as Django's own: templates never call it
    update.alters_data = True


class AuditEvent(models.Model):
    at = models.DateTimeField(_("time"), default=timezone.now, editable=False)
    # Null for the system: the tick, a management command, a robot. The username is kept as
    # text so the event still says who after the user is deleted (the key is then cleared).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("who"))
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    actor_ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    action = models.CharField(_("event"), max_length=40, choices=Action)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("customer"))
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("incident"))
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    # Only the fields that changed; secrets never (audit.changes redacts them).
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_event_at"),
            models.Index(fields=["customer", "-at"], name="audit_event_customer_at"),
            models.Index(fields=["incident", "-at"], name="audit_event_incident_at"),
            models.Index(fields=["action", "-at"], name="audit_event_action_at"),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_repr}".strip()

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("The audit trail is append-only: events cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit trail is append-only: events cannot be deleted.")

    delete.alters_data = True

    @property
    def changes(self) -> list[tuple[str, str | None, str | None]]:
        """(field, before, after) as text for reading; None where a side has no value."""
        keys = dict.fromkeys([*self.before, *self.after])
        return [(key, _readable(self.before[key]) if key in self.before else None,
                 _readable(self.after[key]) if key in self.after else None) for key in keys]


# How audit.changes stores an aware moment: ISO 8601 in UTC.
_UTC_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?\+00:00$")


def _readable(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and _UTC_MOMENT.match(value):
        # Shown in the reader's zone and language, as every time in the console.
        return format_moment(datetime.fromisoformat(value), "datetime", with_zone=True)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_readable(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_readable(item) for item in value) or "—"
    return str(value)
