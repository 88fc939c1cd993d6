"""Insight: the incident-management KPIs of a period and their 12-month trend, as SVG charts
with tables and CSV downloads.

Managers see every customer, account managers only theirs (``customers_for_user``); a
customer the reader may not see answers 404, as everywhere in the console. Bad filters
answer 400 with the page and the message next to the field (the CSV: a line naming it).
"""

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from console.access import staff_required
from console.forms.insight import InsightFilterForm, Period, console_zone
from console.views.log import csv_safe
from core.formatting import duration_short
from incidents.selectors import customers_for_user
from insight import charts, kpis


def _form(request: HttpRequest) -> InsightFilterForm:
    visible = customers_for_user(request.user).order_by("name")
    form = InsightFilterForm(request.GET, customers=visible, today=timezone.localdate(timezone=console_zone()))
    if not form.is_valid() and "customer" in form.errors:
        raise Http404("No such customer")  # another account manager's customer: as if it did not exist
    return form


def _scope(request: HttpRequest, form: InsightFilterForm) -> kpis.Scope:
    customer = form.cleaned_data.get("customer")
    ids = (customer.pk,) if customer else tuple(customers_for_user(request.user).values_list("pk", flat=True))
    return kpis.Scope(customer_ids=ids, tz=console_zone(), now=timezone.now(),
                      category=form.cleaned_data.get("category") or "",
                      severity=form.cleaned_data.get("severity") or "")


@require_GET
@staff_required
def insight_dashboard(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():
        return render(request, "insight/dashboard.html", {"form": form, "time_zone": console_zone().key}, status=400)
    period = form.chosen_period()
    scope = _scope(request, form)
    figures, months = kpis.dashboard(scope, period.start, period.end)
    uniform_target = figures.ack_target_min if figures.ack_target_min == figures.ack_target_max else None
    context = {
        "form": form, "period": period, "figures": figures, "time_zone": console_zone().key,
        "charts": charts.all_charts(months, ack_target_minutes=uniform_target),
        "customer": form.cleaned_data.get("customer"), "query": request.GET.urlencode(),
        "tiles": _tiles(figures),
    }
    return render(request, "insight/dashboard.html", context)


@require_GET
@staff_required
def insight_chart_csv(request: HttpRequest, key: str) -> HttpResponse:
    spec = charts.SPEC_BY_KEY.get(key)
    if spec is None:
        raise Http404("No such chart")
    form = _form(request)
    if not form.is_valid():
        fields = ", ".join(sorted(form.errors))
        return HttpResponse(f"Invalid filter: {fields}\n", status=400, content_type="text/plain; charset=utf-8")
    period: Period = form.chosen_period()
    scope = _scope(request, form)
    chart = charts.build(spec, kpis.trend(scope, period.end))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in charts.csv_rows(chart):
        writer.writerow([csv_safe(cell) for cell in line])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kalm-{key}-{period.last_day:%Y%m}.csv"'
    return response


@dataclass(frozen=True)
class Tile:
    code: str
    label: str
    value: str
    detail: str = ""


def _short(delta: timedelta | None) -> str:
    return "—" if delta is None else duration_short(delta)


def _share(percent: float | None, part: int, whole: int) -> tuple[str, str]:
    value = "—" if percent is None else f"{charts.number(percent, 1)} %"
    return value, _("%(part)s of %(whole)s") % {"part": part, "whole": whole}


def _tiles(figures: kpis.Figures) -> list[Tile]:
    """The period's KPIs as the page shows them, in the reader's language."""
    f = figures
    target = ("—" if f.ack_target_min is None else f"{f.ack_target_min} min" if f.ack_target_min == f.ack_target_max
              else f"{f.ack_target_min}–{f.ack_target_max} min")
    ack_share = _share(f.ack_within_percent, f.ack_within, f.ack_checked)
    credits = ", ".join(f"{number_format(amount, 2, use_l10n=True, force_grouping=True)} {currency}"
                        for currency, amount in sorted(f.credits.items())) or "—"
    return [
        Tile("incidents", _("Incidents"), str(f.incidents)),
        Tile("acknowledge", _("Time to acknowledge (median)"), _short(f.duration("ack_median")),
             _("90th percentile: %(p90)s · within the target (%(target)s): %(share)s, %(count)s")
             % {"p90": _short(f.duration("ack_p90")), "target": target, "share": ack_share[0], "count": ack_share[1]}),
        Tile("cadence", _("Updates on time"), *_share(f.on_time_percent, f.on_time, f.gaps)),
        Tile("silence", _("Longest silence"), _short(f.duration("longest"))),
        Tile("resolve", _("Time to resolve (median)"), _short(f.duration("ttr_median")),
             _("90th percentile: %(p90)s · resolved: %(count)s") % {"p90": _short(f.duration("ttr_p90")),
                                                                   "count": f.resolved}),
        Tile("reopen", _("Reopen rate"), *_share(f.reopen_percent, f.reopened, f.incidents)),
        Tile("maintenance", _("Maintenance announced 7+ days ahead"),
             *_share(f.announced_percent, f.announced, f.maintenance)),
        Tile("regulatory", _("Regulatory deadlines met"), *_share(f.deadlines_met_percent, f.deadlines_met,
                                                                   f.deadlines)),
        Tile("summaries", _("Post-incident summaries within 24 h"),
             *_share(f.summaries_within_percent, f.summaries_within, f.summaries_due)),
        Tile("credits", _("SLA credits granted"), credits, _("Credits: %(count)s") % {"count": f.credits_count}),
        Tile("deliveries", _("Failed deliveries"), str(f.deliveries_failed)),
    ]
