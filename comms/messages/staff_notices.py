"""E-mails to the MSP's own staff: the reminders and escalations the cadence tick raises, the
notice that one of a customer's webhook or chat endpoints was quarantined, and the notice that a
message template failed at send time (the shipped default went out instead).

These are not stakeholder messages (those are Communications: templates, routing, a
delivery log). They are short internal notes to account managers and managers, sent
with the default Django mailer once the tick's transaction has committed, so a claim
that rolls back never mails. A failed send is logged and not retried: the console shows
the same state from the data (due badges, countdowns, clocks), so a lost e-mail never
hides a deadline.

Notices about the whole team (the cadence's) use the site language; notices to named people
(``staff_notice_send_to_users``: roles, checklist items, remediation actions) are written in
each person's console language (``staff_language``).
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from comms.directory.addresses import masked_address
from comms.models import Audience, Channel, MessageKind, MessageTemplate
from comms.outbox.drills import drill_marked
from core.formatting import Clock
from incidents.models import Customer, Incident, RegulatoryClock

logger = logging.getLogger(__name__)

MANAGER_PERMISSION = "view_all_customers"  # incidents.view_all_customers: sees every customer


def account_manager_emails(incident: Incident) -> list[str]:
    """The account managers of every customer the incident affects."""
    users = get_user_model().objects.filter(managed_customers__incident_links__incident=incident, is_active=True)
    return _emails(users)


def manager_emails() -> list[str]:
    """Managers: users who may act on every customer's incidents (directly or by group), and superusers."""
    granted = Q(user_permissions__codename=MANAGER_PERMISSION, user_permissions__content_type__app_label="incidents")
    by_group = Q(groups__permissions__codename=MANAGER_PERMISSION,
                 groups__permissions__content_type__app_label="incidents")
    users = get_user_model().objects.filter(Q(is_superuser=True) | granted | by_group, is_active=True)
    return _emails(users)


def _emails(users) -> list[str]:
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


def staff_language(user: AbstractBaseUser) -> str:
    """The language the user last used the console in (accounts.AccountPreferences), else the site's."""
    try:
        chosen = user.kalm_preferences.language  # the reverse accessor: accounts sits above comms
    except (AttributeError, ObjectDoesNotExist):
        chosen = ""
    return chosen or settings.LANGUAGE_CODE


def staff_notice_send_to_users(users: Iterable[AbstractBaseUser], build: Callable[[], tuple[str, str]], *,
                               drill: bool = False) -> int:
    """One notice per language among ``users`` (active, with an address), ``build()`` giving its
    (subject, body) with that language active; returns how many addresses will be mailed."""
    by_language: dict[str, set[str]] = defaultdict(set)
    for user in users:
        if user.email and user.is_active:
            by_language[staff_language(user)].add(user.email)
    sent = 0
    for language, addresses in sorted(by_language.items()):
        with translation.override(language):
            subject, body = build()
        sent += staff_notice_send(recipients=addresses, subject=subject, body=body, drill=drill, language=language)
    return sent


def staff_notice_send(*, recipients: Iterable[str], subject: str, body: str, drill: bool = False,
                      language: str | None = None) -> int:
    """Mail each recipient separately after commit; returns how many will be mailed.

    ``drill``: the notice is about a drill (flows.drills), marked as such like its stakeholder
    messages, in ``language`` (the notice's; default the site language).
    """
    addresses = sorted(set(recipients))
    if drill:
        subject, body, _html, _short = drill_marked(subject=subject, body_text=body, body_html="", short_text="",
                                                    language=language or settings.LANGUAGE_CODE)
    if addresses:
        transaction.on_commit(lambda: _send(addresses, subject, body))
    return len(addresses)


def _send(addresses: list[str], subject: str, body: str) -> None:
    headers = {"Auto-Submitted": "auto-generated"}  # RFC 3834: no out-of-office replies
    messages = [EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address],
                             headers=headers) for address in addresses]
    try:
        mailers.default.send_messages(messages)
    except (OSError, ValueError):  # smtplib errors are OSErrors; ValueError: a bad address or header
        logger.exception("staff notice %r not sent to %s", subject, ", ".join(addresses))


# --- the notices ------------------------------------------------------------------------


def update_reminder(*, incident: Incident, due_at: datetime, holding: bool) -> int:
    """To the account managers, before a promised update is due."""
    with translation.override(settings.LANGUAGE_CODE):
        then = (_("If nothing is posted by then, an automatic holding update goes out.") if holding
                else _("If nothing is posted by then, the manager is alerted."))
        body = _("The next public update for %(incident)s is due at %(due)s.\n\n%(then)s\n\nPost it, or "
                 "postpone it with a reason, on the incident page:\n%(url)s") % {
            **_about(incident), "due": _moment(incident, due_at), "then": then}
        subject = _("Update due at %(due)s: %(incident)s") % {**_about(incident), "due": _moment(incident, due_at)}
    return staff_notice_send(recipients=account_manager_emails(incident), subject=subject, body=body,
                             drill=incident.is_drill)


def update_overdue(*, incident: Incident, due_at: datetime) -> int:
    """To the managers, when a promised update is late past the contract's threshold."""
    with translation.override(settings.LANGUAGE_CODE):
        minutes = int((timezone.now() - due_at).total_seconds() // 60)
        values = {**_about(incident), "due": _moment(incident, due_at), "minutes": minutes}
        subject = _("Overdue update (%(minutes)d min): %(incident)s") % values
        body = _("The public update for %(incident)s was promised for %(due)s and is %(minutes)d minutes late. "
                 "Stakeholders have heard nothing since.\n\n%(url)s") % values
    return staff_notice_send(recipients=manager_emails() + account_manager_emails(incident), subject=subject,
                             body=body, drill=incident.is_drill)


def clock_reminder(*, clock: RegulatoryClock, fraction: float) -> int:
    """To account managers and managers, at 50%, 75% and 90% of a legal notification deadline."""
    incident = clock.incident
    with translation.override(settings.LANGUAGE_CODE):
        values = {**_about(incident), "regime": clock.get_regime_display(), "percent": round(fraction * 100),
                  "deadline": _moment(incident, clock.deadline_at)}
        subject = _("%(percent)d%% of the deadline used: %(regime)s, %(incident)s") % values
        body = _("%(regime)s for %(incident)s: %(percent)d%% of the time has passed; the deadline is "
                 "%(deadline)s.\n\nKalm does not file this notification for you. Prepare it with the "
                 "regulatory-notification template, file it, and mark it filed on the incident page:\n%(url)s"
                 ) % values
    recipients = account_manager_emails(incident) + manager_emails()
    return staff_notice_send(recipients=recipients, subject=subject, body=body, drill=incident.is_drill)


def post_incident_reminder(*, incident: Incident, due_at: datetime) -> int:
    """To the account managers, before the post-incident summary is due."""
    with translation.override(settings.LANGUAGE_CODE):
        values = {**_about(incident), "due": _moment(incident, due_at)}
        subject = _("Post-incident summary due at %(due)s: %(incident)s") % values
        body = _("The post-incident summary for %(incident)s is due at %(due)s (24 hours after resolution)."
                 "\n\n%(url)s") % values
    return staff_notice_send(recipients=account_manager_emails(incident), subject=subject, body=body,
                             drill=incident.is_drill)


def post_incident_overdue(*, incident: Incident, due_at: datetime) -> int:
    """To the managers (and account managers) when the post-incident summary is late."""
    with translation.override(settings.LANGUAGE_CODE):
        values = {**_about(incident), "due": _moment(incident, due_at)}
        subject = _("Post-incident summary overdue: %(incident)s") % values
        body = _("The post-incident summary for %(incident)s was due at %(due)s and has not been sent."
                 "\n\n%(url)s") % values
    return staff_notice_send(recipients=manager_emails() + account_manager_emails(incident), subject=subject,
                             body=body, drill=incident.is_drill)


def endpoint_quarantined(*, customer: Customer, channel: str, address: str, failures: int, error: str) -> int:
    """To the customer's account managers, when one of its webhook or chat endpoints is quarantined.

    The caller mails this once per quarantine (comms.outbox.delivery, under the endpoint's row lock).
    The address is masked: a webhook URL's path works like a password.
    """
    with translation.override(settings.LANGUAGE_CODE):
        values = {"customer": customer.name, "channel": Channel(channel).label,
                  "endpoint": masked_address(channel, address), "failures": failures, "error": error[:500],
                  "url": settings.SITE_URL + reverse("comms:log")}
        subject = _("Endpoint quarantined: %(channel)s %(endpoint)s of %(customer)s") % values
        body = _("Kalm stopped sending to the %(channel)s endpoint %(endpoint)s of %(customer)s after "
                 "%(failures)d failed deliveries in a row. The last error was:\n\n%(error)s\n\nNothing is "
                 "sent there until the endpoint is released. Ask the customer to fix it, then release it "
                 "from the quarantine notice in the console:\n%(url)s") % values
    managers = customer.account_managers.filter(is_active=True)
    return staff_notice_send(recipients=_emails(managers), subject=subject, body=body)


def template_failed(*, template: MessageTemplate, customer: Customer, error: str) -> int:
    """To whoever can fix it, when a stored message template failed for a message to ``customer``.

    A customer's own template: its account managers; an MSP-wide one: the managers (only they
    may edit it). The caller mails this once per version of the template
    (comms.messages.templates.message_template_failed).
    """
    query = {"kind": template.kind, "audience": template.audience, "language": template.language}
    if template.customer_id:
        query["customer"] = template.customer.slug
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "template": f"{MessageKind(template.kind).label} · {Audience(template.audience).label} · "
                        f"{template.language.upper()}",
            "scope": template.customer.name if template.customer_id else _("all customers (MSP-wide)"),
            "customer": customer.name, "error": error[:1000],
            "url": f"{settings.SITE_URL}{reverse('comms:template_edit')}?{urlencode(query)}",
        }
        subject = _("Message template failed for %(customer)s: %(template)s") % values
        body = _("The message template %(template)s for %(scope)s could not be used for a message to "
                 "%(customer)s:\n\n%(error)s\n\nThe message went out with the shipped default text instead, "
                 "and messages will until the template works again. Fix the template and save it:\n%(url)s"
                 ) % values
    if template.customer_id:
        recipients = _emails(template.customer.account_managers.filter(is_active=True))
    else:
        recipients = manager_emails()
    return staff_notice_send(recipients=recipients, subject=subject, body=body)


def alert_published_unattended(*, incident: Incident, alerts: int, waited_minutes: int) -> int:
    """To the account managers, when a draft alert nobody acted on went out at the acknowledgment target."""
    with translation.override(settings.LANGUAGE_CODE):
        values = {**_about(incident), "alerts": alerts, "minutes": waited_minutes}
        subject = _("Published without you: %(incident)s") % values
        body = _("Nobody acted on %(alerts)d alert(s) in the alert inbox within the acknowledgment target of "
                 "%(minutes)d minutes, so Kalm opened %(incident)s and sent the acknowledgment with the default "
                 "wording. Check it and post the next update:\n%(url)s") % values
    return staff_notice_send(recipients=account_manager_emails(incident), subject=subject, body=body,
                             drill=incident.is_drill)


def _about(incident: Incident) -> dict[str, str]:
    link = incident.first_link
    name = f"{link.number} {incident.title}" if link else incident.title
    return {"incident": name, "url": settings.SITE_URL + reverse("incidents:detail", args=[incident.pk])}


def _moment(incident: Incident, value: datetime) -> str:
    """Date, time and zone abbreviation in the incident's zone: staff read these across days and DST."""
    clock = Clock(tz=ZoneInfo(incident.time_zone), now=timezone.now(), language=translation.get_language() or "en")
    return f"{clock.date_time(value)} {clock.local(value).tzname()}"
