"""Who may see each fact of an incident: declared once, shown next to the field, enforced by the readers.

Three levels, from widest to narrowest:

- ``PUBLIC``: the public status page, its feeds and JSON, and every message;
- ``CONTACTS``: the customer's own contacts (messages and the post-incident report), never
  the public page;
- ``STAFF``: the console only; no message, page, feed or report can reach it.

The forms show each field's level (``visibility_of``); the message context takes only
``CONTACTS`` and wider (``facts_for``), the status page only ``PUBLIC``. A staff-only fact is
simply never copied into what those readers are given.
"""

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.texts import localized
from incidents.models import Incident


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    CONTACTS = "contacts", _("Customer's contacts")
    STAFF = "staff", _("Staff only")

    @property
    def explanation(self) -> str:
        return str(_EXPLANATIONS[self])


_EXPLANATIONS = {
    Visibility.PUBLIC: _("Shown on the public status page and in every message."),
    Visibility.CONTACTS: _("Sent to the customer's contacts (messages and the report); not on the public status page."),
    Visibility.STAFF: _("Only in the console. Never sent to anyone outside the MSP."),
}

_WIDTH = {Visibility.PUBLIC: 0, Visibility.CONTACTS: 1, Visibility.STAFF: 2}

FACT_VISIBILITY: Mapping[str, Visibility] = {
    # What anyone may read on the status page.
    "title": Visibility.PUBLIC,
    "message": Visibility.PUBLIC,  # a public update's text (an internal note is STAFF: "internal_note")
    "workaround": Visibility.PUBLIC,
    "status": Visibility.PUBLIC,
    "severity": Visibility.PUBLIC,
    "components": Visibility.PUBLIC,
    "eta": Visibility.PUBLIC,
    "started_at": Visibility.PUBLIC,
    # A maintenance window's texts: its announcement, reminders and the status page.
    "maintenance_title": Visibility.PUBLIC,
    "expected_impact": Visibility.PUBLIC,
    "customer_action": Visibility.PUBLIC,
    # What the customer's own people are told in messages and the report.
    "business_impact": Visibility.CONTACTS,
    "root_cause": Visibility.CONTACTS,
    "resolution_summary": Visibility.CONTACTS,
    "category": Visibility.CONTACTS,
    "detected_by": Visibility.CONTACTS,
    "personal_data_involved": Visibility.CONTACTS,
    "external_impact": Visibility.CONTACTS,  # the customer agrees with the MSP who tells their own customers
    # The MSP's own working knowledge.
    "internal_note": Visibility.STAFF,
    "postpone_reason": Visibility.STAFF,
    "author": Visibility.STAFF,
}

# The incident's free texts that reach readers, written per language (core.texts).
INCIDENT_TEXTS: tuple[str, ...] = ("title", "workaround", "business_impact", "root_cause", "resolution_summary")


def visibility_of(fact: str) -> Visibility:
    return FACT_VISIBILITY[fact]


def visible_to(fact: str, reader: Visibility) -> bool:
    """Whether ``reader`` (PUBLIC: anyone; CONTACTS: the customer's people) may see ``fact``."""
    return _WIDTH[FACT_VISIBILITY[fact]] <= _WIDTH[reader]


def texts_for(incident: Incident, *, reader: Visibility, language: str) -> dict[str, str]:
    """The incident's free texts ``reader`` may see, each in ``language`` (or as written)."""
    return {
        field: localized(incident, field, language, written_in=incident.language)
        for field in INCIDENT_TEXTS if visible_to(field, reader)
    }
