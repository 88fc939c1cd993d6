from django.contrib import admin

from audit.admin import AuditedModelAdmin
from audit.models import Action
from comms.models import (
    Communication,
    Delivery,
    DeliveryAttempt,
    DistributionGroup,
    EndpointHealth,
    EscalationRule,
    MessageTemplate,
    RoutingRule,
    Stakeholder,
)

# Edits here reach the audit trail like the console's (audit.admin.AuditedModelAdmin).


@admin.register(Stakeholder)
class StakeholderAdmin(AuditedModelAdmin):
    audit_fields = ("name", "role", "audience", "language", "email", "phone", "teams_webhook_url",
                    "slack_webhook_url", "webhook_url", "webhook_secret", "is_active", "components")
    audit_actions = (Action.STAKEHOLDER_CREATED, Action.STAKEHOLDER_CHANGED, Action.STAKEHOLDER_DELETED)
    list_display = ["name", "customer", "role", "audience", "language", "email", "is_active"]
    list_filter = ["customer", "role", "audience", "language", "is_active"]
    search_fields = ["name", "email", "phone"]
    filter_horizontal = ["components"]


@admin.register(DistributionGroup)
class DistributionGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "customer"]
    filter_horizontal = ["stakeholders"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedModelAdmin):
    audit_fields = ("customer", "role", "kind", "min_severity")
    audit_actions = (Action.ROUTING_RULE_CREATED, Action.ROUTING_RULE_CHANGED, Action.ROUTING_RULE_DELETED)
    list_display = ["customer", "role", "kind", "min_severity"]
    list_filter = ["customer", "role", "kind"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(AuditedModelAdmin):
    audit_fields = ("customer", "kind", "audience", "language", "subject", "body")
    audit_actions = (Action.TEMPLATE_SAVED, Action.TEMPLATE_SAVED, Action.TEMPLATE_RESET)
    list_display = ["kind", "audience", "language", "customer", "updated_at"]
    list_filter = ["kind", "audience", "language", "customer"]


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "started_at", "finished_at", "outcome", "error"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Read-only: the delivery engine owns these rows."""

    list_display = ["id", "channel", "address", "state", "attempts", "sent_at"]
    list_filter = ["state", "channel"]
    search_fields = ["address"]
    inlines = [DeliveryAttemptInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Communication)
class CommunicationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "audience", "language", "customer", "state", "created_at"]
    list_filter = ["state", "kind", "audience", "language"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(EndpointHealth)
class EndpointHealthAdmin(admin.ModelAdmin):
    list_display = ["channel", "address", "consecutive_failures", "quarantined_at"]


@admin.register(EscalationRule)
class EscalationRuleAdmin(AuditedModelAdmin):
    """Per-customer overrides of comms.directory.escalation.DEFAULT_ESCALATION (trigger → roles)."""

    audit_fields = ("customer", "trigger", "roles")
    audit_actions = (Action.ESCALATION_RULE_CREATED, Action.ESCALATION_RULE_CHANGED, Action.ESCALATION_RULE_DELETED)

    list_display = ["customer", "trigger", "roles"]
    list_filter = ["customer", "trigger"]
