"""What the report shows and hides: internal notes, escalations, filings, shared incidents.

Assertions on the report's own wording render for an English customer, so they keep
passing once the nl and de catalogs translate it.
"""

from datetime import timedelta

import pytest
import time_machine

from comms.models import Communication, Delivery
from console.forms.reports import parse_actions
from flows import incidents as incident_flow
from incidents.models import RegulatoryClock
from reports import rendering
from reports.facts import scope_for, timeline_updates
from tests.factories import ComponentFactory
from tests.reports.fixtures import at


@pytest.fixture
def english(customer):
    customer.language = "en"
    customer.save(update_fields=["language"])
    return customer


def test_internal_notes_never_appear(story, english, account_manager):
    with time_machine.travel(at(14, 0), tick=False):
        incident_flow.reopen(incident=story, author=account_manager, message="Het probleem is terug.")
        incident_flow.post_update(incident=story, author=account_manager, is_internal=True,
                                      message="Secret: the vendor blamed us.")
    html = rendering.build_html(story, english)
    assert "Secret: the vendor blamed us." not in html
    assert "Het probleem is terug." in html and "Reopened" in html


def test_escalations_and_regulatory_filings_are_on_the_timeline(story, english):
    Communication.objects.create(incident=story, customer=english, kind="escalation", audience="executive",
                                 language="nl", subject="[ESCALATION] Storing bestandsserver", body_text="…",
                                 body_html="…", short_text="…", send_at=at(10, 30))
    RegulatoryClock.objects.create(incident=story, regime="gdpr", started_at=at(9, 30),
                                   deadline_at=at(9, 30) + timedelta(hours=72), filed_at=at(12, 0),
                                   reference="AP-2025-42")
    html = rendering.build_html(story, english)
    assert "Escalation notice sent (Executive)" in html
    assert "AP-2025-42" in html and "filed on time" in html
    assert html.index("31 May 2025 10:30") < html.index("31 May 2025 11:15")  # in time order


def test_a_shared_incident_shows_each_customer_only_its_own_part(story, customer, other_customer, account_manager):
    northwind_printer = ComponentFactory(customer=other_customer, name="Northwind printer")
    story.status = "investigating"
    story.save(update_fields=["status"])
    with time_machine.travel(at(14, 0), tick=False):
        incident_flow.add_customer(incident=story, customer=other_customer, author=account_manager,
                                       component_statuses={northwind_printer: "major_outage"})
    midsize = rendering.build_html(story, customer)
    northwind = rendering.build_html(story, other_customer)
    assert "Northwind printer" not in midsize and "File server" in midsize
    assert "Northwind printer" in northwind and "File server" not in northwind
    assert "Added to this incident (shared outage)" in northwind
    assert "We onderzoeken een storing" not in northwind  # the story before Northwind joined
    scope = scope_for(story, other_customer)
    assert not scope.first and all(update.created_at >= scope.since for update in timeline_updates(scope))


def test_parse_actions():
    actions, errors = parse_actions("\n  Replace disks | Jan | 2025-07-01  \n\nAlert | Els | 2025-02-30\n")
    assert [(a.description, a.owner, str(a.due_date)) for a in actions] == [("Replace disks", "Jan", "2025-07-01")]
    assert errors == ["Line 4: “2025-02-30” is not a date; write dd/mm/yyyy."]


@pytest.mark.parametrize(("language", "started"), [("en", "31 May 2025 09:30"), ("nl", "31-05-2025 09:30"),
                                                   ("de", "31.05.2025 09:30")])
def test_each_language_and_its_date_format(story, customer, language, started):
    customer.language = language
    customer.save(update_fields=["language"])
    html = rendering.build_html(story, customer)
    assert f'<html lang="{language}">' in html and f"{started} – " in html


def test_the_communication_record_counts_deferred_and_superseded_messages_as_such(story, english):
    routine = Communication.objects.create(incident=story, customer=english, kind="update", audience="technical",
                                           language="nl", subject="[UPDATE] Storing bestandsserver", body_text="…",
                                           body_html="…", short_text="…", send_at=at(10, 5), state="sending")
    carrier = Delivery.objects.filter(communication__incident=story, state="sent").first()
    Delivery.objects.create(communication=routine, channel="email", address="jan@midsize.example",
                            state="superseded", superseded_by=carrier, next_attempt_at=at(10, 10))
    Delivery.objects.create(communication=routine, channel="sms", address="+31612345678", state="deferred",
                            next_attempt_at=at(10, 10))
    html = rendering.build_html(story, english)
    assert "Deferred until the recipient&#x27;s interval ends 1 · Superseded by a later message 1" in html
    assert 'class="failed"' not in html and "Failed" not in html  # neither counts as a failure
