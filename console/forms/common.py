"""What every console form shares: times typed in the customer's zone (in the console
language's format: ``console.forms.datetimes``), and a customer choice that decides which
components the form offers."""

import zoneinfo
from datetime import datetime

from django.utils import timezone

from incidents.models import Component, Customer, Incident


def in_zone(value: datetime | None, zone) -> datetime | None:
    """Read a wall-clock time the user typed as a time in ``zone`` (the customer's), not UTC."""
    if value is None:
        return None
    naive = timezone.make_naive(value) if timezone.is_aware(value) else value
    return timezone.make_aware(naive, zone)


def incident_zone(incident: Incident) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(incident.time_zone)


class CustomerChoiceMixin:
    """For forms with a ``customer`` ModelChoiceField limited to the user's customers.

    The chosen customer (bound data, else initial) decides which components are offered; a
    blank choice, a customer outside the queryset, or garbage counts as none chosen.
    """

    def limit_customers(self, customers) -> None:
        self.fields["customer"].queryset = customers
        if customers.count() == 1:
            self.fields["customer"].initial = customers.first()

    def selected_customer(self) -> Customer | None:
        raw = self.data.get("customer") if self.is_bound else self.initial.get("customer")
        if raw is None:  # not given at all (a blank choice is a choice): the preselected customer, if any
            raw = self.fields["customer"].initial
        try:
            return self.fields["customer"].queryset.filter(pk=getattr(raw, "pk", raw)).first()
        except (ValueError, TypeError):
            return None

    def selected_customer_components(self):
        customer = self.selected_customer()
        return customer.components.order_by("group", "position", "name") if customer else Component.objects.none()
