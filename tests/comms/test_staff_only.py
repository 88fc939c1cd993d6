"""No staff-only fact reaches any message: every template × audience × language × kind is rendered
from an incident whose staff-only facts carry a sentinel (issue 10, "each fact has one visibility").

The sentinel sits in an internal note (the entry being announced), in a postpone reason, and in
the author's name. It must not be in the context a template gets at all, so no template, however
a member of staff edits it, can print it.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.messages.context import message_context
from comms.messages.rendering import render_message
from comms.models import Audience, MessageKind
from flows import incidents as incident_flow
from flows.incidents import extend_due as incident_extend_due
from incidents.visibility import FACT_VISIBILITY, Visibility, visible_to

pytestmark = pytest.mark.django_db

SENTINEL = "STAFFSENTINEL42"
INCIDENT_KINDS = [kind for kind in MessageKind.values if not kind.startswith("maintenance")]


def values(context) -> list[str]:
    """Every string a template could print, however deep in lists and dicts."""
    found = []
    for value in context.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            found += [str(v) for v in item.values()] if isinstance(item, dict) else [str(item)]
    return found


@pytest.fixture
def noted(incident, account_manager):
    account_manager.first_name = SENTINEL
    account_manager.save()
    note = incident_flow.post_update(incident=incident, author=account_manager, is_internal=True,
                                         message=f"Vendor ticket 48213 {SENTINEL}")
    incident_extend_due(incident=incident, author=account_manager,
                        until=timezone.now() + timedelta(hours=3), reason=f"Waiting for the vendor {SENTINEL}")
    incident.refresh_from_db()
    return note


@pytest.mark.parametrize("language", ["en", "nl", "de"])
def test_the_context_carries_no_staff_only_fact(incident, customer, noted, language):
    context = message_context(incident=incident, customer=customer, update=noted, language=language)
    assert not [value for value in values(context) if SENTINEL in value]


@pytest.mark.parametrize("language", ["en", "nl", "de"])
@pytest.mark.parametrize("audience", Audience.values)
@pytest.mark.parametrize("kind", INCIDENT_KINDS)
def test_no_template_prints_a_staff_only_fact(incident, customer, noted, kind, audience, language):
    context = message_context(incident=incident, customer=customer, update=noted, language=language)
    rendered = render_message(kind=kind, audience=audience, language=language, context=context, customer=customer)
    for part in (rendered.subject, rendered.body_text, rendered.body_html, rendered.short_text):
        assert SENTINEL not in part


def test_every_fact_the_context_names_may_reach_the_customers_contacts():
    """The registry, read the other way: nothing the templates get is declared staff-only."""
    staff_only = {fact for fact, level in FACT_VISIBILITY.items() if level == Visibility.STAFF}
    assert staff_only == {"internal_note", "postpone_reason", "author"}
    assert all(visible_to(fact, Visibility.CONTACTS) for fact in FACT_VISIBILITY if fact not in staff_only)
