"""``manage.py service_report SLUG YYYY-MM [--send]``: render one customer's monthly service report now.

Renders in this process (through the same bounded render process the worker uses), stores
it as the customer's report for that month (replacing an earlier render) and prints the
stored file's name (in the default storage). ``--send`` also mails it to the management
stakeholders, unless it was mailed already (the e-mail goes out once per report, this one too).
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.models import Customer
from insight.models import ServiceReportStatus
from insight.monthly.facts import parse_month
from insight.monthly.runs import render_run
from insight.monthly.services import report_request


class Command(BaseCommand):
    help = "Render the monthly service report of customer SLUG for YYYY-MM and print the stored file's name."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("month", help="The month, as YYYY-MM (e.g. 2026-11).")
        parser.add_argument("--send", action="store_true", help="Mail it to the management stakeholders too.")

    def handle(self, *args: object, slug: str, month: str, send: bool, **options: object) -> None:
        customer = Customer.objects.filter(slug=slug).first()
        if customer is None:
            raise CommandError(f"No customer with the slug {slug!r}.")
        try:
            first_day = parse_month(month)
        except ValueError as error:
            raise CommandError(str(error)) from error
        report = report_request(customer=customer, month=first_day, send=send, queue=False)
        if report.status != ServiceReportStatus.PENDING:
            raise CommandError(f"The report of {slug} for {month} is being rendered by a worker; try again later.")
        report = render_run(report.pk)
        if report is None or report.status != ServiceReportStatus.DONE:
            raise CommandError(f"The render failed: {report.error if report else 'taken by a worker meanwhile'}")
        self.stdout.write(f"{report.file.name} ({report.pages} pages, {report.size} bytes)")
