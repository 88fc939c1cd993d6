"""The tick's monthly job: on the 1st (the customer's local midnight), the report for the month before.

One item per customer and month: ("customer:<pk>", "service_report", local midnight of the
1st). The claim is the ledger row, so concurrent ticks request the report once; the render
and the e-mail then run on the "reports" queue (insight.monthly), and the e-mail is claimed
once more there. An item not handled within ``MAX_LATE`` of the 1st (the tick was down for
days, or Kalm was installed mid-month) is not made up for: the console renders any month
on request. Customers who switched the report off, and those created after the 1st, get none.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat

from cadence.ledger import Due, Job
from cadence.models import CadenceEvent
from incidents.models import Customer
from insight.monthly.facts import month_start, previous_month
from insight.monthly.services import report_request

JOB = "service_report"
MAX_LATE = timedelta(days=3)


def find_service_reports(now: datetime) -> list[Due]:
    """Customers whose month has turned (in their zone) and whose report is not claimed yet; one query."""
    subject = Concat(Value("customer:"), Cast(OuterRef("pk"), CharField()), output_field=CharField())
    # Within MAX_LATE of now only this month's claim can exist: the month before started ≥ 28 days earlier.
    done = Exists(CadenceEvent.objects.filter(subject=subject, key=JOB, due_at__gt=now - MAX_LATE))
    rows = (Customer.objects.exclude(service_report_setting__enabled=False).annotate(done=done)
            .filter(done=False).values_list("pk", "time_zone", "created_at"))
    items = []
    for pk, zone, created_at in rows:
        tz = ZoneInfo(zone)
        anchor = month_start(now.astimezone(tz).date(), tz)
        if anchor <= now < anchor + MAX_LATE and created_at < anchor:
            items.append(Due(JOB, f"customer:{pk}", JOB, anchor, anchor, pk, pk))
    return items


def handle_service_report(due: Due) -> bool:
    customer = Customer.objects.filter(pk=due.pk).first()
    if customer is None:
        return False
    report_request(customer=customer, month=previous_month(due.anchor.astimezone(customer.tzinfo).date()), send=True)
    return True


SERVICE_REPORT_JOBS: tuple[Job, ...] = (Job(JOB, find_service_reports, handle_service_report),)
