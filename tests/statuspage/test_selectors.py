"""statuspage.selectors.page_state: the overall indicator and what the page state holds."""

from dataclasses import fields

import pytest

from flows import incidents as incident_flow
from statuspage.selectors import page_state
from statuspage.states import IncidentState, Indicator, PageState, UpdateState

pytestmark = pytest.mark.django_db


def open_incident(customer, author, severity, component_statuses=None):
    return incident_flow.open_incident(customer=customer, title=f"{severity} problem", category="network",
                                  severity=severity, message="Looking into it.", author=author,
                                  component_statuses=component_statuses)


def test_nothing_wrong_is_none(customer, file_server):
    assert page_state(customer).indicator == Indicator.NONE
    assert Indicator.NONE.label == "All systems operational"


@pytest.mark.parametrize(
    ("severity", "component_status", "expected"),
    [
        ("low", None, Indicator.MINOR),
        ("medium", "degraded_performance", Indicator.MINOR),
        ("medium", "partial_outage", Indicator.MAJOR),  # the component is worse than the incident
        ("high", "degraded_performance", Indicator.MAJOR),  # the incident is worse than the component
        ("high", "under_maintenance", Indicator.MAJOR),
        ("low", "major_outage", Indicator.CRITICAL),
        ("critical", "operational", Indicator.CRITICAL),
    ],
)
def test_indicator_is_the_worst_of_components_and_open_incidents(
    customer, file_server, account_manager, severity, component_status, expected
):
    open_incident(customer, account_manager, severity, {file_server: component_status} if component_status else None)

    assert page_state(customer).indicator == expected


def test_resolved_incidents_do_not_count(customer, incident, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, status="resolved", message="Fixed.")

    state = page_state(customer)

    assert state.indicator == Indicator.NONE
    assert state.active == []
    assert [str(i.title) for i in state.recently_resolved] == ["Server outage"]


def test_monitoring_still_counts(customer, incident, account_manager):
    incident_flow.post_update(incident=incident, author=account_manager, status="monitoring",
                                  message="Fix applied; watching.")

    state = page_state(customer)

    assert state.indicator == Indicator.CRITICAL
    assert [i.status for i in state.active] == ["monitoring"]


def test_state_carries_no_internal_facts():
    """The page state has no place for internal facts, so a template cannot show them."""
    names = {f.name for cls in (PageState, IncidentState, UpdateState) for f in fields(cls)}

    assert not names & {"business_impact", "root_cause", "author", "created_by", "is_internal", "customers",
                        "personal_data_involved", "resolution_summary"}
