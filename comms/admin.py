from django.contrib import admin

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


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ["name", "customer", "role", "audience", "language", "email", "is_active"]
    list_filter = ["customer", "role", "audience", "language", "is_active"]
    search_fields = ["name", "email", "phone"]
    filter_horizontal = ["components"]


@admin.register(DistributionGroup)
class DistributionGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "customer"]
    filter_horizontal = ["stakeholders"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["customer", "role", "kind", "min_severity"]
    list_filter = ["customer", "role", "kind"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
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
class EscalationRuleAdmin(admin.ModelAdmin):
    """Per-customer overrides of comms.directory.escalation.DEFAULT_ESCALATION (trigger → roles)."""

    list_display = ["customer", "trigger", "roles"]
    list_filter = ["customer", "trigger"]
