"""Escalation notices the tick sends for triggers about time (open too long, ETA passed, update
overdue): ESCALATION messages to the roles the escalation matrix (comms.directory.escalation) names,
with why we escalate, in each reader's language."""

from collections.abc import Callable
from datetime import datetime
from functools import partial

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comms.directory.escalation import escalation_matrix
from comms.models import Communication, MessageKind
from comms.outbox import planning as outbox
from core.formatting import Clock
from incidents.models import Customer, Incident


def escalation_send(*, incident: Incident, trigger: str, reason: Callable[[Customer], str]) -> list[Communication]:
    """ESCALATION messages to the trigger's roles at every affected customer (the tick's escalations).

    ``reason(customer)`` is called inside ``translation.override(<message language>)`` and
    becomes the message's ``{{ message }}``: why we escalate, in each reader's language.
    Runs inside the caller's transaction; the messages are enqueued on commit.
    """
    communications: list[Communication] = []
    for link in incident.customer_links.select_related("customer"):
        customer = link.customer
        roles = escalation_matrix(customer).get(trigger, [])
        if not roles:
            continue
        plans = outbox.plan_messages(incident=incident, customer=customer, kinds=[],
                                     forced=dict.fromkeys(roles, MessageKind.ESCALATION),
                                     message=partial(_translated, reason, customer))
        communications += outbox.communications_write(plans, incident=incident, update=None, automatic=True)
    return communications


def _translated(reason: Callable[[Customer], str], customer: Customer, language: str) -> str:
    with translation.override(language):
        return str(reason(customer))


# Why the tick escalates, for ``{{ message }}`` (called in the reader's language).


def open_too_long_reason(customer: Customer) -> str:
    hours = customer.escalate_after_hours
    return ngettext("This incident has been open for more than %(hours)d hour.",
                    "This incident has been open for more than %(hours)d hours.", hours) % {"hours": hours}


def eta_passed_reason(customer: Customer, *, eta: datetime) -> str:
    return _("The expected resolution time (%(time)s) has passed. We are still working on it.") % {
        "time": _moment(customer, eta)}


def overdue_reason(customer: Customer, *, due_at: datetime) -> str:
    return _("The update promised for %(time)s has not been sent yet.") % {"time": _moment(customer, due_at)}


def _moment(customer: Customer, value: datetime) -> str:
    return Clock(tz=customer.tzinfo, now=timezone.now(), language=translation.get_language() or "en").moment(value)
