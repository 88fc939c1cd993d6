"""The audit trail in the admin: read-only. And ``AuditedModelAdmin``, the mixin that records
what managers change in the admin's reference data (routing and escalation rules, templates,
stakeholders, contract terms) with before → after, as the console pages do."""

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from audit import services as audit
from audit.models import AuditEvent
from incidents.admin import CustomerAdmin
from incidents.contracts import CONTRACT_FIELDS
from incidents.models import Customer


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_username", "actor_ip", "action", "customer", "incident", "object_repr"]
    list_filter = ["action", "customer"]
    search_fields = ["actor_username", "object_repr", "detail"]
    date_hierarchy = "at"
    list_select_related = ["customer", "incident"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedModelAdmin(admin.ModelAdmin):
    """Records additions, changes and deletions made in the admin (in the admin's transaction).

    ``audit_fields`` are the fields compared; ``audit_actions`` the (created, changed, deleted)
    actions; ``audit_customer(obj)`` the customer the object belongs to.
    """

    audit_fields: tuple[str, ...] = ()
    audit_actions: tuple[str | None, str | None, str | None] = (None, None, None)

    def audit_customer(self, obj: models.Model) -> Customer | None:
        return getattr(obj, "customer", None)

    def save_model(self, request: HttpRequest, obj: models.Model, form, change: bool) -> None:
        # The stored row, before the form's values are saved over it.
        stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change and obj.pk else None
        obj._audit_before = audit.snapshot(stored, self.audit_fields) if stored is not None else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # many-to-many fields are set here
        obj = form.instance
        before = getattr(obj, "_audit_before", {})
        after = audit.snapshot(obj, self.audit_fields)
        created, changed, _deleted = self.audit_actions
        action = changed if change else created
        if action and (not change or audit.diff(before, after)[0]):
            audit.record(action=action, request=request, customer=self.audit_customer(obj), target=obj,
                         before=before, after=after, only_changes=change, detail="admin")

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        self._record_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for obj in queryset:
            self._record_deletion(request, obj)
        super().delete_queryset(request, queryset)

    def _record_deletion(self, request: HttpRequest, obj: models.Model) -> None:
        action = self.audit_actions[2]
        if action:
            audit.record(action=action, request=request, customer=self.audit_customer(obj), target=obj,
                         before=audit.snapshot(obj, self.audit_fields), only_changes=False, detail="admin")


# Customers are registered by incidents/admin.py, which cannot import this app (it lies below
# it); their contract terms are audited by registering the same admin again with the mixin.
class AuditedCustomerAdmin(AuditedModelAdmin, CustomerAdmin):
    audit_fields = tuple(CONTRACT_FIELDS)
    audit_actions = (None, audit.Action.CONTRACT_CHANGED, None)

    def audit_customer(self, obj: models.Model) -> Customer | None:
        return obj if isinstance(obj, Customer) else None


admin.site.unregister(Customer)
admin.site.register(Customer, AuditedCustomerAdmin)
