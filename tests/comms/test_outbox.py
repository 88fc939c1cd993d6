"""From a timeline entry to Communications and Deliveries: routing, grouping, the transaction."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from comms.models import Communication, Delivery, DeliveryState, RoutingRule, Stakeholder
from comms.outbox import expansion
from comms.outbox.planning import SendOptions
from flows import incidents as incident_flow
from tests.comms.texts import rendered


def stakeholder(customer, name, role, audience, language="nl", **channels):
    channels = channels or {"email": f"{name.lower().replace(' ', '.')}@midsize.example"}
    return Stakeholder.objects.create(customer=customer, name=name, role=role, audience=audience,
                                      language=language, **channels)


@pytest.fixture
def people(customer):
    return {
        "users": stakeholder(customer, "All staff", "affected_users", "end_user"),
        "it": stakeholder(customer, "IT", "customer_it", "technical", phone="+31612345678", email="it@midsize.example"),
        "ceo": stakeholder(customer, "CEO", "executives", "executive"),
        "cfo": stakeholder(customer, "CFO", "executives", "executive", language="en"),
        "ops": stakeholder(customer, "Ops", "management", "operational"),
    }


def open_incident(customer, author, severity="high", **extra):
    return incident_flow.open_incident(customer=customer, title="Mail down", category="email", severity=severity,
                                  message="We are looking into it.", author=author, **extra)


def groups(incident):
    return {(c.kind, c.audience, c.language): sorted(c.recipient_ids)
            for c in Communication.objects.filter(incident=incident)}


def test_opening_writes_one_acknowledgment_per_audience_and_language(customer, people, account_manager):
    incident = open_incident(customer, account_manager, severity="critical")
    assert groups(incident) == {
        ("acknowledgment", "end_user", "nl"): [people["users"].pk],
        ("acknowledgment", "technical", "nl"): [people["it"].pk],
        ("acknowledgment", "executive", "nl"): [people["ceo"].pk],
        ("acknowledgment", "executive", "en"): [people["cfo"].pk],
        ("acknowledgment", "operational", "nl"): [people["ops"].pk],
    }
    number = incident.first_link.number
    assert all(number in c.subject for c in rendered(Communication.objects.filter(incident=incident)))


def test_executives_hear_nothing_of_a_low_incident(customer, people, account_manager):
    incident = open_incident(customer, account_manager, severity="low")
    audiences = {audience for _, audience, _ in groups(incident)}
    assert audiences == {"end_user", "technical"}  # management from medium, executives only critical


def test_severity_raise_reaches_executives_as_an_escalation(customer, people, account_manager):
    incident = open_incident(customer, account_manager, severity="medium")
    raised = incident_flow.post_update(incident=incident, author=account_manager, severity="high",
                                           message="More sites are affected now.")
    kinds = {(c.kind, c.audience) for c in Communication.objects.filter(update=raised)}
    # Roles routed for escalations get the escalation notice, everyone else the ordinary update.
    assert kinds == {("escalation", "executive"), ("escalation", "technical"), ("escalation", "operational"),
                     ("update", "end_user")}


def test_internal_notes_and_silent_changes_send_nothing(incident, customer, people, account_manager, erp):
    before = Communication.objects.count()
    incident_flow.post_update(incident=incident, author=account_manager, message="vendor ticket 1",
                                  is_internal=True)
    incident_flow.post_update(incident=incident, author=account_manager, component_statuses={erp: "operational"})
    assert Communication.objects.count() == before


def test_component_interest_limits_who_hears(customer, people, file_server, erp, account_manager):
    people["ops"].components.add(erp)
    incident = open_incident(customer, account_manager, severity="critical",
                             component_statuses={file_server: "major_outage"})
    assert not any(people["ops"].pk in ids for ids in groups(incident).values())


def test_customer_override_switches_a_cell_off(customer, people, account_manager):
    RoutingRule.objects.create(customer=customer, role="affected_users", kind="resolution", min_severity="")
    incident = open_incident(customer, account_manager)
    resolved = incident_flow.post_update(incident=incident, author=account_manager, status="resolved",
                                             message="Fixed.")
    told = {c.audience for c in Communication.objects.filter(update=resolved)}
    assert "end_user" not in told and "technical" in told


def test_a_switched_off_acknowledgment_comes_back_where_later_messages_go(customer, people, account_manager):
    """Nobody's first message is a later phase: a role that gets updates is acknowledged too
    (comms.directory.lifecycle)."""
    RoutingRule.objects.create(customer=customer, role="affected_users", kind="acknowledgment", min_severity="")
    incident = open_incident(customer, account_manager)
    assert any(kind == "acknowledgment" and audience == "end_user" for kind, audience, _ in groups(incident))


def test_communications_roll_back_with_the_facts(customer, people, account_manager):
    with pytest.raises(RuntimeError), transaction.atomic():
        open_incident(customer, account_manager)
        raise RuntimeError("the request failed after the service")
    assert Communication.objects.count() == 0


def test_shared_incident_tells_each_customer_its_own_number(incident, other_customer, account_manager):
    stakeholder(other_customer, "Northwind IT", "customer_it", "technical", language="en",
                email="it@northwind.example")
    incident_flow.add_customer(incident=incident, customer=other_customer, author=account_manager)
    [communication] = rendered(Communication.objects.filter(customer=other_customer))
    number = incident.customer_links.get(customer=other_customer).number
    assert communication.kind == "acknowledgment" and number in communication.subject
    assert "MSM-" not in communication.body_text and "MidSize" not in communication.body_text


def test_expansion_makes_one_delivery_per_channel_and_is_idempotent(customer, people, account_manager):
    incident = open_incident(customer, account_manager)
    technical = Communication.objects.get(incident=incident, audience="technical")
    first = expansion.communication_expand(technical.pk)
    again = expansion.communication_expand(technical.pk)
    assert again == [] and len(first) == 2
    assert set(Delivery.objects.values_list("channel", "address")) == {("email", "it@midsize.example"),
                                                                        ("sms", "+31612345678")}


def test_a_deactivated_stakeholder_is_skipped_at_expansion(customer, people, account_manager):
    incident = open_incident(customer, account_manager)
    people["users"].is_active = False
    people["users"].save()
    end_user = Communication.objects.get(incident=incident, audience="end_user")
    assert expansion.communication_expand(end_user.pk) == []
    end_user.refresh_from_db()
    assert end_user.state == "done"


def test_a_routine_update_inside_the_interval_is_deferred_and_a_resolution_takes_it_over(
    customer, people, account_manager, settings
):
    settings.KALM_COALESCE_MINUTES = 10
    incident = open_incident(customer, account_manager)
    for communication in Communication.objects.filter(incident=incident):
        expansion.communication_expand(communication.pk)
    acknowledged = dict(Delivery.objects.filter(stakeholder=people["it"]).values_list("channel", "next_attempt_at"))
    incident_flow.post_update(incident=incident, author=account_manager, message="Still on it.")
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Fixed.")
    update = Communication.objects.get(incident=incident, kind="update", audience="technical")
    resolution = Communication.objects.get(incident=incident, kind="resolution", audience="technical")
    expansion.communication_expand(update.pk)
    assert {(d.channel, d.state, d.next_attempt_at) for d in update.deliveries.all()} == {
        (channel, DeliveryState.DEFERRED, at + timedelta(minutes=10)) for channel, at in acknowledged.items()}
    expansion.communication_expand(resolution.pk)
    carriers = dict(resolution.deliveries.values_list("channel", "id"))
    assert set(resolution.deliveries.values_list("state", flat=True)) == {DeliveryState.QUEUED}
    assert {(d.state, d.superseded_by_id) for d in update.deliveries.all()} == {
        (DeliveryState.SUPERSEDED, carriers["email"]), (DeliveryState.SUPERSEDED, carriers["sms"])}
    update_entry = update.update_id
    assert [d.earlier_update_ids for d in resolution.deliveries.all()] == [[update_entry], [update_entry]]


def test_summaries_and_maintenance_notices_are_never_held_back(customer, people, account_manager, settings):
    # Only routine updates may wait: a post-incident summary or a maintenance notice says
    # something no later message repeats.
    settings.KALM_COALESCE_MINUTES = 10
    incident = open_incident(customer, account_manager)
    for communication in Communication.objects.filter(incident=incident):
        expansion.communication_expand(communication.pk)
    for kind in ("post_incident", "management_summary", "maintenance_announcement", "maintenance_reminder"):
        later = Communication.objects.create(
            customer=customer, incident=incident, kind=kind, audience="technical", language="nl", subject=kind,
            body_text=kind, body_html=kind, short_text=kind, send_at=timezone.now(),
            recipient_ids=list(Stakeholder.objects.filter(customer=customer).values_list("pk", flat=True)),
        )
        expansion.communication_expand(later.pk)
        assert set(later.deliveries.values_list("state", flat=True)) == {DeliveryState.QUEUED}, kind


def test_composer_texts_replace_the_template(customer, people, account_manager):
    texts = {(customer.pk, "acknowledgment", "technical", "nl"): ("Storing mail", "Eigen tekst voor IT.")}
    incident = open_incident(customer, account_manager, send=SendOptions(texts=texts))
    technical = Communication.objects.get(incident=incident, audience="technical")
    other = Communication.objects.get(incident=incident, audience="end_user")
    assert technical.subject == "Storing mail" and "Eigen tekst voor IT." in technical.body_text
    assert "Eigen tekst" not in other.body_text


def test_recipients_are_grouped_in_the_database_by_kind_audience_and_language(
    customer, file_server, erp, account_manager
):
    # Runs the SQLite grouping by default and the PostgreSQL one (ARRAY_AGG) with DATABASE_URL set.
    it_nl = stakeholder(customer, "IT nl", "customer_it", "technical")
    users_nl = stakeholder(customer, "Users nl", "affected_users", "technical")  # another role, same group
    it_en = stakeholder(customer, "IT en", "customer_it", "technical", language="en")
    wants_file_server = stakeholder(customer, "Plant", "affected_users", "end_user")
    wants_file_server.components.add(file_server, erp)
    wants_erp_only = stakeholder(customer, "Finance", "affected_users", "end_user")
    wants_erp_only.components.add(erp)
    stakeholder(customer, "Left", "customer_it", "technical", is_active=False)
    board = stakeholder(customer, "Board", "executives", "executive")  # executives: from high
    stakeholder(customer, "Press", "media", "executive")  # media: never automatic

    incident = open_incident(customer, account_manager, severity="high",
                             component_statuses={file_server: "major_outage"})

    assert groups(incident) == {
        ("acknowledgment", "technical", "nl"): sorted([it_nl.pk, users_nl.pk]),
        ("acknowledgment", "technical", "en"): [it_en.pk],
        ("acknowledgment", "end_user", "nl"): [wants_file_server.pk],
        ("acknowledgment", "executive", "nl"): [board.pk],
    }
    for communication in Communication.objects.filter(incident=incident):
        assert communication.recipient_ids == sorted(communication.recipient_ids)
