"""A batch of pages read together (statuspage.page_facts) is read exactly as each page alone, and
published into the same bytes: shared incidents, drills, maintenance, limits included."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flows import incidents as incident_flow
from incidents.models import Incident
from incidents.selectors import components_for_customer
from statuspage import page_facts
from statuspage import snapshots as publisher
from statuspage.maintenance import maintenance_states
from statuspage.selectors import incident_states, last_public_change
from statuspage.snapshot_store import PAGE, document_path
from statuspage.uptime import load_changes, window_start
from tests.factories import ComponentFactory, CustomerFactory
from tests.statuspage.helpers import NOW, maintenance, open_incident, resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def pages(frozen, customer, other_customer, incident, erp, account_manager, other_account_manager):
    """Three customers: a shared incident with components of both first ones, a drill, windows, one
    customer with nothing at all."""
    mail = ComponentFactory(customer=other_customer, name="Mail gateway", group="Cloud")
    incident_flow.add_customer(incident=incident, customer=other_customer, author=account_manager,
                               component_statuses={mail: "partial_outage"})
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        old = open_incident(customer, account_manager, title="Printer queue stuck")
        resolve(old, account_manager)
    drill = open_incident(other_customer, other_account_manager, title="Drill: mail down")
    Incident.objects.filter(pk=drill.pk).update(is_drill=True)
    maintenance(customer, start=timedelta(days=2), components=[erp])
    maintenance(other_customer, title="Mail migration", start=timedelta(hours=-1), status="in_progress",
                components=[mail])
    maintenance(customer, title="Cancelled swap", start=timedelta(days=1), status="cancelled")
    quiet = CustomerFactory(name="Quiet Ltd", slug="quiet", language="de", time_zone="America/New_York")
    return [customer, other_customer, quiet]


def test_a_batch_reads_what_each_page_reads_alone(pages):
    facts = page_facts.read(pages, now=NOW)
    for customer in pages:
        alone = facts[customer.pk]
        assert alone.as_of == last_public_change(customer), customer.slug
        assert alone.recent == incident_states(customer, limit=page_facts.RECENT_LIMIT, with_changes=True)
        assert alone.windows == maintenance_states(customer, now=NOW, limit=page_facts.WINDOWS_READ_LIMIT)
        assert alone.components == list(components_for_customer(customer))
        assert alone.changes == load_changes(customer, since=window_start(NOW, customer.tzinfo))
    shared = facts[pages[1].pk].recent
    assert [str(i.title) for i in shared] == ["Server outage"], "the drill is never read"
    assert [str(c.name) for c in shared[0].affected] == ["Mail gateway"], "only the customer's own components"
    assert [str(w.title) for w in facts[pages[1].pk].windows] == ["Mail migration"]
    assert facts[pages[2].pk].recent == [] and facts[pages[2].pk].windows == []


def test_a_batch_cuts_each_customer_at_the_limit_newest_first(pages, monkeypatch, account_manager):
    monkeypatch.setattr(page_facts, "RECENT_LIMIT", 1)
    monkeypatch.setattr(page_facts, "WINDOWS_READ_LIMIT", 1)
    facts = page_facts.read(pages, now=NOW)
    midsize = facts[pages[0].pk]
    assert [str(i.title) for i in midsize.recent] == ["Server outage"], "the newest of its two"
    assert [str(w.title) for w in midsize.windows] == ["Firmware update"], "the window starting last"
    assert midsize.every_window is None, "a full read may not hold them all: the page reads its own"
    assert [str(i.title) for i in facts[pages[1].pk].recent] == ["Server outage"]


def test_a_batch_costs_the_same_queries_for_three_pages_as_for_thirty(pages):
    with CaptureQueriesContext(connection) as three:
        page_facts.read(pages, now=NOW)
    more = pages + [CustomerFactory(slug=f"more-{n}") for n in range(27)]
    with CaptureQueriesContext(connection) as thirty:
        page_facts.read(more, now=NOW)
    assert len(thirty) == len(three) <= 12


def test_pages_published_in_a_batch_hold_the_bytes_of_pages_published_alone(pages, snapshots):
    alone = {c.pk: snapshots_of(c, publisher.publish) for c in pages}
    for customer in pages:
        for path in (snapshots / customer.slug).rglob("*"):
            if path.is_file() and not path.is_symlink():
                path.write_bytes(b"stale")
    changed = publisher.publish_many(pages)
    for customer in pages:
        assert changed[customer.pk], customer.slug
        assert snapshots_of(customer, None) == alone[customer.pk], customer.slug
    assert b"Mail gateway" in document_path("northwind", "default", PAGE).read_bytes()
    assert b"Drill" not in document_path("northwind", "default", PAGE).read_bytes()


def snapshots_of(customer, publish) -> dict[str, bytes]:
    if publish is not None:
        publish(customer)
    root = document_path(customer.slug, "default", PAGE).parents[1]
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_bad_data_that_fails_the_batch_read_fails_only_its_own_page(pages, snapshots, monkeypatch, caplog):
    read = page_facts.read

    def failing_with_quiet(customers, *, now):
        if any(c.slug == "quiet" for c in customers):
            raise ValueError("a record the readers cannot take")
        return read(customers, now=now)

    monkeypatch.setattr(page_facts, "read", failing_with_quiet)
    with caplog.at_level(logging.ERROR):
        changed = publisher.publish_many(pages)
    assert changed[pages[0].pk] and changed[pages[1].pk], "the others are published"
    assert changed[pages[2].pk] == []
    assert not document_path("quiet", "de", PAGE).exists()
    assert "reading each page alone" in caplog.text
    assert {f.document for f in pages[2].publish_failures.all()} == {"en/*", "nl/*", "de/*"}
