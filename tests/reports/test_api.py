"""``GET /api/v1/incidents/<number>/report.pdf``: 202 + Retry-After while rendering, then the PDF."""

import pytest
from django.test import Client

from api.models import ApiToken
from reports import rendering, runs, services
from reports.models import RenderStatus, ReportRender
from tests.reports.fixtures import FAKE_PDF


def api_get(path: str, user=None):
    headers = {"Authorization": f"Bearer {ApiToken.issue(user=user)[1]}"} if user else {}
    return Client().get(f"/api/v1{path}", headers=headers)


@pytest.fixture
def number(story) -> str:
    return story.first_link.number


def test_first_request_queues_a_render_and_answers_202_then_the_pdf(story, number, account_manager,
                                                                     django_capture_on_commit_callbacks, fake_pdf):
    response = api_get(f"/incidents/{number}/report.pdf", account_manager)  # on_commit not run: still pending
    assert response.status_code == 202 and response["Retry-After"] == "5"
    body = response.json()
    assert (body["number"], body["version"], body["status"]) == (number, 1, "pending")
    assert api_get(f"/incidents/{number}/report.pdf", account_manager).status_code == 202  # no second render
    assert ReportRender.objects.count() == 1
    runs.render_run(ReportRender.objects.get().pk)  # the worker
    done = api_get(f"/incidents/{number}/report.pdf", account_manager)
    assert done.status_code == 200 and done["Content-Type"] == "application/pdf" and done.content == FAKE_PDF
    assert done["X-Content-SHA256"] == ReportRender.objects.get().content_hash


def test_eager_worker_renders_at_once(story, number, manager, django_capture_on_commit_callbacks, fake_pdf):
    with django_capture_on_commit_callbacks(execute=True):
        assert api_get(f"/incidents/{number}/report.pdf", manager).status_code == 202
    assert api_get(f"/incidents/{number}/report.pdf", manager).status_code == 200


def test_regeneration_in_progress_answers_202(story, number, account_manager, fake_pdf):
    runs.render_run(services.render_request(incident=story, customer=story.first_link.customer).pk)
    services.render_request(incident=story, customer=story.first_link.customer)
    assert api_get(f"/incidents/{number}/report.pdf", account_manager).status_code == 202


def test_failed_render_serves_the_previous_version_or_409(story, number, account_manager, monkeypatch, fake_pdf):
    customer, working, broken = story.first_link.customer, rendering.TEMPLATE, "reports/no-such-template.html"

    def render_with(template: str) -> None:
        monkeypatch.setattr(rendering, "TEMPLATE", template)
        runs.render_run(services.render_request(incident=story, customer=customer).pk)

    render_with(broken)
    failed = api_get(f"/incidents/{number}/report.pdf", account_manager)
    assert failed.status_code == 409 and failed.json()["status"] == RenderStatus.FAILED
    assert "TemplateDoesNotExist" in failed.json()["error"]
    render_with(working)
    render_with(broken)
    assert list(ReportRender.objects.order_by("version").values_list("status", flat=True)) == [
        "failed", "done", "failed"]
    assert api_get(f"/incidents/{number}/report.pdf", account_manager).content == FAKE_PDF


def test_same_permissions_as_the_rest_of_the_api(story, number, other_account_manager, account_manager):
    assert api_get(f"/incidents/{number}/report.pdf").status_code == 401
    assert api_get(f"/incidents/{number}/report.pdf", other_account_manager).status_code == 404
    assert api_get(f"/incidents/{number}", other_account_manager).status_code == 404
    assert api_get("/incidents/NOPE-2025-0101-001/report.pdf", account_manager).status_code == 404
    assert not ReportRender.objects.exists()


def test_two_routers_share_the_incidents_prefix(story, number, account_manager):
    """django-ninja mounts api.reports.router next to api.incidents.router on "/incidents"."""
    assert api_get(f"/incidents/{number}", account_manager).json()["number"] == number
    assert api_get(f"/incidents/{number}/report.pdf", account_manager).status_code == 202
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/incidents/{number}/report.pdf" in schema["paths"]
    assert "/api/v1/incidents/{number}" in schema["paths"]
