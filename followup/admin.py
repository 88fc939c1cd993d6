"""Read-mostly admin views of the follow-up; changes go through the console (followup.services audits them)."""

from django.contrib import admin

from followup.models import Compensation, CreditPolicy, CustomerEscalation, RemediationAction


@admin.register(CustomerEscalation)
class CustomerEscalationAdmin(admin.ModelAdmin):
    list_display = ["incident", "customer", "raised_by", "channel", "status", "created_at"]
    list_filter = ["status", "channel"]


@admin.register(CreditPolicy)
class CreditPolicyAdmin(admin.ModelAdmin):
    list_display = ["customer", "monthly_fee", "currency", "percent_per_hour", "cap_percent"]


@admin.register(Compensation)
class CompensationAdmin(admin.ModelAdmin):
    list_display = ["incident", "customer", "status", "proposed_amount", "amount", "currency", "decided_at"]
    list_filter = ["status"]
    readonly_fields = ["decided_by", "decided_at"]


@admin.register(RemediationAction)
class RemediationActionAdmin(admin.ModelAdmin):
    list_display = ["title", "customer", "incident", "owner", "due_at", "status"]
    list_filter = ["status"]
