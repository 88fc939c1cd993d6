"""The tick's incident jobs: release a held acknowledgment at the contract's target, remind the
account manager before an update is due, and post the holding update when it did not come."""

from datetime import datetime

from django.conf import settings
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext as _

from cadence.ledger import Due, Job, incident_items, shifted, still_open
from comms.messages import staff_notices
from flows import incidents as incident_flow
from incidents.defaults import message_and_translations
from incidents.models import Incident, Status


def find_ack_release(now: datetime) -> list[Due]:
    return incident_items(now, job="ack_release", anchor="detected_at", incident__acknowledged_at__isnull=True,
                          due=shifted("incident__detected_at", F("customer__ack_target_minutes")))


def handle_ack_release(due: Due) -> bool:
    """The target is reached without approval: release it (comms sends the held messages)."""
    incident = Incident.objects.get(pk=due.pk)
    return incident_flow.release_acknowledgment(incident=incident, author=None) is not None


def find_reminders(now: datetime) -> list[Due]:
    # Only before the due time: once it has passed, the holding update or the escalation speaks.
    return incident_items(now, job="reminder", anchor="next_update_due_at", incident__next_update_due_at__gt=now,
                          customer__reminder_minutes_before__gt=0,
                          due=shifted("incident__next_update_due_at", F("customer__reminder_minutes_before"),
                                      before=True))


def handle_reminder(due: Due) -> bool:
    incident = still_open(due, next_update_due_at=due.anchor)
    if incident is None:
        return False
    holding = incident.customers.filter(holding_updates=True).exists()
    staff_notices.update_reminder(incident=incident, due_at=due.anchor, holding=holding)
    return True


def find_holding(now: datetime) -> list[Due]:
    return incident_items(now, job="holding", anchor="next_update_due_at", customer__holding_updates=True,
                          due=F("incident__next_update_due_at"))


def handle_holding(due: Due) -> bool:
    incident = Incident.objects.get(pk=due.pk)
    message, translations = message_and_translations(holding_messages(status=incident.status), incident.language)
    return incident_flow.post_holding(incident=incident, message=message, translations=translations) is not None


def holding_messages(*, status: str) -> dict[str, str]:
    """ "We are still working on it." (while monitoring: "it works again, we keep watching") in
    every language Kalm writes, keyed by language: the status page shows it in each language.

    The next-update time is not in these words: every message template states the promise
    itself (``next_update_at``: the due time the holding update sets), so it is said once,
    in the reader's language and the customer's zone.
    """
    texts = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            if status == Status.MONITORING:
                texts[language] = _("The service is working again and we are keeping an eye on it. "
                                    "There is no new information yet.")
            else:
                texts[language] = _("We are still working on it. There is no new information yet.")
    return texts


INCIDENT_JOBS: tuple[Job, ...] = (
    Job("ack_release", find_ack_release, handle_ack_release),
    Job("reminder", find_reminders, handle_reminder),
    Job("holding", find_holding, handle_holding),
)


