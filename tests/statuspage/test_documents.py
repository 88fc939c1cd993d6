"""One renderer for both paths: the view's response and the snapshot publisher's file hold the
same bytes, for every document of a page and every language variant (statuspage.documents)."""

from datetime import timedelta

import pytest
import time_machine

from statuspage import documents, snapshots
from statuspage.selectors import page_state
from statuspage.site import Site
from statuspage.snapshot_store import DOCUMENTS, LIVE, PAGE, languages
from tests.statuspage.helpers import NOW, maintenance, open_incident

pytestmark = pytest.mark.django_db

VARIANTS = ["default", *languages()]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def busy_page(frozen, customer, incident, erp, account_manager):
    """Something in every document: two open incidents (one with markup in its title), a window
    in progress and one planned."""
    open_incident(customer, account_manager, title="Mail <slow> & late", severity="high")
    maintenance(customer, start=timedelta(days=2), components=[erp], expected_impact="ERP slow; a, b\nc")
    maintenance(customer, title="Switch swap", start=timedelta(hours=-1), status="in_progress")
    customer.refresh_from_db()
    return customer


def view_bytes(client, document: str, variant: str) -> tuple[bytes, str]:
    """What the computed view answers for the store's ``document`` in ``variant`` (snapshots are off)."""
    path = "/status/midsize/" + ("" if document in (PAGE, LIVE) else document)
    headers = {"HX-Request": "true"} if document == LIVE else {}
    response = client.get(path, {} if variant == "default" else {"lang": variant}, headers=headers)
    assert response.status_code == 200, (variant, document)
    assert not response.has_header("ETag"), "computed, not served from a store"
    return response.content, response["Content-Type"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_view_and_snapshot_render_the_same_bytes(client, busy_page, variant):
    rendering = snapshots.render_documents(busy_page)
    assert rendering.failures == {}
    published = rendering.files
    assert {name for (v, name) in published if v == variant} == set(DOCUMENTS), "every document, every variant"
    for document, content_type in DOCUMENTS.items():
        body, sent_type = view_bytes(client, document, variant)
        assert published[(variant, document)] == body, (variant, document)
        assert sent_type == content_type, (variant, document)


def test_the_default_variant_is_the_customers_language_and_the_same_document(busy_page):
    published = snapshots.render_documents(busy_page).files
    assert busy_page.language == "nl"
    # ?lang=nl on a Dutch customer's page asks for what the page shows anyway: no ?lang= in its
    # links, the same bytes, rendered once (issue 14); another language's links keep theirs.
    for name in (PAGE, "api/v2/summary.json", "history.rss"):
        assert published[("default", name)] == published[("nl", name)], name
    assert b'hx-get="/status/midsize/"' in published[("nl", PAGE)]  # the poll keeps no ?lang=nl
    assert b'hx-get="/status/midsize/?lang=de"' in published[("de", PAGE)]


def test_documents_render_from_plain_arguments_without_a_request(busy_page):
    state = page_state(busy_page)
    site = Site.of(busy_page, lang="de")
    page = documents.page_html(state, site=site, language="de")
    assert page.content_type == "text/html; charset=utf-8"
    assert b'<html lang="de">' in page.body
    assert b'hx-get="/status/midsize/?lang=de"' in page.body
    fragment = documents.page_html(state, site=site, language="de", fragment=True)
    assert fragment.body.lstrip().startswith(b'<div id="status-live"')
    badge = documents.badge_svg(state, language="de")
    assert badge.content_type == "image/svg+xml; charset=utf-8" and b"<svg" in badge.body


@pytest.mark.parametrize("source", ["<form>{% csrf_token %}</form>", '<script nonce="{{ csp_nonce }}"></script>'])
def test_a_template_asking_for_a_per_visitor_value_is_refused(settings, tmp_path, customer, source):
    (tmp_path / "per-visitor.html").write_text(source)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    with pytest.raises(documents.PerVisitorValue):
        documents.html("per-visitor.html", {}, site=Site.of(customer), language="en")
