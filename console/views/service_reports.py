"""Console pages of the monthly service report (issue 16), and the public signed link of its e-mail.

Per customer, like everything in the console: managers see every customer's reports,
account managers only their customers'; anything else answers 404, as if it did not exist.
The list shows the reports of the customers the reader sees; a customer's page holds the
setting (on or off, link or attachment), renders any month that has begun, and lists that
customer's reports for download.
"""

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.access import staff_required
from console.forms.service_reports import RenderMonthForm, ServiceReportSettingForm
from incidents.models import Customer
from incidents.selectors import customer_for_user_or_404, customers_for_user
from insight.models import ServiceReport, ServiceReportStatus
from insight.monthly.facts import parse_month
from insight.monthly.mail import report_for_token
from insight.monthly.runs import setting_for, setting_save
from insight.monthly.services import report_for, report_request

LIST_LIMIT = 200


def _pdf(report: ServiceReport) -> FileResponse:
    response = FileResponse(report.file.open("rb"), content_type="application/pdf", filename=report.filename)
    response["X-Content-SHA256"] = report.content_hash
    response["Cache-Control"] = "private, no-store"
    return response


def _render_form(customer: Customer, data=None) -> RenderMonthForm:
    return RenderMonthForm(data, today=timezone.now().astimezone(customer.tzinfo).date())


@require_GET
@staff_required
def service_report_list(request: HttpRequest) -> HttpResponse:
    customers = customers_for_user(request.user).order_by("name")
    reports = (ServiceReport.objects.filter(customer__in=customers).select_related("customer")
               .order_by("-month", "customer__name")[:LIST_LIMIT])
    return render(request, "service_reports/list.html", {"customers": customers, "reports": reports})


@require_http_methods(["GET", "POST"])
@staff_required
def service_report_customer(request: HttpRequest, slug: str) -> HttpResponse:
    """The customer's setting (POST saves it) and reports."""
    customer = customer_for_user_or_404(request.user, slug=slug)
    form = ServiceReportSettingForm(request.POST if request.method == "POST" else None,
                                    instance=setting_for(customer))
    if request.method == "POST" and form.is_valid():
        setting_save(customer, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Monthly service report setting saved."))
        return redirect("service_reports:customer", slug=customer.slug)
    return _customer_page(request, customer, setting_form=form, status=422 if form.is_bound else 200)


def _customer_page(request: HttpRequest, customer: Customer, *, status: int,
                   setting_form: ServiceReportSettingForm | None = None,
                   render_form: RenderMonthForm | None = None) -> HttpResponse:
    context = {
        "customer": customer,
        "setting_form": setting_form or ServiceReportSettingForm(instance=setting_for(customer)),
        "render_form": render_form or _render_form(customer),
        "reports": ServiceReport.objects.filter(customer=customer).order_by("-month"),
        "time_zone": customer.time_zone,
    }
    return render(request, "service_reports/customer.html", context, status=status)


@require_POST
@staff_required
def service_report_render(request: HttpRequest, slug: str) -> HttpResponse:
    """Render (again) a month's report; it is not mailed (only the tick's is)."""
    customer = customer_for_user_or_404(request.user, slug=slug)
    form = _render_form(customer, request.POST)
    if not form.is_valid():
        return _customer_page(request, customer, render_form=form, status=422)
    with transaction.atomic():
        report_request(customer=customer, month=form.cleaned_data["month"])
    messages.success(request, _("The report is being rendered."))
    return redirect("service_reports:customer", slug=customer.slug)


@require_GET
@staff_required
def service_report_download(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    customer = customer_for_user_or_404(request.user, slug=slug)
    try:
        first_day = parse_month(month)
    except ValueError as error:
        raise Http404("No such month") from error
    report = report_for(customer, first_day)
    if report is None or report.status != ServiceReportStatus.DONE or not report.file:
        raise Http404("No such report")
    return _pdf(report)


@require_GET
def service_report_public(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link in the report's e-mail: no login, 30 days, 404 for anything else."""
    report = report_for_token(token)
    if report is None:
        raise Http404("No such report")
    return _pdf(report)
