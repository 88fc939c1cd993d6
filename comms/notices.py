"""The incident page's line about deferred messages (registered with incidents.notices).

Staff who just posted a routine update should see that it did not vanish: it waits for the
recipients' interval and goes out at the time shown (comms.coalescing).
"""

from django.contrib.auth.models import AbstractBaseUser
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from comms import selectors
from incidents.models import Incident


def deferred_notice(incident: Incident, user: AbstractBaseUser) -> SafeString | str:
    deferred = selectors.deferred_for_incident(user, incident=incident)
    if not deferred["count"]:
        return ""
    html = render_to_string("comms/_deferred_notice.html", {"incident": incident, **deferred})
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, which escaped every value
