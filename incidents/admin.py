from django.contrib import admin

from incidents.models import Component, Customer, CustomerIncident, Incident


class ComponentInline(admin.TabularInline):
    model = Component
    extra = 0
    fields = ["name", "group", "position", "description", "status"]
    readonly_fields = ["status"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "incident_prefix", "language", "time_zone", "status_page_public",
                    "report_delivery"]
    list_filter = ["report_delivery"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["account_managers"]
    inlines = [ComponentInline]
    search_fields = ["name", "slug"]


class CustomerIncidentInline(admin.TabularInline):
    model = CustomerIncident
    extra = 0
    readonly_fields = ["customer", "number", "added_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # numbers are drawn by incidents.services, never typed


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-mostly: the lifecycle rules live in the console and API, not here."""

    list_display = ["title", "severity", "status", "started_at", "resolved_at"]
    list_filter = ["status", "severity", "category"]
    search_fields = ["title", "customer_links__number"]
    inlines = [CustomerIncidentInline]
    readonly_fields = [f.name for f in Incident._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
