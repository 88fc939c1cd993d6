"""Second opinion on a message before it goes out: the seeds' communication failure patterns.

The composer and the template editor show these warnings next to the text. They advise
and never block: the account manager knows things a word list does not. What they
catch is what damages trust most in practice: jargon for people who cannot decode it,
anything that sounds like blame, "resolved" before the fix was watched for a while, a
message that does not say when the next one comes, and a workaround that exists but is
not passed on.

The word lists are plain module data so they are easy to extend. Terms are matched as
whole words, case-insensitively; a space or hyphen in a term matches a space, a hyphen
or nothing ("MX record", "MX-record", "MXrecord"), and a trailing plural "s" is allowed.
"""

import functools
import re

from django.utils.translation import gettext as _

from comms.models import Audience, MessageKind
from incidents.models import Incident

# Technical words that mean nothing to end users and executives, in every language.
COMMON_JARGON: tuple[str, ...] = (
    "RAID", "DNS", "DHCP", "VLAN", "BGP", "SMTP", "IMAP", "MX record", "SAN", "NAS", "hypervisor", "VM",
    "virtual machine", "failover", "fail-over", "latency", "packet loss", "firewall rule", "root cause analysis",
    "RCA", "reboot", "rebooted", "rebooting", "IP address", "subnet", "load balancer", "SSL certificate", "TLS",
    "Active Directory", "LDAP", "SNMP", "IOPS", "kernel", "rollback", "rebuild", "storage array", "VPN tunnel",
)
JARGON_WORDS: dict[str, tuple[str, ...]] = {
    "en": (),
    "nl": ("MX-record", "virtuele machine", "latentie", "pakketverlies", "firewallregel", "oorzaakanalyse",
           "root cause analyse", "IP-adres", "loadbalancer", "SSL-certificaat", "herstart van de server"),
    "de": ("MX-Eintrag", "virtuelle Maschine", "Latenz", "Paketverlust", "Firewallregel", "Firewall-Regel",
           "Root-Cause-Analyse", "IP-Adresse", "Lastverteiler", "SSL-Zertifikat", "Neustart des Servers"),
}

# Words that point at someone. Customer-facing text says what happened and what is done.
BLAME_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("fault of", "your fault", "their fault", "blame", "blamed", "to blame", "negligence", "negligent",
           "your staff", "your employees caused", "user error", "careless", "carelessness", "mistake by your"),
    "nl": ("schuld", "de schuld van", "nalatig", "nalatigheid", "uw personeel", "door uw medewerkers",
           "gebruikersfout", "fout van de klant", "onzorgvuldig"),
    "de": ("Schuld", "schuld an", "fahrlässig", "Fahrlässigkeit", "Fehler des Kunden", "Ihr Personal",
           "durch Ihre Mitarbeiter", "Anwenderfehler", "Bedienfehler", "unachtsam"),
}

NEXT_UPDATE_PHRASES: dict[str, tuple[str, ...]] = {
    "en": ("next update", "next message", "hear from us again"),
    "nl": ("volgende update", "volgend bericht", "weer van ons"),
    "de": ("nächste", "nächstes", "wieder von uns"),
}

JARGON_AUDIENCES = frozenset({Audience.END_USER, Audience.EXECUTIVE})
# Kinds sent while the incident is open: each must promise the next update and pass on the workaround.
OPEN_INCIDENT_KINDS = frozenset({MessageKind.ACKNOWLEDGMENT, MessageKind.UPDATE, MessageKind.HOLDING,
                                 MessageKind.ESCALATION})

# "12:30" anywhere, or the Dutch/German "12.30 uur" / "12.30 Uhr".
_TIME = re.compile(
    r"(?<![\d:])(?:[01]?\d|2[0-3]):[0-5]\d(?![\d:])"
    r"|(?<![\d.])(?:[01]?\d|2[0-3])\.[0-5]\d\s*(?:uur|Uhr)\b",
    re.IGNORECASE,
)
_WORKAROUND_PREFIX = 40  # characters of the workaround that must appear when it is shortened


def message_warnings(*, text: str, audience: str, language: str, kind: str, incident: Incident | None) -> list[str]:
    """Translated warnings (in the active UI language) about ``text``, a subject and body to be sent."""
    warnings: list[str] = []
    if audience in JARGON_AUDIENCES and (words := jargon_found(text, language)):
        warnings.append(_("Words your readers may not know: %(words)s. Say what it means for them instead.")
                        % {"words": ", ".join(words)})
    if words := blame_found(text, language):
        warnings.append(_("This sounds like blame (%(words)s). Say what happened and what is being done; "
                          "leave out who is at fault.") % {"words": ", ".join(words)})
    if kind == MessageKind.RESOLUTION and incident is not None and not had_monitoring_phase(incident):
        warnings.append(_("This announces the fix, but the incident was never in the monitoring phase. "
                          "Watch it for a while first: an early “resolved” costs credibility if the problem returns."))
    if kind in OPEN_INCIDENT_KINDS and not promises_next_update(text, language):
        warnings.append(_("Say when the next update comes, for example “Next update at 12:30”."))
    if kind in OPEN_INCIDENT_KINDS and incident is not None and not mentions_workaround(text, incident.workaround):
        warnings.append(_("There is a workaround, but this text does not pass it on: “%(workaround)s”")
                        % {"workaround": incident.workaround})
    return warnings


def jargon_found(text: str, language: str) -> list[str]:
    return _found(text, COMMON_JARGON + JARGON_WORDS.get(language, ()))


def blame_found(text: str, language: str) -> list[str]:
    return _found(text, BLAME_WORDS.get(language, BLAME_WORDS["en"]))


def had_monitoring_phase(incident: Incident) -> bool:
    """True when the incident spent time in monitoring before (or without yet) being resolved.

    Resolving straight from "identified" stamps ``monitoring_at`` at the same moment as
    ``resolved_at``; that is no monitoring phase either.
    """
    if incident.monitoring_at is None:
        return False
    return incident.resolved_at is None or incident.monitoring_at < incident.resolved_at


def promises_next_update(text: str, language: str) -> bool:
    if _TIME.search(text):
        return True
    folded = text.casefold()
    phrases = NEXT_UPDATE_PHRASES.get(language, ()) + NEXT_UPDATE_PHRASES["en"]
    return any(phrase.casefold() in folded for phrase in phrases)


def mentions_workaround(text: str, workaround: str) -> bool:
    """True without a workaround, or when the text contains it (or at least how it starts)."""
    wanted = _normalise(workaround)
    if not wanted:
        return True
    prefix = wanted[:_WORKAROUND_PREFIX]
    if len(wanted) > _WORKAROUND_PREFIX and " " in prefix:
        prefix = prefix.rsplit(" ", 1)[0]
    return prefix in _normalise(text)


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def _found(text: str, terms: tuple[str, ...]) -> list[str]:
    """The terms that occur in ``text``, as written there, first occurrence first, each once."""
    seen: dict[str, str] = {}
    for match in _pattern(terms).finditer(text):
        word = " ".join(match.group(0).split())
        seen.setdefault(word.casefold(), word)
    return list(seen.values())


@functools.lru_cache(maxsize=32)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted({_term_regex(term) for term in terms}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?:'?s)?(?!\w)", re.IGNORECASE)


def _term_regex(term: str) -> str:
    return r"[\s-]*".join(re.escape(part) for part in re.split(r"[\s-]+", term.strip()))
