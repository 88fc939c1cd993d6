"""Published status pages (docs/architecture.md, decision 4): the store, its bytes, its headers, who is in it."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flows import incidents as incident_flow
from statuspage import api, documents, snapshots
from statuspage.models import PublishFailure
from statuspage.snapshot_store import DOCUMENTS, LIVE, PAGE, document_path, page_directory
from tests.factories import CustomerFactory
from tests.statuspage.helpers import NOW, maintenance

pytestmark = pytest.mark.django_db

MACHINE_URLS = [*(f"api/v2/{name}" for name in api.ENDPOINTS), "history.rss", "history.atom", "maintenance.ics",
                "badge.svg"]
VARIANTS = ["default", "en", "nl", "de"]
STRONG_ETAG = re.compile(r'^"[0-9a-f]{32}"$')


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def published(snapshots, frozen, customer, incident, erp):
    maintenance(customer, start=timedelta(days=2), components=[erp])
    snapshots_written = publish(customer)
    assert snapshots_written, "the first publish writes every document"
    return customer


def publish(customer):
    customer.refresh_from_db()
    return snapshots.publish(customer)


def query(variant):
    return {} if variant == "default" else {"lang": variant}


def computed(client, settings, path, variant, **headers):
    settings.KALM_STATUS_SNAPSHOTS = False
    try:
        return client.get(path, query(variant), headers=headers)
    finally:
        settings.KALM_STATUS_SNAPSHOTS = True


def test_publish_writes_every_document_in_every_variant(published):
    for variant in VARIANTS:
        for document in DOCUMENTS:
            assert document_path("midsize", variant, document).stat().st_size > 0, (variant, document)
    assert (page_directory("midsize") / "default").readlink().name == "nl", "the default variant is Dutch's"


def test_a_second_publish_leaves_unchanged_documents_alone(published):
    before = document_path("midsize", "default", "api/v2/components.json").stat().st_mtime_ns
    assert publish(published) == []
    assert document_path("midsize", "default", "api/v2/components.json").stat().st_mtime_ns == before


def test_the_default_variant_follows_the_customers_language(client, published):
    assert publish(published) == [], "nothing changed, the link included"
    published.language = "de"
    published.save()
    changed = publish(published)
    # German links lose their ?lang=de, Dutch ones gain ?lang=nl; the default variant is German's now.
    assert {"default/index.html", "de/index.html", "nl/index.html"} <= set(changed)
    assert (page_directory("midsize") / "default").readlink().name == "de"
    response = client.get("/status/midsize/")
    assert response["Content-Language"] == "de"
    assert b'<html lang="de">' in response.content
    assert response.content == document_path("midsize", "de", PAGE).read_bytes()


def test_a_store_with_a_default_folder_of_its_own_gets_the_link(client, published):
    """A store written before the default variant became a link: the next publish replaces the folder."""
    directory = page_directory("midsize")
    (directory / "default").unlink()
    (directory / "default" / "api").mkdir(parents=True)
    (directory / "default" / PAGE).write_bytes(b"an old copy")
    (directory / "language").symlink_to("nl")
    changed = publish(published)
    assert "default/index.html" in changed
    assert (directory / "default").readlink().name == "nl"
    assert not (directory / "language").is_symlink()
    assert [entry.name for entry in directory.iterdir() if entry.name.startswith(".")] == []
    assert client.get("/status/midsize/").content == document_path("midsize", "nl", PAGE).read_bytes()


@pytest.mark.parametrize("variant", VARIANTS)
def test_stored_and_served_bytes_equal_the_computed_response(client, settings, published, variant):
    for document in ["", *MACHINE_URLS]:
        path = f"/status/midsize/{document}"
        live = computed(client, settings, path, variant)
        assert live.status_code == 200, path
        stored = document_path("midsize", variant, document or PAGE).read_bytes()
        assert stored == live.content, (variant, document)
        served = client.get(path, query(variant))
        assert served.content == live.content, (variant, document)
        assert served["Content-Type"] == live["Content-Type"], (variant, document)
        assert served.has_header("ETag") and not live.has_header("ETag"), "the hit came from the store"


def test_htmx_poll_gets_the_stored_fragment_and_304_when_unchanged(client, settings, published):
    live = computed(client, settings, "/status/midsize/", "en", HX_Request="true")
    first = client.get("/status/midsize/", {"lang": "en"}, headers={"HX-Request": "true"})
    assert first.status_code == 200
    assert first.content == live.content == document_path("midsize", "en", LIVE).read_bytes()
    assert not first.content.lstrip().startswith(b"<!doctype")
    again = client.get("/status/midsize/", {"lang": "en"},
                       headers={"HX-Request": "true", "If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_strong_etag_cache_control_vary_and_language(client, settings, published):
    response = client.get("/status/midsize/")
    assert STRONG_ETAG.match(response["ETag"])
    assert response["Cache-Control"] == "public, max-age=5, stale-while-revalidate=30"
    assert "HX-Request" in response["Vary"]
    assert response["Content-Language"] == "nl"  # the customer's language, for the default variant
    assert client.get("/status/midsize/", {"lang": "de"})["Content-Language"] == "de"
    summary = client.get("/status/midsize/api/v2/summary.json")
    assert summary["Access-Control-Allow-Origin"] == "*"
    assert summary["ETag"] != response["ETag"]
    ics = client.get("/status/midsize/maintenance.ics")
    assert ics["Content-Disposition"] == 'inline; filename="midsize-maintenance.ics"'


def test_a_change_publishes_new_bytes_and_a_new_etag(client, published, incident, account_manager):
    before = client.get("/status/midsize/", {"lang": "en"})
    incident_flow.post_update(incident=incident, author=account_manager, status="identified",
                                  message="The disk controller failed; a replacement is on its way.")
    assert "en/index.html" in publish(published)
    stale = client.get("/status/midsize/", {"lang": "en"}, headers={"If-None-Match": before["ETag"]})
    assert stale.status_code == 200
    assert stale["ETag"] != before["ETag"]
    assert b"replacement is on its way" in stale.content


def test_a_hit_reads_no_database_and_answers_with_the_database_blocked(client, published, django_db_blocker):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/status/midsize/").status_code == 200
    assert len(queries) == 0
    with django_db_blocker.block():
        for document in ["", *MACHINE_URLS]:
            assert client.get(f"/status/midsize/{document}", {"lang": "de"}).status_code == 200, document
        assert client.get("/status/midsize/", headers={"HX-Request": "true"}).status_code == 200
        with pytest.raises(RuntimeError, match="Database access not allowed"):
            client.get("/status/midsize/", {"page": "2"})  # a miss is computed, so it needs the database


def test_other_query_strings_and_unpublished_pages_are_computed(client, published, other_customer):
    for params in ({"lang": "en", "x": "1"}, {"lang": "fr"}, {"token": "abc"}):
        response = client.get("/status/midsize/", params)
        assert response.status_code == 200
        assert not response.has_header("ETag"), params
    assert not client.get("/status/northwind/").has_header("ETag")  # public, not published yet …
    assert client.get("/status/northwind/").has_header("ETag")  # … which that visit scheduled (eager here)


def test_private_page_is_never_published(client, snapshots, frozen):
    hidden = CustomerFactory(slug="hidden", status_page_public=False)
    assert publish(hidden) == []
    assert not page_directory("hidden").exists()
    assert client.get("/status/hidden/").status_code == 404


def test_making_a_page_private_removes_it_on_commit(client, published, django_capture_on_commit_callbacks):
    assert client.get("/status/midsize/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        published.status_page_public = False
        published.save()
    assert not page_directory("midsize").exists()
    for document in ["", *MACHINE_URLS]:
        assert client.get(f"/status/midsize/{document}").status_code == 404, document


def test_renamed_or_deleted_customer_leaves_the_store(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        published.slug = "midsize-bv"
        published.save()
    assert not page_directory("midsize").exists()
    assert page_directory("midsize-bv").exists()  # published again under its new address (tasks run eagerly)


def test_command_publishes_public_pages_and_prunes_the_rest(snapshots, frozen, customer, other_customer, capsys):
    (snapshots / "gone" / "default").mkdir(parents=True)
    other_customer.status_page_public = False
    other_customer.save()
    call_command("publish_status_pages")
    out = capsys.readouterr().out
    assert "gone: removed" in out
    assert "midsize: 56 documents changed" in out
    assert "northwind: not public" in out
    assert not (snapshots / "gone").exists()
    assert not page_directory("northwind").exists()
    assert document_path("midsize", "default", PAGE).exists()


def test_command_refuses_an_unknown_slug(snapshots):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No customer with slug 'nope'"):
        call_command("publish_status_pages", "--slug", "nope")


def test_files_are_readable_by_a_web_server_running_as_another_user(published):
    assert document_path("midsize", "default", PAGE).stat().st_mode & 0o777 == 0o644
    assert document_path("midsize", "default", "api/v2/summary.json").parent.stat().st_mode & 0o755 == 0o755


def test_deleted_customer_leaves_the_store(snapshots, other_customer, django_capture_on_commit_callbacks):
    other_customer.refresh_from_db()
    publish(other_customer)
    assert page_directory("northwind").exists()
    with django_capture_on_commit_callbacks(execute=True):
        other_customer.delete()
    assert not page_directory("northwind").exists()


def test_a_page_that_rendered_a_nonce_is_not_published(snapshots, customer, monkeypatch):
    # A CSRF token cannot get that far: statuspage.documents refuses to render one (test_documents.py).
    monkeypatch.setattr(documents, "page_html", lambda *a, **k: documents.Document(
        body=b'<script nonce="abc"></script>', content_type=documents.HTML))
    publish(customer)
    assert not document_path(customer.slug, "en", PAGE).exists()
    assert document_path(customer.slug, "en", "badge.svg").exists(), "the other documents are published"
    failure = PublishFailure.objects.get(customer=customer, document="en/index.html")
    assert failure.error.startswith("SnapshotError: midsize rendered a CSP nonce")
