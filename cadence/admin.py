from django.contrib import admin

from cadence.models import CadenceEvent


@admin.register(CadenceEvent)
class CadenceEventAdmin(admin.ModelAdmin):
    """The tick's ledger, read-only: what was done, for which subject and due time."""

    list_display = ["subject", "key", "due_at", "created_at"]
    search_fields = ["subject", "key"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
