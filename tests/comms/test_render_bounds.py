"""Message templates cannot stall the database (issue 11, finding 1).

A staff-edited template is untrusted code. Its source size is limited, and every render —
the editor's preview, the save check and the send — runs under the same bounds (steps,
output size, wall time). Rendering for sending happens after commit, outside the
transaction that holds the incident's row locks; a template that fails there falls back to
the shipped default, the message goes out, and staff are told once.

The explosive templates below run for seconds to hours without the bounds. What proves a bound
is the refusal it gives (too many steps, too long, a loop over text); ``within`` only turns a
regression into a failure instead of a suite that hangs for hours (``CEILING`` is far beyond the
milliseconds the bounds take, so a loaded machine never trips it). It is not a speed figure.
"""

import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from comms.messages import rendering, template_check
from comms.messages.rendering import RenderError, TemplateFailure, render_text
from comms.messages.samples import sample_context
from comms.messages.template_check import template_errors
from comms.messages.templates import message_template_failed, message_template_save
from comms.models import Audience, Communication, MessageKind, MessageTemplate, Stakeholder
from comms.outbox import sweeper
from comms.outbox.planning import SendOptions
from flows import incidents as incident_flow

CEILING = 30.0  # seconds: a hang guard, not a speed target

# The audit's preview: nested loops over a ~190-character fact (here ~270: three workarounds).
NESTED_TEXT_LOOPS = ("{% set w = workaround ~ workaround ~ workaround %}"
                     "{% for a in w %}{% for b in w %}{% for c in w %}.{% endfor %}{% endfor %}{% endfor %}")
# The same without iterating text: 10,000 list items per level (the longest list `*` allows).
NESTED_LIST_LOOPS = ("{% for a in components * 5000 %}{% for b in components * 5000 %}"
                     "{% for c in components * 5000 %}.{% endfor %}{% endfor %}{% endfor %}")
SAMPLE_NUMBER = "MSM-2025-0531-001"  # comms.messages.samples.sample_context


@contextmanager
def within(seconds: float = CEILING):
    started = time.monotonic()
    yield
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"took {elapsed:.1f} s"


def render(body: str, subject: str = "x") -> str:
    return render_text(subject=subject, body=body, context=sample_context("en"), language="en").body_text


def refused(body: str) -> list[str]:
    with within(), pytest.raises(RenderError) as raised:
        render(body)
    return raised.value.errors


# --- size of the source ---------------------------------------------------------------

class TestSourceSize:
    def test_the_renderer_refuses_a_body_over_the_limit(self):
        assert render("x" * rendering.SOURCE_MAX) == "x" * rendering.SOURCE_MAX
        errors = refused("x" * (rendering.SOURCE_MAX + 1))
        assert errors == [f"Body: the template is longer than {rendering.SOURCE_MAX:,} characters."]

    def test_the_save_check_refuses_it_too(self):
        errors = template_errors(subject="x", body="{{ title }} " * 1000)
        assert errors and "longer than" in errors[0]


# --- bounded rendering ----------------------------------------------------------------

class TestBounds:
    def test_nested_loops_over_text_stop_at_once(self):
        errors = refused(NESTED_TEXT_LOOPS)
        assert "loop over text" in errors[0]

    def test_nested_loops_over_lists_are_stopped_by_the_step_bound(self):
        errors = refused(NESTED_LIST_LOOPS)
        assert errors == ["Body, line 1: the template takes too many steps to render (more than "
                          f"{rendering.BOUNDS.steps:,}); simplify its loops."]

    def test_output_stops_as_soon_as_it_is_too_long(self):
        errors = refused("{% for a in components * 2500 %}{{ workaround }}\n{% endfor %}")
        assert errors == [f"Body: the text is longer than {rendering.BOUNDS.output:,} characters."]

    def test_wall_time_is_bounded(self, monkeypatch):
        monkeypatch.setattr(rendering, "BOUNDS", rendering.Bounds(steps=10**9, output=10**9, seconds=0.05))
        errors = refused("{% for a in components * 5000 %}{% for b in components * 5000 %}{{ a.name == b.name }}"
                         "{% endfor %}{% endfor %}")
        assert "took too long to render" in errors[0]

    @pytest.mark.parametrize("body", [
        # the audit's: ~ and the replace filter pass the * guard
        "{% set a = 'x' * 10000 %}{% set b = a|replace('x', a) %}{{ b|length }}",
        "{% set a = 'x' * 10000 %}{% set b = a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a %}{{ (b ~ b)|length }}",
        "{% set a = 'x' * 10000 %}{{ (components * 5000)|join(a)|length }}",
        "{% set a = 'x' * 10000 %}{% set b = a + a + a + a + a + a + a + a + a + a + a %}{{ b|length }}",
        "{% set a = 'x' * 10000 %}{{ ([a] * 10000)|join|length }}",
        "{% set a = 'x' * 10000 %}{{ [a] * 10000 }}",
        "{% set a = 'x' * 10000 %}{{ a.replace('x', a)|length }}",
        "{% set a = 'x' * 10000 %}{{ a.join(a)|length }}",
        "{{ '{:>99999999}'.format(number)|length }}",
        "{{ ('%99999999s' % number)|length }}",
        "{{ number.center(99999999)|length }}",
        "{{ number.zfill(99999999)|length }}",
        "{{ (title|truncate(99999999, end=title * 9000))|length }}",
    ])
    def test_string_growth_tricks_are_refused(self, body):
        refused(body)

    @pytest.mark.parametrize("body", [
        "{% macro boom(n) %}{{ boom(n) }}{{ boom(n) }}{% endmacro %}{{ boom(1) }}",
        "{% for c in components recursive %}{{ loop(components) }}{% endfor %}",
        "{% set a = 'x' * 10000 %}{% set b %}{% for c in components * 5000 %}{{ a }}{% endfor %}{% endset %}",
    ])
    def test_recursion_and_captured_blocks_are_refused(self, body):
        refused(body)

    def test_deep_nesting_is_an_error_not_a_crash(self):
        assert refused("{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}") == ["Body: the template is nested too deeply."]
        assert template_errors(subject="x", body="{{ " + "[" * 2000 + "]" * 2000 + " }}") == [
            "Body: the template is nested too deeply."]

    def test_ordinary_templates_still_render(self):
        body = ("{% for c in components %}\n- {{ c.name|upper }}: {{ c.status }}\n{% endfor %}\n"
                "{{ title ~ ' / ' ~ number }} {{ [status, severity]|join(', ') }} "
                "{{ workaround|replace('shared', 'common')|truncate(40) }} {{ title.upper() }} "
                "{{ 'yes' if personal_data else 'no' }} {{ components|length * 2 }} {{ (components * 2)|length }}")
        assert render(body).splitlines() == [
            "- FILE SERVER: Major outage", "- ERP: Partial outage",
            "File server outage / MSM-2025-0531-001 Identified, Critical Save new documents on your own..."
            " FILE SERVER OUTAGE yes 4 4"]


# --- the save check -------------------------------------------------------------------

class TestSaveCheck:
    @pytest.mark.parametrize("guard", [
        f'number != "{SAMPLE_NUMBER}"',
        'status_code == "resolved"',
        'customer != "MidSize Manufacturing BV"',
        f'number|length != {len(SAMPLE_NUMBER)}',
    ])
    def test_a_template_that_explodes_only_away_from_the_samples_is_refused(self, guard):
        body = f"Hello\n{{% if {guard} %}}{NESTED_LIST_LOOPS}{{% endif %}}"
        with within():
            errors = template_errors(subject="[UPDATE] {{ title }}", body=body)
        assert errors and "too many steps" in " ".join(errors)

    def test_loops_over_text_are_refused(self):
        for body in ("{% for ch in title %}{{ ch }}{% endfor %}", "{% for ch in 'abc' %}{% endfor %}",
                     "{% for ch in workaround|upper %}{% endfor %}", "{% for ch in title ~ number %}{% endfor %}",
                     "{% for c in components %}{% for ch in c.name %}{% endfor %}{% endfor %}"):
            errors = template_errors(subject="x", body=body)
            assert errors and "loop over text" in errors[0], body

    @pytest.mark.parametrize("language", ["en", "nl", "de"])
    def test_every_shipped_default_passes_it_with_a_hundredfold_margin(self, language, monkeypatch):
        """No false alarm from the contrasting sample or the all-branches passes, and room to spare."""
        # The margin is in steps and output, which count the same on any machine; the wall clock is a
        # backstop that a loaded machine (CI beside a benchmark) can trip, so it is only a hang guard here.
        tight = rendering.Bounds(steps=rendering.BOUNDS.steps // 100, output=rendering.BOUNDS.output // 10,
                                 seconds=30.0)
        monkeypatch.setattr(template_check, "BOUNDS", tight)
        for kind in MessageKind.values:
            for audience in Audience.values:
                source = rendering.default_template(kind=kind, audience=audience, language=language)
                assert template_errors(subject=source.subject, body=source.body) == [], (kind, audience)

    def test_a_loop_over_components_is_fine(self):
        body = "{% for c in components %}{% for part in [c.name, c.status] %}{{ part }} {% endfor %}{% endfor %}"
        assert template_errors(subject="x", body=body) == []


# --- the editor ------------------------------------------------------------------------

@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


KEY = {"kind": "update", "audience": "end_user", "language": "nl"}


def test_the_preview_answers_422_quickly_for_the_audits_template(as_manager):
    with within():
        response = as_manager.post(reverse("comms:template_preview"),
                                   {"language": "nl", "subject": "[UPDATE] {{ number }}", "body": NESTED_TEXT_LOOPS},
                                   HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "loop over text" in response.text


def test_the_preview_refuses_a_megabyte_body_with_422(as_manager):
    with within():
        response = as_manager.post(reverse("comms:template_preview"),
                                   {"language": "nl", "subject": "x", "body": "{{ title }}" * 100_000},
                                   HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "longer than" in response.text


def test_the_editor_refuses_a_body_over_the_limit(as_manager):
    url = reverse("comms:template_edit") + "?" + urlencode(KEY)
    response = as_manager.post(url, {**KEY, "subject": "x", "body": "y" * (rendering.SOURCE_MAX + 1), "save": "1"})
    assert response.status_code == 422
    assert response.context["form"].errors["body"]
    assert not MessageTemplate.objects.exists()


# --- at send time: rendering after commit ------------------------------------------------

@pytest.fixture
def people(customer):
    make = Stakeholder.objects.create
    return [
        make(customer=customer, name="IT", role="customer_it", audience="technical", language="nl",
             email="it@midsize.example"),
        make(customer=customer, name="Staff", role="affected_users", audience="end_user", language="nl",
             email="staff@midsize.example"),
    ]


def open_mail_down(customer, author, **options):
    return incident_flow.open_incident(customer=customer, title="Mail down", category="email", severity="critical",
                                       message="We are looking into it.", author=author, **options)


@pytest.mark.django_db(transaction=True)
def test_rendering_runs_after_commit_outside_any_transaction(customer, people, account_manager, monkeypatch):
    seen: list[bool] = []
    real = rendering._render

    def spy(*args, **kwargs):
        seen.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(rendering, "_render", spy)
    incident = open_mail_down(customer, account_manager)
    assert seen and not any(seen)  # rendered, and never while a transaction (and its row locks) was open
    communications = Communication.objects.filter(incident=incident)
    assert communications.count() == 2
    assert all(c.subject.startswith("[NEW]") and c.body_text and c.body_html and c.short_text
               for c in communications)
    assert all(c.template_context is None for c in communications)  # rendered: the snapshot is done with
    assert set(communications.values_list("deliveries__state", flat=True)) == {"sent"}


def test_the_transaction_writes_the_facts_for_the_texts_not_the_texts(customer, people, account_manager):
    incident = open_mail_down(customer, account_manager)
    communication = Communication.objects.get(incident=incident, audience="technical")
    assert communication.subject == "" and communication.body_html == ""
    assert communication.template_context["title"] == "Mail down"
    assert communication.template_context["number"] == incident.first_link.number
    assert communication.template_context["message"] == "We are looking into it."


def test_a_scheduled_message_is_rendered_at_once_and_sent_at_its_time(customer, people, account_manager,
                                                                      django_capture_on_commit_callbacks):
    send_at = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_mail_down(customer, account_manager, send=SendOptions(send_at=send_at))
    technical = Communication.objects.get(incident=incident, audience="technical")
    assert technical.subject.startswith("[NEW]") and technical.template_context is None  # the log shows it now
    assert not technical.deliveries.exists()  # and it waits for its time


def test_the_sweeper_renders_what_the_commit_hook_missed(customer, people, account_manager):
    send_at = timezone.now() + timedelta(hours=1)
    open_mail_down(customer, account_manager, send=SendOptions(send_at=send_at))  # on_commit never ran
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        found = sweeper.sweep().communications
    assert sorted(found) == sorted(Communication.objects.values_list("id", flat=True))  # not due, but unrendered


# --- at send time: a stored template that fails ------------------------------------------

def bomb(customer, **key):
    """A stored template that passes for the sample incident and explodes for every real one.

    Written directly, as a template saved before the bounds existed would be.
    """
    body = f"Update\n{{% if number != '{SAMPLE_NUMBER}' %}}{NESTED_LIST_LOOPS}{{% endif %}}"
    return MessageTemplate.objects.create(customer=customer, **({"kind": "update", "audience": "technical",
                                                                 "language": "nl"} | key),
                                          subject="[UPDATE] {{ title }}", body=body)


def notices() -> list:
    """The staff notices about failed templates among the mail sent (stakeholders' messages too go there)."""
    return [message for message in mail.outbox if message.subject.startswith("Message template failed")]


def test_a_template_that_explodes_at_send_time_falls_back_and_staff_are_told_once(
    customer, people, account_manager, other_account_manager, incident, django_capture_on_commit_callbacks
):
    account_manager.email = "anna@msp.example"
    account_manager.save()
    template = bomb(customer)
    mail.outbox = []
    with within(), django_capture_on_commit_callbacks(execute=True):
        update = incident_flow.post_update(incident=incident, author=account_manager, message="Disk replaced.")
    technical = Communication.objects.get(update=update, audience="technical")
    assert technical.subject.startswith("[UPDATE] Server outage")  # the shipped Dutch default went out
    assert "Disk replaced." in technical.body_text
    assert set(technical.deliveries.values_list("state", flat=True)) == {"sent"}
    template.refresh_from_db()
    assert template.failed_at is not None and "too many steps" in template.last_error
    [notice] = notices()
    assert notice.to == ["anna@msp.example"]  # this customer's account manager, nobody else's
    assert notice.subject == f"Message template failed for {customer.name}: Status update · Technical · NL"
    assert "too many steps" in notice.body and "shipped default" in notice.body
    assert f"/console/templates/edit/?kind=update&audience=technical&language=nl&customer={customer.slug}" \
        in notice.body

    with within(), django_capture_on_commit_callbacks(execute=True):
        incident_flow.post_update(incident=incident, author=account_manager, message="Still on it.")
    assert len(notices()) == 1  # told once, not at every message

    message_template_save(customer=customer, kind="update", audience="technical", language="nl",
                          subject="[UPDATE] {{ title }}", body="Stand: {{ message }}", author=account_manager)
    template.refresh_from_db()
    assert template.failed_at is None and template.last_error == ""  # saved: no longer marked


def test_an_msp_wide_template_that_fails_tells_the_managers(customer, people, account_manager, manager, incident,
                                                             django_capture_on_commit_callbacks):
    manager.email = "maria@msp.example"
    manager.save()
    bomb(None)
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        incident_flow.post_update(incident=incident, author=account_manager, message="Disk replaced.")
    [notice] = notices()
    assert notice.to == ["maria@msp.example"]  # only managers edit MSP-wide templates
    assert "for all customers (MSP-wide)" in notice.body and "customer=" not in notice.body


def test_a_failure_is_pinned_only_on_the_version_that_failed(customer, account_manager):
    template = bomb(customer)
    earlier_version = template.updated_at - timedelta(seconds=1)  # rendered, then the template was saved again
    stale = TemplateFailure(template_id=template.pk, updated_at=earlier_version, errors=["Body: too many steps"])
    assert message_template_failed(failure=stale, customer=customer) is False
    template.refresh_from_db()
    assert template.failed_at is None and template.last_error == ""
    current = TemplateFailure(template_id=template.pk, updated_at=template.updated_at, errors=["Body: too slow"])
    assert message_template_failed(failure=current, customer=customer) is True
    assert message_template_failed(failure=current, customer=customer) is False  # marked already: no new notice


def test_the_template_list_and_editor_show_a_failed_template(as_manager, customer):
    template = bomb(None, audience="end_user")
    response = as_manager.get(reverse("comms:templates") + "?language=nl")
    assert "failed when sending" not in response.text
    MessageTemplate.objects.filter(pk=template.pk).update(failed_at=timezone.now(),
                                                          last_error="Body, line 2: too many steps")
    response = as_manager.get(reverse("comms:templates") + "?language=nl")
    assert response.text.count("failed when sending") == 1 and "too many steps" in response.text
    edit = as_manager.get(reverse("comms:template_edit") + "?" + urlencode(KEY))
    assert "This template failed when a message was sent" in edit.text and "too many steps" in edit.text


def test_the_composer_previews_what_will_be_sent_and_says_the_template_fails(client, customer, people,
                                                                               account_manager, incident):
    bomb(customer)
    client.force_login(account_manager)
    with within():
        response = client.post(reverse("comms:compose", args=[incident.pk]),
                               {"message": "Schijf vervangen.", "status": "identified", "severity": "critical",
                                "preview": "1"})
    drafts = {d.plan.audience: d for d in response.context["drafts"]}
    technical = drafts["technical"]
    assert technical.subject.startswith("[UPDATE] Server outage") and "Schijf vervangen." in technical.body
    assert technical.warnings[0].startswith("The stored template for this message fails")
    assert not any("stored template" in warning for warning in drafts["end_user"].warnings)
    assert MessageTemplate.objects.get().failed_at is None and not notices()  # a preview marks and mails nothing

