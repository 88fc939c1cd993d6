"""Message checks: each warning fires on a crafted text and stays quiet on a clean one."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from comms.messages.checks import (
    BLAME_WORDS,
    JARGON_WORDS,
    blame_found,
    had_monitoring_phase,
    jargon_found,
    mentions_workaround,
    message_warnings,
    promises_next_update,
)
from comms.models import Audience, MessageKind
from flows import incidents as incident_flow
from incidents.models import Incident

CLEAN = "The file server is down. We are working on it. Next update at 12:30."
T0 = datetime(2025, 5, 31, 9, 30, tzinfo=UTC)
T1 = datetime(2025, 5, 31, 11, 0, tzinfo=UTC)


def warnings(text, *, audience=Audience.END_USER, language="en", kind=MessageKind.UPDATE, incident=None):
    with translation.override("en"):
        return message_warnings(text=text, audience=audience, language=language, kind=kind, incident=incident)


def test_a_clean_text_has_no_warnings():
    assert warnings(CLEAN) == []


class TestJargon:
    def test_names_the_words_found_for_end_users(self):
        found = warnings("The RAID array lost a disk and DNS is slow. Next update at 12:30.")
        assert len(found) == 1
        assert "RAID" in found[0] and "DNS" in found[0]

    def test_executives_too_but_not_technical_or_operational_readers(self):
        text = "Failover to the second site; packet loss is gone. Next update at 12:30."
        assert warnings(text, audience=Audience.EXECUTIVE)
        assert warnings(text, audience=Audience.TECHNICAL) == []
        assert warnings(text, audience=Audience.OPERATIONAL) == []

    def test_whole_words_only_case_insensitive_with_plurals_and_variants(self):
        assert jargon_found("we had to reboot; the vms are back; the mx-record changed", "en") == [
            "reboot", "vms", "mx-record"]
        assert jargon_found("Sandra saved the files; this is Samantha's vmware-free laptop", "en") == []
        assert jargon_found("the IP  address changed", "en") == ["IP address"]

    def test_each_word_is_named_once(self):
        assert jargon_found("DNS, dns and DNS again", "en") == ["DNS"]

    def test_language_specific_words(self):
        assert jargon_found("Er was pakketverlies op de verbinding.", "nl") == ["pakketverlies"]
        assert jargon_found("Die Latenz war hoch.", "de") == ["Latenz"]
        assert jargon_found("Die Latenz war hoch.", "en") == []

    def test_word_lists_are_data(self):
        assert set(JARGON_WORDS) == set(BLAME_WORDS) == {"en", "nl", "de"}


class TestBlame:
    @pytest.mark.parametrize(("language", "text"), [
        ("en", "The outage was caused by user error."),
        ("en", "This was the fault of your supplier."),
        ("en", "Your staff deleted the share."),
        ("nl", "Dit was de schuld van de leverancier."),
        ("nl", "Door nalatig beheer ging het mis."),
        ("de", "Die Schuld liegt beim Lieferanten."),
        ("de", "Ein Fehler des Kunden hat den Ausfall ausgelöst."),
        ("de", "Das war fahrlässig."),
    ])
    def test_blame_is_flagged_for_every_audience(self, language, text):
        for audience in Audience.values:
            found = warnings(f"{text} 12:30", audience=audience, language=language)
            assert len(found) == 1 and "blame" in found[0]

    def test_apologies_are_not_blame(self):
        assert blame_found("Wir bitten, die Unannehmlichkeiten zu entschuldigen.", "de") == []
        assert blame_found("Onze excuses voor het ongemak; het was onschuldig ogend.", "nl") == []
        assert blame_found("We apologise for the inconvenience.", "en") == []


class TestPrematureResolution:
    def test_resolution_without_a_monitoring_phase(self, incident):
        assert incident.monitoring_at is None
        found = warnings("All is working again.", kind=MessageKind.RESOLUTION, incident=incident)
        assert len(found) == 1 and "monitoring" in found[0]

    def test_resolving_straight_from_identified_is_no_monitoring_phase(self, incident, account_manager):
        incident_flow.post_update(incident=incident, author=account_manager, message="Fixed.", status="resolved")
        incident.refresh_from_db()
        assert incident.monitoring_at == incident.resolved_at
        assert not had_monitoring_phase(incident)

    def test_resolution_after_monitoring_is_fine(self, incident, account_manager):
        incident_flow.post_update(incident=incident, author=account_manager, message="Watching.",
                                      status="monitoring")
        incident.refresh_from_db()
        assert warnings("All is working again.", kind=MessageKind.RESOLUTION, incident=incident) == []

    def test_monitored_and_then_resolved(self):
        assert had_monitoring_phase(Incident(monitoring_at=T0, resolved_at=T1))
        assert not had_monitoring_phase(Incident(monitoring_at=T1, resolved_at=T1))

    def test_only_the_resolution_kind_claims_resolved(self, incident):
        assert warnings(CLEAN, kind=MessageKind.UPDATE, incident=incident) == []


class TestNextUpdate:
    @pytest.mark.parametrize("kind", [MessageKind.ACKNOWLEDGMENT, MessageKind.UPDATE, MessageKind.HOLDING,
                                      MessageKind.ESCALATION])
    def test_open_incident_kinds_must_say_when_the_next_update_comes(self, kind):
        found = warnings("We are working on it.", kind=kind)
        assert len(found) == 1 and "next update" in found[0].lower()

    @pytest.mark.parametrize("kind", [MessageKind.RESOLUTION, MessageKind.POST_INCIDENT,
                                      MessageKind.MAINTENANCE_COMPLETED])
    def test_other_kinds_need_not(self, kind):
        assert warnings("Everything works again.", kind=kind) == []

    @pytest.mark.parametrize(("language", "text"), [
        ("en", "We will send the next update soon."),
        ("en", "More at 9:45."),
        ("nl", "De volgende update volgt zo snel mogelijk."),
        ("nl", "Wij melden ons om 14.00 uur."),
        ("de", "Das nächste Update folgt in Kürze."),
        ("de", "Wir melden uns um 14.00 Uhr."),
    ])
    def test_a_time_or_a_phrase_counts(self, language, text):
        assert promises_next_update(text, language)

    def test_numbers_that_are_not_times_do_not_count(self):
        assert not promises_next_update("Version 2.50 is affected on 3 servers; 25:99 is no time.", "en")


class TestWorkaround:
    WORKAROUND = "Use webmail at https://mail.example.com until the mail client works again."

    def incident(self):
        return Incident(workaround=self.WORKAROUND)

    def test_missing_workaround_is_flagged(self):
        found = warnings(CLEAN, incident=self.incident())
        assert len(found) == 1 and "workaround" in found[0] and self.WORKAROUND in found[0]

    def test_workaround_quoted_or_shortened_is_fine(self):
        assert warnings(f"{CLEAN}\n**Meanwhile:** {self.WORKAROUND}", incident=self.incident()) == []
        shortened = "Use webmail at https://mail.example.com for now."
        assert mentions_workaround(f"{CLEAN} {shortened}", self.WORKAROUND)

    def test_whitespace_and_case_do_not_matter(self):
        assert mentions_workaround("USE WEBMAIL at\nhttps://mail.example.com until the mail client", self.WORKAROUND)

    def test_no_workaround_nothing_to_pass_on(self):
        assert mentions_workaround(CLEAN, "")
        assert warnings(CLEAN, incident=Incident(workaround="")) == []

    def test_only_for_messages_while_the_incident_is_open(self):
        assert warnings("All is working again.", kind=MessageKind.POST_INCIDENT, incident=self.incident()) == []

