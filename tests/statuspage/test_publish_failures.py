"""One document that fails to render never stops the others, the page's other customers or
start-up: it keeps its last good file, the failure is logged and staff see it on the console
(issue 11, finding 0)."""

import logging
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command

from incidents.models import Incident
from statuspage import documents
from statuspage import snapshots as publisher
from statuspage.models import PublishFailure
from statuspage.snapshot_store import PAGE, document_path

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
# What a schemathesis run stored before the API refused control characters (without NUL: PostgreSQL refuses it).
CONTROL_TITLE = "Mail \x96Æ\n\x9d\x85\x11 down\x1f"


def stored_title(incident, title: str) -> None:
    """Text stored before the forms and the API refused control characters (the ORM checks nothing)."""
    Incident.objects.filter(pk=incident.pk).update(title=title)


def test_a_title_with_control_characters_still_gives_a_feed_a_reader_parses(snapshots, customer, incident):
    stored_title(incident, CONTROL_TITLE)

    snapshots_changed = snapshots_publish(customer)

    assert "en/history.rss" in snapshots_changed and "en/history.atom" in snapshots_changed
    rss = ET.fromstring(document_path(customer.slug, "en", "history.rss").read_bytes())
    titles = [item.findtext("title") for item in rss.iter("item")]
    assert titles == ["Mail \x96Æ\n\x9d\x85 down (Investigating)"], "only what XML cannot hold is left out"
    atom = ET.fromstring(document_path(customer.slug, "nl", "history.atom").read_bytes())
    atom_titles = [entry.findtext(f"{ATOM}title") for entry in atom.iter(f"{ATOM}entry")]
    assert atom_titles == ["Mail \x96Æ\n\x9d\x85 down (Onderzoek loopt)"], "in the variant's language"
    assert not PublishFailure.objects.exists()


def test_a_document_that_fails_keeps_its_last_good_file_and_the_others_are_published(
        snapshots, monkeypatch, caplog, client, customer, other_customer, incident, account_manager,
        other_account_manager):
    snapshots_publish(customer)
    badge_before = document_path(customer.slug, "en", "badge.svg").read_bytes()
    Incident.objects.filter(pk=incident.pk).update(title="Disk controller replaced, array rebuilding")

    def broken_badge(*args, **kwargs):
        raise ValueError("the badge template is broken")

    monkeypatch.setattr(documents, "badge_svg", broken_badge)
    with caplog.at_level(logging.ERROR, logger="statuspage.publish_failures"):
        changed = snapshots_publish(customer)
        snapshots_publish(customer)  # a second failing publish is not logged again

    assert "en/index.html" in changed and not any(name.endswith("badge.svg") for name in changed)
    assert b"Disk controller replaced" in document_path(customer.slug, "en", PAGE).read_bytes()
    assert document_path(customer.slug, "en", "badge.svg").read_bytes() == badge_before, "last good version kept"
    failed = sorted(PublishFailure.objects.filter(customer=customer).values_list("document", flat=True))
    assert failed == ["de/badge.svg", "default/badge.svg", "en/badge.svg", "nl/badge.svg"]
    assert len([r for r in caplog.records if "badge.svg did not render" in r.getMessage()]) == 4

    client.force_login(account_manager)
    console = client.get("/console/").content.decode()
    assert "Status page documents that did not render" in console
    assert "en/badge.svg" in console and "ValueError: the badge template is broken" in console
    client.force_login(other_account_manager)
    assert "badge.svg" not in client.get("/console/").content.decode(), "another customer's staff do not see it"

    monkeypatch.undo()
    snapshots_publish(customer)
    assert not PublishFailure.objects.exists(), "rendering again clears the failure"
    client.force_login(account_manager)
    assert "did not render" not in client.get("/console/").content.decode()


def test_one_page_that_cannot_be_published_does_not_stop_start_up(snapshots, monkeypatch, customer,
                                                                  other_customer, incident, capsys):
    stored_title(incident, CONTROL_TITLE)
    store = publisher._store

    def failing_for_midsize(customer, files):
        if customer.slug == "midsize":
            raise OSError("disk full")
        return store(customer, files)

    monkeypatch.setattr(publisher, "_store", failing_for_midsize)
    call_command("publish_status_pages")  # what `make demo` runs before the first visitor (one batch)

    out, err = capsys.readouterr()
    assert "midsize: not published (OSError: disk full)" in err
    assert f"{other_customer.slug}: " in out and document_path(other_customer.slug, "en", PAGE).exists()


def snapshots_publish(customer):
    customer.refresh_from_db()
    return publisher.publish(customer)
