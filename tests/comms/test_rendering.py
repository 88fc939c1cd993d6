"""Message rendering: the shipped defaults, template precedence, the sandbox, and the context."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from comms.messages import rendering
from comms.messages.checks import message_warnings
from comms.messages.context import ALLOWED_VARIABLES, MAINTENANCE_VARIABLES, message_context
from comms.messages.rendering import (
    SUBJECT_TAGS,
    RenderError,
    default_template,
    render_message,
    render_plain,
    render_text,
)
from comms.messages.samples import sample_context, sparse_sample_context
from comms.messages.template_check import template_errors
from comms.models import Audience, MessageKind, MessageTemplate
from flows import incidents as incident_flow
from incidents.models import Incident
from tests.factories import ComponentFactory, CustomerFactory

LANGUAGES = ["en", "nl", "de"]
MAINTENANCE_KINDS = {kind for kind in MessageKind.values if kind.startswith("maintenance_")}
INCIDENT_KINDS = set(MessageKind.values) - MAINTENANCE_KINDS
# Kinds sent after the facts are settled: they say what comes next instead of a next update time.
NO_NEXT_UPDATE_KINDS = {MessageKind.POST_INCIDENT, MessageKind.MANAGEMENT_SUMMARY, MessageKind.REGULATORY}
ALL_DEFAULTS = [(kind, audience, language) for kind in MessageKind.values for audience in Audience.values
                for language in LANGUAGES]


def render_default(kind, audience, language, context=None):
    source = default_template(kind=kind, audience=audience, language=language)
    return render_text(subject=source.subject, body=source.body, context=context or sample_context(language),
                       language=language)


def settled_incident(context) -> Incident:
    """An unsaved incident that did everything right: monitored before resolving, workaround known."""
    return Incident(workaround=context["workaround"], monitoring_at=datetime(2025, 5, 31, 11, 0, tzinfo=UTC),
                    resolved_at=datetime(2025, 5, 31, 11, 45, tzinfo=UTC))


class TestDefaults:
    def test_every_kind_audience_and_language_has_a_default(self):
        for language in LANGUAGES:
            shipped = rendering._defaults()[language]
            entries = {(kind, audience) for kind in MessageKind.values for audience in shipped.get(kind, {})}
            assert entries == {(k, a) for k in MessageKind.values for a in Audience.values}, language
            assert set(shipped) - set(MessageKind.values) == {"layout"}

    @pytest.mark.parametrize(("kind", "audience", "language"), ALL_DEFAULTS)
    def test_default_renders_with_the_facts_it_must_state(self, kind, audience, language):
        context = sample_context(language)
        message = render_default(kind, audience, language)
        assert message.subject.startswith(SUBJECT_TAGS[kind] + " ")
        assert "\n" not in message.subject and len(message.subject) <= 300
        assert len(message.short_text) <= 300
        lines = [line for line in message.body_text.splitlines() if line.strip()]
        assert 4 <= len(lines) <= 15, message.body_text
        assert context["msp"] in message.body_text
        if kind in INCIDENT_KINDS:
            assert context["number"] in message.subject + message.body_text
        else:
            assert context["maintenance_title"] in message.subject
            if kind in {MessageKind.MAINTENANCE_ANNOUNCEMENT, MessageKind.MAINTENANCE_REMINDER}:
                assert context["window_start"] in message.body_text and context["window_end"] in message.body_text
        if kind in INCIDENT_KINDS - NO_NEXT_UPDATE_KINDS:
            assert context["next_update_at"] in message.body_text
        if kind in {MessageKind.RESOLUTION, MessageKind.POST_INCIDENT} and audience != Audience.END_USER:
            assert "24" in message.body_text or "PDF" in message.body_text.upper()

    @pytest.mark.parametrize(("kind", "audience", "language"), ALL_DEFAULTS)
    def test_default_renders_when_optional_facts_are_empty(self, kind, audience, language):

        message = render_default(kind, audience, language, sparse_sample_context(language))
        assert message.body_text.strip()

    @pytest.mark.parametrize(("kind", "audience", "language"), ALL_DEFAULTS)
    def test_defaults_pass_kalms_own_message_checks(self, kind, audience, language):
        """No jargon for end users and executives, no blame, a next update, the workaround passed on."""
        context = sample_context(language)
        message = render_default(kind, audience, language)
        incident = None if kind in MAINTENANCE_KINDS else settled_incident(context)
        warnings = message_warnings(text=f"{message.subject}\n{message.body_text}", audience=audience,
                                    language=language, kind=kind, incident=incident)
        assert warnings == []

    def test_block_tags_never_end_a_text_line(self):
        """With trim_blocks a tag at the end of a text line swallows the line break."""
        for language in LANGUAGES:
            for kind in MessageKind.values:
                for audience in Audience.values:
                    body = default_template(kind=kind, audience=audience, language=language).body
                    for line in body.splitlines():
                        text = re.sub(r"{%.*?%}", "", line).strip()
                        assert not (text and line.rstrip().endswith("%}")), (language, kind, audience, line)

    @pytest.mark.parametrize("kind", MessageKind.values)
    def test_dutch_defaults_are_dutch(self, kind):
        for audience in Audience.values:
            text = render_default(kind, audience, "nl").body_text
            assert text.startswith("Goedendag,")
            assert re.search(r"\b(u|uw|wij|de|het|een)\b", text)
            assert not re.search(r"\b(We are|Hello|Kind regards|you|your)\b", text)

    @pytest.mark.parametrize("kind", MessageKind.values)
    def test_german_defaults_are_german_and_formal(self, kind):
        for audience in Audience.values:
            text = render_default(kind, audience, "de").body_text
            assert text.startswith("Guten Tag,")
            assert re.search(r"\b(Sie|Ihnen|Ihre?|wir|die|der|das)\b", text)
            assert not re.search(r"\b(We are|Hello|Kind regards|du|dich|dein)\b", text)

    def test_subject_tags_stay_english_in_every_language(self):
        for language in LANGUAGES:
            subject = render_default(MessageKind.RESOLUTION, Audience.END_USER, language).subject
            assert subject.startswith("[RESOLVED] ")

    def test_unknown_language_falls_back_to_english(self):
        source = default_template(kind=MessageKind.UPDATE, audience=Audience.END_USER, language="fr")
        assert source == default_template(kind=MessageKind.UPDATE, audience=Audience.END_USER, language="en")


@pytest.mark.django_db
class TestTemplatePrecedence:
    def make(self, customer, subject):
        return MessageTemplate.objects.create(customer=customer, kind=MessageKind.UPDATE, audience=Audience.END_USER,
                                              language="en", subject=subject, body="Body for {{ customer }}.")

    def render(self, customer):
        return render_message(kind=MessageKind.UPDATE, audience=Audience.END_USER, language="en",
                              context=sample_context("en"), customer=customer)

    def test_customer_template_wins_over_msp_wide_which_wins_over_default(self, customer, other_customer):
        assert self.render(customer).subject.startswith("[UPDATE]")
        self.make(None, "MSP-wide {{ number }}")
        assert self.render(customer).subject == "MSP-wide MSM-2025-0531-001"
        self.make(customer, "Own {{ number }}")
        assert self.render(customer).subject == "Own MSM-2025-0531-001"
        assert self.render(other_customer).subject == "MSP-wide MSM-2025-0531-001"
        assert self.render(None).subject == "MSP-wide MSM-2025-0531-001"

    def test_other_languages_and_kinds_keep_their_default(self, customer):
        self.make(customer, "Own")
        message = render_message(kind=MessageKind.UPDATE, audience=Audience.END_USER, language="nl",
                                 context=sample_context("nl"), customer=customer)
        assert message.subject.startswith("[UPDATE] Storing bestandsserver")

    def test_a_stored_template_that_fails_falls_back_to_the_default(self, customer, caplog):
        MessageTemplate.objects.create(customer=customer, kind=MessageKind.UPDATE, audience=Audience.END_USER,
                                       language="en", subject="{{ title.__class__ }}", body="x")
        message = self.render(customer)
        assert message.subject.startswith("[UPDATE] File server outage")
        assert "failed, using the default" in caplog.text


class TestTemplateErrors:
    def test_accepts_a_good_template(self):
        body = ("Hello,\n\n{% if workaround %}\nMeanwhile: {{ workaround|trim }}\n{% endif %}\n"
                "{% for c in components %}\n- {{ c.name }}: {{ c.status }}\n{% endfor %}\n"
                "Next update: {{ next_update_at or 'soon' }}")
        assert template_errors(subject="[UPDATE] {{ title }} - #{{ number }}", body=body) == []

    def test_syntax_error_names_the_line(self):
        errors = template_errors(subject="ok", body="line one\nline two\n{% if title %}\nno end")
        assert len(errors) == 1 and errors[0].startswith("Body, line 4: Unexpected end of template")

    def test_stray_tag_names_its_line(self):
        errors = template_errors(subject="ok", body="one\ntwo {% endif %}\nthree")
        assert errors == ["Body, line 2: Encountered unknown tag 'endif'."]

    def test_unknown_variable_is_refused(self):
        errors = template_errors(subject="{{ title }}", body="Your password is {{ password }}")
        assert errors and "password" in errors[0]

    def test_reaching_into_objects_is_refused(self):
        assert "incident" in " ".join(template_errors(subject="x", body="{{ incident.__class__ }}"))
        errors = template_errors(subject="x", body="{{ title.__class__.__mro__ }}")
        assert errors and "not allowed" in errors[0]

    def test_bad_attribute_on_a_fact_is_caught_by_the_trial_render(self):
        errors = template_errors(subject="x", body="one\n{{ title.nonexistent.deeper }}")
        assert errors and "line 2" in errors[0]

    def test_error_in_a_branch_the_full_sample_skips_is_caught(self):
        body = "{% if workaround %}\nok\n{% else %}\n{{ workaround.missing.attribute }}\n{% endif %}"
        assert template_errors(subject="x", body=body)

    def test_filters_outside_the_small_set_are_refused(self):
        assert template_errors(subject="x", body="{{ title|attr('upper') }}")
        assert template_errors(subject="x", body="{{ components|map(attribute='name')|list }}")

    def test_subject_errors_are_labelled(self):
        errors = template_errors(subject="{{ nope }}", body="fine")
        assert errors and errors[0].startswith("Subject")


class TestSandbox:
    def test_python_internals_render_to_an_error_not_data(self):
        with pytest.raises(RenderError) as raised:
            render_text(subject="x", body="{{ ''.__class__.__mro__ }}", context=sample_context("en"), language="en")
        assert "object" not in raised.value.errors[0].split(":")[0]
        assert "not allowed" in raised.value.errors[0]

    def test_no_globals(self):
        for source in ("{{ range(3) }}", "{{ dict(a=1) }}", "{{ lipsum() }}", "{{ namespace() }}"):
            with pytest.raises(RenderError):
                render_text(subject="x", body=source, context=sample_context("en"), language="en")

    def test_context_is_read_only(self):
        with pytest.raises(RenderError):
            render_text(subject="x", body="{{ components.append(1) }}", context=sample_context("en"), language="en")

    def test_huge_outputs_are_refused(self):
        for source in ("{{ 'x' * 1000000000 }}", "{{ 9 ** 9 ** 9 }}"):
            with pytest.raises(RenderError):
                render_text(subject="x", body=source, context=sample_context("en"), language="en")

    def test_stray_braces_in_edited_text_are_an_error_not_a_crash(self):
        with pytest.raises(RenderError) as raised:
            render_text(subject="Mail down", body="Use the {{ webmail link\nThanks", context={}, language="en")
        assert raised.value.errors[0].startswith("Body, line 1")

    def test_includes_and_imports_cannot_load_files(self):
        for source in ('{% include "base.html" %}', '{% import "base.html" as b %}', '{% extends "base.html" %}'):
            with pytest.raises(RenderError):
                render_text(subject="x", body=source, context=sample_context("en"), language="en")

    def test_render_plain_never_evaluates_template_syntax(self):
        message = render_plain(subject="Title {{ password }}\nsecond line", body="Keep {{ this }} and {% that %}.\n\n",
                               context=sample_context("en"), language="en")
        assert message.subject == "Title {{ password }} second line"
        assert message.body_text == "Keep {{ this }} and {% that %}."
        assert "Next update: 12:30." in message.short_text

    def test_plain_text_without_jinja_renders_as_is(self):
        message = render_text(subject="Mail down", body="We are on it.\n\n**Next update:** 12:30",
                              context={}, language="en")
        assert message.body_text == "We are on it.\n\n**Next update:** 12:30"


class TestRenderedMessage:
    def render(self, **context_overrides):
        context = sample_context("en") | context_overrides
        return render_message(kind=MessageKind.UPDATE, audience=Audience.END_USER, language="en", context=context)

    @pytest.mark.django_db
    def test_subject_is_one_line_and_at_most_300_characters(self):
        message = self.render(title="Line one\nline two " + "word " * 100)
        assert "\n" not in message.subject
        assert len(message.subject) <= 300 and message.subject.endswith("…")

    @pytest.mark.django_db
    def test_short_text_fits_an_sms_and_keeps_the_next_update(self):
        message = self.render(title="Outage " + "averyveryverylongword " * 30)
        assert len(message.short_text) <= 300
        assert "Next update: 12:30." in message.short_text
        head = message.short_text.split("…")[0]
        assert head.endswith("averyveryverylongword")  # cut between words, never inside one

    @pytest.mark.django_db
    def test_html_is_branded_sanitised_markdown(self, settings):
        settings.KALM_BRAND_COLOR = "#123abc"
        message = self.render(message="**Good news** <script>alert(1)</script>")
        html = message.body_html
        assert "#123abc" in html and settings.KALM_MSP_NAME in html
        assert "<strong>Good news</strong>" in html
        assert "<script>" not in html
        assert 'href="http://127.0.0.1:8000/status/midsize/"' in html or "/status/midsize/" in html
        assert "listed as a contact for MidSize Manufacturing BV" in html

    @pytest.mark.django_db
    def test_a_bad_brand_colour_cannot_inject_css(self, settings):
        settings.KALM_BRAND_COLOR = "red; background:url(x)"
        assert "url(x)" not in self.render().body_html

    @pytest.mark.django_db
    def test_footer_names_the_role_in_the_message_language(self):
        message = render_message(kind=MessageKind.UPDATE, audience=Audience.EXECUTIVE, language="nl",
                                 context=sample_context("nl"), role="executives")
        assert "als contactpersoon (" in message.body_html
        assert 'lang="nl"' in message.body_html

    def test_body_text_has_no_runs_of_blank_lines(self):
        message = render_default(MessageKind.ACKNOWLEDGMENT, Audience.OPERATIONAL, "en",
                                 sample_context("en") | {"business_impact": "", "eta": "", "workaround": ""})
        assert "\n\n\n" not in message.body_text and not message.body_text.endswith("\n")


@pytest.fixture
def midday(time_machine):
    """Ten o'clock in Amsterdam: the next update (an hour on) falls on the same day, so it is a time alone."""
    time_machine.move_to(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False)


@pytest.mark.django_db
class TestMessageContext:
    def test_has_exactly_the_allowed_keys_and_only_plain_values(self, incident, customer):
        context = message_context(incident=incident, customer=customer, language="en")
        assert set(context) == ALLOWED_VARIABLES
        assert all(context[key] == "" for key in MAINTENANCE_VARIABLES)
        for key, value in context.items():
            if key == "components":
                assert all(isinstance(item, dict) and all(isinstance(v, str) for v in item.values())
                           for item in value)
            else:
                assert isinstance(value, str | int | bool), key

    def test_facts(self, midday, incident, customer, settings):
        context = message_context(incident=incident, customer=customer, language="en")
        assert context["number"] == incident.customer_links.get().number
        assert context["customer"] == "MidSize Manufacturing BV"
        assert context["msp"] == settings.KALM_MSP_NAME
        assert (context["severity"], context["severity_code"]) == ("Critical", "critical")
        assert (context["status"], context["status_code"]) == ("Investigating", "investigating")
        assert context["components"] == [{"name": "ERP", "status": "Partial outage"},
                                         {"name": "File server", "status": "Major outage"}]
        assert context["components_text"] == "ERP, File server"
        assert context["business_impact"] == "Production planning is down."
        # An English reader of a Dutch page gets the page in English.
        assert context["status_page_url"] == f"{settings.SITE_URL}/status/midsize/?lang=en"
        dutch = message_context(incident=incident, customer=customer, language="nl")
        assert dutch["status_page_url"] == f"{settings.SITE_URL}/status/midsize/"
        assert context["time_zone"] in {"CET", "CEST"}
        assert context["eta"] == "" and context["message"] == ""
        assert re.fullmatch(r"\d\d:\d\d", context["next_update_at"]), "today: the time alone"
        assert context["reopened"] is False and context["personal_data"] is False

    def test_message_comes_from_a_public_update_only(self, incident, customer, account_manager):
        opened = incident.updates.get()
        context = message_context(incident=incident, customer=customer, update=opened, language="en")
        assert context["message"] == "We are investigating an outage of the file server."
        note = incident_flow.post_update(incident=incident, author=account_manager, message="Call the vendor",
                                             is_internal=True)
        assert message_context(incident=incident, customer=customer, update=note, language="en")["message"] == ""

    def test_times_are_in_the_customers_zone(self, incident, customer):
        london = CustomerFactory(name="London Ltd", slug="london", incident_prefix="LON", time_zone="Europe/London")
        incident_flow.add_customer(incident=incident, customer=london, author=None)
        amsterdam_time = message_context(incident=incident, customer=customer, language="en")["started_time"]
        london_time = message_context(incident=incident, customer=london, language="en")["started_time"]
        started = incident.started_at
        assert amsterdam_time == timezone.localtime(started, zoneinfo.ZoneInfo("Europe/Amsterdam")).strftime("%H:%M")
        assert london_time == timezone.localtime(started, zoneinfo.ZoneInfo("Europe/London")).strftime("%H:%M")
        hours = [int(value[:2]) for value in (amsterdam_time, london_time)]
        assert (hours[0] - hours[1]) % 24 == 1

    def test_labels_and_dates_follow_the_language(self, incident, customer):
        english = message_context(incident=incident, customer=customer, language="en")
        dutch = message_context(incident=incident, customer=customer, language="nl")
        german = message_context(incident=incident, customer=customer, language="de")
        assert dutch["status"] == "Onderzoek loopt" != english["status"]
        assert german["severity"] == "Kritisch"
        assert dutch["components"][1]["status"] == "Grote storing"
        assert re.fullmatch(r"\d\d-\d\d-\d{4} \d\d:\d\d", dutch["started_at"])
        assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", german["started_at"])

    def test_a_time_on_another_day_carries_its_date(self, incident, customer, account_manager):
        incident_flow.post_update(incident=incident, author=account_manager, message="Parts ordered.",
                                      eta=timezone.now() + timedelta(days=2))
        incident.refresh_from_db()
        context = message_context(incident=incident, customer=customer, language="nl")
        assert re.fullmatch(r"\d\d-\d\d-\d{4} \d\d:\d\d", context["eta"])

    def test_a_shared_incident_shows_only_this_customers_components(self, incident, customer, other_customer):
        mail = ComponentFactory(customer=other_customer, name="Mail")
        incident_flow.add_customer(incident=incident, customer=other_customer, author=None,
                                       component_statuses={mail: "major_outage"})
        theirs = message_context(incident=incident, customer=other_customer, language="en")
        ours = message_context(incident=incident, customer=customer, language="en")
        assert theirs["components"] == [{"name": "Mail", "status": "Major outage"}]
        assert "Mail" not in ours["components_text"]
        assert theirs["number"].startswith("NWL-") and ours["number"].startswith("MSM-")

    def test_duration_and_reopened_after_resolution(self, incident, customer, account_manager):
        incident_flow.post_update(incident=incident, author=account_manager, message="Fixed.", status="resolved")
        incident_flow.reopen(incident=incident, author=account_manager, message="It failed again.")
        incident.refresh_from_db()
        context = message_context(incident=incident, customer=customer, language="nl")
        assert context["reopened"] is True
        assert context["duration"] == "minder dan een minuut"  # core.formatting.duration_long, in Dutch

    def test_a_real_context_renders_every_default(self, incident, customer):
        for language in LANGUAGES:
            context = message_context(incident=incident, customer=customer, language=language)
            for kind in INCIDENT_KINDS:
                for audience in Audience.values:
                    message = render_message(kind=kind, audience=audience, language=language, context=context,
                                             customer=customer)
                    assert context["number"] in message.subject


def test_a_time_across_the_dst_change_names_its_own_clock():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from core.formatting import Clock

    # 25 Oct 2026: Amsterdam goes from CEST to CET at 01:00 UTC.
    clock = Clock(tz=ZoneInfo("Europe/Amsterdam"), now=datetime(2026, 10, 25, 0, 30, tzinfo=UTC), language="en")
    assert clock.moment(datetime(2026, 10, 25, 0, 50, tzinfo=UTC)) == "02:50"  # still CEST
    assert clock.moment(datetime(2026, 10, 25, 1, 20, tzinfo=UTC)) == "02:20 CET"


@pytest.mark.parametrize(("language", "back", "still"), [
    ("en", "should work normally again", "We are still working on it"),
    ("nl", "zou weer normaal moeten werken", "Wij werken er nog aan"),
    ("de", "sollte wieder normal funktionieren", "Wir arbeiten weiter daran"),
])
@pytest.mark.parametrize("kind", ["update", "holding"])
@pytest.mark.django_db  # the template lookup reads staff overrides
def test_while_monitoring_end_users_hear_that_it_works_again(kind, language, back, still):
    """A Monitoring e-mail to end users said "we are still working on it" when service was back."""
    context = sample_context(language) | {"status_code": "monitoring", "message": ""}
    body = render_message(kind=kind, audience="end_user", language=language, context=context).body_text
    assert back in body.lower() or back in body
    assert still not in body
