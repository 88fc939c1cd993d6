"""The KPI dashboard's filters (GET): a month, a quarter or a custom range of days, and the
customer, category and severity. Periods are calendar periods of the console's time zone
(``KALM_DEFAULT_TIME_ZONE``); a custom range includes both days and spans at most two years."""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from console.forms.datetimes import FIRST_YEAR, LAST_YEAR, LocalDateField
from core.forms import PlainTextForm
from incidents.models import Category, Customer, Severity

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
LONGEST_RANGE = timedelta(days=2 * 366)


class PeriodKind:
    MONTH, QUARTER, CUSTOM = "month", "quarter", "custom"
    CHOICES = [(MONTH, _("Month")), (QUARTER, _("Quarter")), (CUSTOM, _("Custom range"))]


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive
    kind: str

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).date()


def console_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.KALM_DEFAULT_TIME_ZONE)


class InsightFilterForm(PlainTextForm, forms.Form):
    period = forms.ChoiceField(choices=PeriodKind.CHOICES, required=False, label=_("Period"))
    month = forms.CharField(required=False, max_length=7, label=_("Month"),
                            help_text=_("Year and month, e.g. 2026-11."),
                            widget=forms.TextInput(attrs={"placeholder": "2026-11", "size": 8}))
    quarter = forms.CharField(required=False, max_length=7, label=_("Quarter"),
                              help_text=_("Year and quarter, e.g. 2026-Q4."),
                              widget=forms.TextInput(attrs={"placeholder": "2026-Q4", "size": 8}))
    start = LocalDateField(required=False, label=_("From"))
    end = LocalDateField(required=False, label=_("To"))
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), required=False, to_field_name="slug",
                                      empty_label=_("All customers"), label=_("Customer"))
    category = forms.ChoiceField(choices=[("", _("All categories")), *Category.choices], required=False,
                                 label=_("Category"))
    severity = forms.ChoiceField(choices=[("", _("All severities")), *Severity.choices], required=False,
                                 label=_("Severity"))

    def __init__(self, *args: Any, customers: QuerySet[Customer], today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.today = today

    def clean_month(self) -> tuple[int, int] | None:
        text = self.cleaned_data["month"].strip()
        if not text:
            return None
        match = MONTH.match(text)
        if not match or not 1 <= int(match[2]) <= 12 or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
            raise forms.ValidationError(_("Enter a month as YYYY-MM between %(first)s and %(last)s."),
                                        params={"first": FIRST_YEAR, "last": LAST_YEAR})
        return int(match[1]), int(match[2])

    def clean_quarter(self) -> tuple[int, int] | None:
        text = self.cleaned_data["quarter"].strip().upper()
        if not text:
            return None
        match = QUARTER.match(text)
        if not match or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
            raise forms.ValidationError(_("Enter a quarter as YYYY-Q1 to YYYY-Q4 between %(first)s and %(last)s."),
                                        params={"first": FIRST_YEAR, "last": LAST_YEAR})
        return int(match[1]), int(match[2])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("period") == PeriodKind.CUSTOM:
            start, end = cleaned.get("start"), cleaned.get("end")
            for name in ("start", "end"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, _("A custom range needs both days."))
            if start and end and end < start:
                self.add_error("end", _("The end date comes before the start date."))
            elif start and end and end - start > LONGEST_RANGE:
                self.add_error("end", _("Choose a range of at most two years."))
        return cleaned

    def chosen_period(self) -> Period:
        """The period asked for (valid form): the current month when nothing is chosen."""
        data, zone = self.cleaned_data, console_zone()
        kind = data.get("period") or PeriodKind.MONTH
        if kind == PeriodKind.CUSTOM:
            return Period(start=_day_start(data["start"], zone), end=_day_start(data["end"] + timedelta(days=1), zone),
                          kind=kind)
        if kind == PeriodKind.QUARTER:
            year, quarter = data.get("quarter") or (self.today.year, (self.today.month - 1) // 3 + 1)
            first = 3 * (quarter - 1) + 1
            return Period(start=_month_start(year, first, zone), end=_month_start(year, first + 3, zone), kind=kind)
        year, month = data.get("month") or (self.today.year, self.today.month)
        return Period(start=_month_start(year, month, zone), end=_month_start(year, month + 1, zone), kind=kind)


def _month_start(year: int, month: int, zone: zoneinfo.ZoneInfo) -> datetime:
    """The first moment of the month (``month`` may be 13–15: the next year's)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=zone)


def _day_start(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)
