"""Writes: the review, render requests, and the render itself (the task's body).

A render is a row before it is a file: ``render_request`` writes a ``pending`` version in
the caller's transaction and enqueues the task on commit; the task claims the row with a
conditional UPDATE (pending → rendering), so a duplicate or redelivered task does nothing;
every failure ends as ``failed`` with a readable error. A row that no worker finishes
(broker down, worker killed) is marked failed when it is next read (``expire_stale``), so
the requester always gets an answer instead of a spinner.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from comms.tasks import enqueue
from followup.services import ReviewLine, actions_sync_from_review
from incidents.models import Customer, CustomerIncident, Incident
from reports import rendering
from reports.models import IN_PROGRESS, PostIncidentReview, RemediationAction, RenderStatus, ReportRender
from reports.summary import draft_summary
from reports.tasks import render_report

logger = logging.getLogger(__name__)

PENDING_STALE = timedelta(minutes=10)  # nobody consumed the "reports" queue
RENDERING_GRACE = timedelta(seconds=30)  # past the task's hard time limit


@dataclass(frozen=True)
class ActionLine:
    description: str
    owner: str
    due_date: date


# --- the review -------------------------------------------------------------------------------


def review_for(incident: Incident) -> PostIncidentReview:
    """The saved review, or a new one prefilled from the facts (root cause, a drafted summary).

    A review whose management summary nobody wrote shows the draft, marked ``drafted``: a
    draft is never stored, so the report drafts it again from the facts of the moment, in
    each customer's language (the data-loss answer given later, the final times).
    """
    review = rendering.review_of(incident) or PostIncidentReview(incident=incident, root_cause=incident.root_cause)
    review.drafted = ""
    if not review.management_summary.strip():
        link = incident.customer_links.select_related("customer").order_by("added_at", "id").first()
        if link is not None:
            review.management_summary = review.drafted = draft_summary(incident, link.customer, review)
    return review


@transaction.atomic
def review_save(*, review: PostIncidentReview, actions: list[ActionLine], author: AbstractBaseUser | None,
                drafted: str = "") -> PostIncidentReview:
    """Save the review (validated by the form) and replace its remediation actions.

    ``drafted`` is the draft summary the form showed: kept unchanged, it is not stored, so the
    report keeps drafting it from the facts (see ``review_for``).
    """
    if drafted and review.management_summary.strip() == drafted.strip():
        review.management_summary = ""
    review.updated_by = author if author is not None and author.is_authenticated else None
    review.save()
    review.actions.all().delete()
    RemediationAction.objects.bulk_create(
        RemediationAction(review=review, description=line.description, owner=line.owner, due_date=line.due_date,
                          position=index)
        for index, line in enumerate(actions)
    )
    # The lines become tracked actions (status, reminders, evidence) for each customer of the incident.
    actions_sync_from_review(incident=review.incident, author=author, lines=[
        ReviewLine(description=line.description, owner=line.owner, due_date=line.due_date) for line in actions])
    return review


# --- renders ----------------------------------------------------------------------------------


def expire_stale(render: ReportRender, *, now=None) -> ReportRender:
    """Mark a render that no worker will finish as failed (conditional, so concurrent reads agree)."""
    now = now or timezone.now()
    hard_limit = timedelta(seconds=rendering.timeout_seconds()) + RENDERING_GRACE
    if render.status == RenderStatus.PENDING and render.created_at < now - PENDING_STALE:
        error = _("No report worker picked up the render within %(minutes)d minutes. Is a worker consuming the "
                  "“reports” queue running? Try again.") % {"minutes": PENDING_STALE.seconds // 60}
    elif render.status == RenderStatus.RENDERING and (render.started_at or render.created_at) < now - hard_limit:
        error = _("The render worker stopped before it finished (killed or restarted). Try again.")
    else:
        return render
    ReportRender.objects.filter(pk=render.pk, status=render.status).update(
        status=RenderStatus.FAILED, error=error, finished_at=now)
    render.refresh_from_db()
    return render


def latest_render(incident: Incident, customer: Customer) -> ReportRender | None:
    render = ReportRender.objects.filter(incident=incident, customer=customer).order_by("-version").first()
    return expire_stale(render) if render is not None and render.in_progress else render


def current_render(incident: Incident | int, customer: Customer | int) -> ReportRender | None:
    """The newest finished PDF: what downloads and links serve."""
    return (ReportRender.objects.filter(incident=incident, customer=customer, status=RenderStatus.DONE)
            .order_by("-version").first())


def render_request(*, incident: Incident, customer: Customer, user: AbstractBaseUser | None = None) -> ReportRender:
    """Queue a new version, or return the one already in progress (a double click queues one render)."""
    with transaction.atomic():
        # The link row serialises version numbers per incident × customer.
        CustomerIncident.objects.select_for_update().get(incident=incident, customer=customer)
        running = latest_render(incident, customer)
        if running is not None and running.status in IN_PROGRESS:
            return running
        last = ReportRender.objects.filter(incident=incident, customer=customer).aggregate(v=Max("version"))["v"]
        render = ReportRender.objects.create(
            incident=incident, customer=customer, version=(last or 0) + 1,
            requested_by=user if user is not None and user.is_authenticated else None,
        )
        transaction.on_commit(lambda: _enqueue(render.pk))
    return render


def _enqueue(render_id: int) -> None:
    enqueue(render_report, render_id)
