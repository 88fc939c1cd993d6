"""The contract & cadence policy form over a customer's contract fields."""

import copy

from django import forms
from django.core.validators import MinValueValidator

from core.forms import PlainTextForm
from incidents.contracts import CONTRACT_FIELDS, EXTRA_MINIMUMS
from incidents.models import Customer


class ContractForm(PlainTextForm, forms.ModelForm):
    """Validates with the model's own validators (minimums) on a copy, so the customer shown
    beside a rejected form keeps its saved values; ``incidents.contracts`` does the writing."""

    class Meta:
        model = Customer
        fields = CONTRACT_FIELDS

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, instance=copy.copy(customer), **kwargs)
        for name, field in self.fields.items():
            minimum = _model_minimum(name)
            if minimum is not None and isinstance(field, forms.IntegerField):
                field.widget.attrs["min"] = minimum

    def changes(self) -> dict:
        return {field: self.cleaned_data[field] for field in CONTRACT_FIELDS}


def _model_minimum(name: str) -> int | None:
    """The tightest minimum the model or the contract rules set for a field (for the input's ``min``)."""
    limits = [v.limit_value for v in Customer._meta.get_field(name).validators if isinstance(v, MinValueValidator)]
    if name in EXTRA_MINIMUMS:
        limits.append(EXTRA_MINIMUMS[name])
    return max(limits) if limits else None
