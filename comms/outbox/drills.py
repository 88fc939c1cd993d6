"""Drills (flows.drills): who hears of a practice incident, and how its messages say so.

A drill runs through the same outbox as a real incident (routing, escalation, lifecycle,
coalescing, delivery), narrowed at two points: planning picks only internal recipients
(``drill_recipients``), and expansion checks it again and sends by e-mail only; the texts,
rendered after commit, are marked in the reader's language (``drill_marked``).
"""

import re

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from comms.models import Role


def drill_recipients() -> Q:
    """Who hears of a drill: the MSP's own people in the customer's directory, never the customer's.

    Kalm marks its own people among a customer's stakeholders with the role "Internal (MSP)"
    (the service desk, the account team); routing already tells that role every kind at every
    severity, so a drill still exercises routing, escalation, the lifecycle order and
    coalescing as for real, with a delivery log, a language and an audience per recipient.
    Staff user accounts are not recipients: they are no stakeholders (no audience, no
    language, no delivery log), and the drill's participants read every message in the
    incident's communication log. Status page subscribers are excluded by name too, whatever
    role they were given. Only e-mail is sent (comms.outbox.expansion): a webhook or SMS
    number, even an internal one, may feed systems or phones outside the MSP.
    """
    return Q(role=Role.INTERNAL_MSP, self_subscribed=False)


_BODY_TAG = re.compile(r"<body[^>]*>", re.IGNORECASE)


def drill_word(language: str) -> str:
    """"DRILL" in ``language`` (nl "OEFENING", de "ÜBUNG")."""
    with translation.override(language):
        return _("DRILL")


def drill_marked(*, subject: str, body_text: str, body_html: str, short_text: str,
                 language: str) -> tuple[str, str, str, str]:
    """The texts with the drill word as the subject's prefix and the body's first line.

    Applied after rendering, so no template (shipped or staff-edited) can leave it out.
    """
    word = drill_word(language)
    banner = (f'<p style="margin:0; padding:8px 24px; background-color:#b45309; color:#ffffff; '
              f'font-family:Arial, Helvetica, sans-serif; font-weight:bold;">{word}</p>')
    html = _BODY_TAG.sub(lambda found: found.group(0) + banner, body_html, count=1) if body_html else ""
    if html == body_html and body_html:
        html = banner + body_html  # a fragment without <body>
    return f"{word}: {subject}", f"{word}\n\n{body_text}", html, f"{word}: {short_text}"
