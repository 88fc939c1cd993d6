"""The console: the post-incident form, rendering, status polling, downloads, signed links, guards.

Celery runs tasks inline; ``on_commit`` callbacks run inside ``commit()`` blocks
(django_capture_on_commit_callbacks), which is when a real request would enqueue. Most
tests use ``fake_pdf`` (the workflow, not the document); the guard tests use the real child.
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from flows import incidents as incident_flow
from reports import rendering, runs, services
from reports.links import report_link, report_token
from reports.models import PostIncidentReview, RenderStatus, ReportRender
from tests.reports.fixtures import FAKE_PDF

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def urls(incident) -> dict[str, str]:
    return {name: reverse(f"reports:{name}", args=[incident.pk]) for name in ("review", "status", "download",
                                                                               "regenerate")}


def review_data(**overrides) -> dict[str, str]:
    return {"management_summary": "Summary.", "root_cause": "A failed disk.", "preventive_measures": "Monitoring.",
            "lessons_learned": "Replace disks sooner.", "data_lost": "no", "sla_credit_percent_per_hour": "",
            "actions": "Replace ageing disks | Jan de Vries | 2025-07-01\nAdd RAID alerts | Els Bakker | 2025-06-15",
            } | overrides


class TestPermissions:
    def test_anonymous_is_sent_to_login(self, client, story):
        for url in urls(story).values():
            response = client.get(url) if "regenerate" not in url else client.post(url)
            assert response.status_code == 302 and response.url.startswith(reverse("login")), url

    def test_other_account_manager_gets_404_everywhere(self, client, other_account_manager, story, fake_pdf):
        runs.render_run(services.render_request(incident=story, customer=story.first_link.customer).pk)
        client.force_login(other_account_manager)
        for name, url in urls(story).items():
            response = client.post(url, review_data()) if name in ("review", "regenerate") else client.get(url)
            assert response.status_code == 404, name
        assert not PostIncidentReview.objects.exists() and ReportRender.objects.count() == 1

    def test_manager_sees_the_form(self, client, manager, story):
        client.force_login(manager)
        assert client.get(urls(story)["review"]).status_code == 200

    def test_shared_incident_shows_each_account_manager_only_their_customers_report(
            self, client, story, other_customer, other_account_manager, account_manager, commit, fake_pdf):

        story.status = "investigating"  # reopen-free shortcut: adding a customer needs an open incident
        story.save(update_fields=["status"])
        incident_flow.add_customer(incident=story, customer=other_customer, author=account_manager)
        client.force_login(other_account_manager)
        page = client.get(urls(story)["review"]).text
        assert "Northwind Ltd" in page and f"report-{story.first_link.customer.slug}" not in page
        assert client.get(urls(story)["download"], {"customer": "midsize"}).status_code == 404


class TestReviewForm:
    def test_prefilled_with_a_draft_from_the_facts(self, client, account_manager, story):
        client.force_login(account_manager)
        form = client.get(urls(story)["review"]).context["form"]
        assert "Productieplanning en bestandstoegang liggen volledig stil." in form["management_summary"].value()
        assert form["root_cause"].value() == "A failed disk in the RAID array."

    def test_an_untouched_draft_follows_the_facts_it_was_drafted_from(self, client, account_manager, story):
        """The draft said data loss was "still being checked" after "No data was lost" was chosen: never again."""
        client.force_login(account_manager)
        shown = client.get(urls(story)["review"]).context["form"]["management_summary"].value()
        assert "wordt nog onderzocht" in shown  # Dutch customer: "whether data was lost is still being checked"
        response = client.post(urls(story)["review"], review_data(management_summary=shown, data_lost="no"))
        assert response.status_code == 302
        assert PostIncidentReview.objects.get(incident=story).management_summary == ""  # a draft is not stored
        html = rendering.build_html(story, story.first_link.customer)
        assert "Er zijn geen gegevens verloren gegaan." in html and "wordt nog onderzocht" not in html
        shown_again = client.get(urls(story)["review"]).context["form"]["management_summary"].value()
        assert "Er zijn geen gegevens verloren gegaan." in shown_again

    def test_an_edited_summary_is_printed_as_written(self, client, account_manager, story):
        client.force_login(account_manager)
        client.post(urls(story)["review"], review_data(management_summary="Our own words.", data_lost="no"))
        assert "Our own words." in rendering.build_html(story, story.first_link.customer)

    def test_saves_the_review_and_its_actions(self, client, account_manager, story):
        client.force_login(account_manager)
        response = client.post(urls(story)["review"], review_data())
        assert response.status_code == 302
        review = PostIncidentReview.objects.get(incident=story)
        assert [(a.description, a.owner, a.due_date) for a in review.actions.all()] == [
            ("Replace ageing disks", "Jan de Vries", date(2025, 7, 1)),
            ("Add RAID alerts", "Els Bakker", date(2025, 6, 15))]
        assert review.updated_by == account_manager and not ReportRender.objects.exists()
        again = client.get(urls(story)["review"]).context["form"]
        # Shown back as the console's language writes dates (English here).
        assert again["actions"].value().splitlines()[0] == "Replace ageing disks | Jan de Vries | 01/07/2025"

    def test_every_bad_action_line_is_named(self, client, account_manager, story):
        client.force_login(account_manager)
        actions = "Fine | Jan | 2025-07-01\nNo owner |  | 2025-07-01\nBad date | Els | 31-02-2025\nJust text"
        response = client.post(urls(story)["review"], review_data(actions=actions))
        assert response.status_code == 422
        errors = response.context["form"].errors["actions"]
        assert any("Line 2" in e and "owner" in e for e in errors)
        assert any("Line 3" in e and "31-02-2025" in e and "dd/mm/yyyy" in e for e in errors)
        assert any("Line 4" in e for e in errors) and not any("Line 1" in e for e in errors)
        assert not PostIncidentReview.objects.exists()

    def test_dutch_console_reads_and_shows_dutch_dates(self, client, account_manager, story, settings):
        client.force_login(account_manager)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
        actions = "Replace ageing disks | Jan de Vries | 01-07-2025\nAdd RAID alerts | Els Bakker | 2025-06-15"
        assert client.post(urls(story)["review"], review_data(actions=actions)).status_code == 302
        review = PostIncidentReview.objects.get(incident=story)
        assert [a.due_date for a in review.actions.all()] == [date(2025, 7, 1), date(2025, 6, 15)]
        form = client.get(urls(story)["review"]).context["form"]
        assert form["actions"].value().splitlines() == ["Replace ageing disks | Jan de Vries | 01-07-2025",
                                                         "Add RAID alerts | Els Bakker | 15-06-2025"]
        assert form.fields["actions"].widget.attrs["placeholder"].endswith("| 31-05-2025")
        assert "dd-mm-jjjj" in str(form.fields["actions"].help_text)

    def test_save_and_render(self, client, account_manager, story, commit, fake_pdf):
        client.force_login(account_manager)
        with commit():
            response = client.post(urls(story)["review"], review_data(render="1"))
        assert response.status_code == 302
        render = ReportRender.objects.get()
        assert (render.status, render.version, render.requested_by) == (RenderStatus.DONE, 1, account_manager)


class TestRenderingWorkflow:
    def test_regenerate_poll_and_download(self, client, account_manager, story, commit, fake_pdf):
        client.force_login(account_manager)
        response = client.post(urls(story)["regenerate"], HTTP_HX_REQUEST="true")  # not committed yet: pending
        assert response.status_code == 200 and 'hx-trigger="every 2s"' in response.text
        assert client.get(urls(story)["status"], **HTMX).status_code == 200  # still polling
        assert client.get(urls(story)["download"]).status_code == 404  # nothing finished yet
        runs.render_run(ReportRender.objects.get().pk)
        polled = client.get(urls(story)["status"], **HTMX)
        assert polled.status_code == 286 and "hx-trigger" not in polled.text and "Download PDF" in polled.text
        download = client.get(urls(story)["download"])
        assert download["Content-Type"] == "application/pdf" and b"".join(download.streaming_content) == FAKE_PDF
        render = ReportRender.objects.get()
        assert download["X-Content-SHA256"] == render.content_hash and len(render.content_hash) == 64
        with commit():
            client.post(urls(story)["regenerate"])
        assert list(ReportRender.objects.order_by("version").values_list("version", "status")) == [
            (1, "done"), (2, "done")]

    def test_double_click_queues_one_render(self, client, account_manager, story):
        client.force_login(account_manager)
        client.post(urls(story)["regenerate"])
        client.post(urls(story)["regenerate"])
        assert ReportRender.objects.count() == 1

    def test_a_failure_is_recorded_and_shown(self, client, account_manager, story, commit, monkeypatch):
        monkeypatch.setattr(rendering, "TEMPLATE", "reports/no-such-template.html")
        client.force_login(account_manager)
        with commit():
            client.post(urls(story)["regenerate"])
        render = ReportRender.objects.get()
        assert render.status == RenderStatus.FAILED and "TemplateDoesNotExist" in render.error
        assert render.finished_at is not None
        page = client.get(urls(story)["review"]).text
        assert "The render failed" in page and "no-such-template.html" in page

    def test_a_task_for_a_claimed_render_does_nothing(self, story, fake_pdf):
        render = services.render_request(incident=story, customer=story.first_link.customer)
        assert runs.render_run(render.pk) is not None
        assert runs.render_run(render.pk) is None  # a redelivered task

    def test_renders_nobody_finishes_are_failed_when_read(self, story):
        customer = story.first_link.customer
        with time_machine.travel(timezone.now() - timedelta(minutes=11)):
            waiting = services.render_request(incident=story, customer=customer)
        assert services.latest_render(story, customer).status == RenderStatus.FAILED
        assert "reports" in ReportRender.objects.get(pk=waiting.pk).error
        stuck = services.render_request(incident=story, customer=customer)
        ReportRender.objects.filter(pk=stuck.pk).update(status="rendering",
                                                        started_at=timezone.now() - timedelta(minutes=5))
        assert services.latest_render(story, customer).status == RenderStatus.FAILED


class TestGuards:
    """The real WeasyPrint child, with limits small enough to trip."""

    def test_time_limit(self, settings, story):
        settings.KALM_REPORT_TIMEOUT_SECONDS = 0.05
        render = runs.render_run(services.render_request(incident=story, customer=story.first_link.customer).pk)
        assert render.status == RenderStatus.FAILED and "longer than" in render.error

    def test_memory_bound(self, settings, story):
        settings.KALM_REPORT_MEMORY_MB = 64  # below what importing WeasyPrint needs
        render = runs.render_run(services.render_request(incident=story, customer=story.first_link.customer).pk)
        assert render.status == RenderStatus.FAILED and "memory" in render.error.lower()


class TestSignedLink:
    def test_none_until_a_report_is_done(self, story, fake_pdf):
        assert report_link(story) is None
        runs.render_run(services.render_request(incident=story, customer=story.first_link.customer).pk)
        assert report_link(story).startswith("http://127.0.0.1:8000/reports/")

    def test_serves_the_current_pdf_without_login_for_14_days(self, client, story, fake_pdf):
        runs.render_run(services.render_request(incident=story, customer=story.first_link.customer).pk)
        path = report_link(story).removeprefix("http://127.0.0.1:8000")
        response = client.get(path)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == FAKE_PDF
        with time_machine.travel(timezone.now() + timedelta(days=13, hours=23)):
            assert client.get(path).status_code == 200
        with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
            assert client.get(path).status_code == 404

    def test_tampered_or_foreign_tokens_are_404(self, client, story, other_customer, fake_pdf):
        runs.render_run(services.render_request(incident=story, customer=story.first_link.customer).pk)
        token = report_token(story.pk, story.first_link.customer_id)
        assert client.get(reverse("reports:public", args=[token[:-2] + "xx"])).status_code == 404
        assert client.get(reverse("reports:public", args=["nonsense"])).status_code == 404
        foreign = report_token(story.pk, other_customer.pk)  # validly signed, but no such report
        assert client.get(reverse("reports:public", args=[foreign])).status_code == 404
