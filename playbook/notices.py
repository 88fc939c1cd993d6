"""The playbook's staff e-mails: an assignment (with its one-click acknowledgment link), an
assignment nobody acknowledged, and checklist items past due.

Sent through ``comms.messages.staff_notices.staff_notice_send`` (after commit, each address
separately, never retried: the incident page shows the same state). Unlike the cadence's
notices these go to named people, so each is written in that person's language (the one
they last used the console in, ``accounts.AccountPreferences``, else the site language).
Staff have only an e-mail address in Kalm (SMS, Teams and Slack are stakeholders'
channels), so e-mail is the one transport.
"""

from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comms.messages.staff_notices import staff_notice_send_to_users
from core.formatting import Clock
from core.texts import localized
from incidents.models import Incident, Severity
from playbook.models import ChecklistItem, RoleAssignment, RoleCode
from playbook.roles import ROLES
from playbook.selectors import MANAGER_PERMISSION, person_name
from playbook.tokens import ack_token

Build = Callable[[], tuple[str, str]]  # (subject, body), called with the recipient's language active


def send_to(users: Iterable[AbstractBaseUser], build: Build, *, incident: Incident) -> int:
    """One notice per language among ``users``; a drill's are marked (DRILL / OEFENING / ÜBUNG)."""
    return staff_notice_send_to_users(users, build, drill=incident.is_drill)


def managers_and_account_managers(incident: Incident) -> list[AbstractBaseUser]:
    manager = (Q(is_superuser=True) | Q(user_permissions__codename=MANAGER_PERMISSION)
               | Q(groups__permissions__codename=MANAGER_PERMISSION))
    return list(get_user_model().objects.filter(manager | Q(managed_customers__incident_links__incident=incident),
                                                is_active=True).distinct())


def _about(incident: Incident) -> dict[str, str]:
    """The incident's number and title in the active language, and its console address."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    title = localized(incident, "title", language, written_in=incident.language)
    link = incident.customer_links.order_by("added_at", "id").first()
    return {"incident": f"{link.number} {title}" if link else title,
            "url": settings.SITE_URL + reverse("incidents:detail", args=[incident.pk])}


def moment(incident: Incident, value) -> str:
    clock = Clock(tz=ZoneInfo(incident.time_zone), now=timezone.now(), language=translation.get_language() or "en")
    return f"{clock.date_time(value)} {clock.local(value).tzname()}"


def role_assigned(assignment: RoleAssignment, *, proposed: bool = False) -> int:
    """To the person given the role: what it means, the one-click acknowledgment, the incident."""
    incident, info = assignment.incident, ROLES[assignment.role]
    ack_url = settings.SITE_URL + reverse("playbook:role_ack_link", args=[ack_token(assignment)])
    minutes = settings.KALM_ROLE_ACK_MINUTES

    def build() -> tuple[str, str]:
        values = {**_about(incident), "role": RoleCode(assignment.role).label, "ack": ack_url, "minutes": minutes,
                  "responsibility": info.responsibility, "authority": info.authority,
                  "by": person_name(assignment.assigned_by) if assignment.assigned_by else _("the standby rota")}
        subject = _("You are %(role)s: %(incident)s (%(severity)s)") % {
            **values, "severity": Severity.short_label(incident.severity)}
        intro = (_("You are on standby, so Kalm proposes you as %(role)s for %(incident)s.") if proposed
                 else _("%(by)s made you %(role)s for %(incident)s.")) % values
        body = intro + "\n\n" + _(
            "Responsibility: %(responsibility)s\nAuthority: %(authority)s\n\n"
            "Acknowledge with one click (you may be asked to sign in):\n%(ack)s\n\n"
            "If you do not acknowledge within %(minutes)s minutes, the assignment is escalated.\n\n"
            "The incident:\n%(url)s") % values
        return subject, body

    return send_to([assignment.user], build, incident=assignment.incident)


def role_unacknowledged(assignment: RoleAssignment, recipients: list[AbstractBaseUser]) -> int:
    """To the incident lead (or the managers and account managers): a role nobody took up."""
    incident = assignment.incident

    def build() -> tuple[str, str]:
        values = {**_about(incident), "role": RoleCode(assignment.role).label, "person": person_name(assignment.user),
                  "since": moment(incident, assignment.assigned_at)}
        subject = _("Not acknowledged: %(role)s for %(incident)s") % values
        body = _("%(person)s was made %(role)s for %(incident)s at %(since)s and has not acknowledged. "
                 "Reach them, or give the role to someone else on the incident page:\n%(url)s") % values
        return subject, body

    return send_to(recipients, build, incident=incident)


def checklist_due(item: ChecklistItem, recipients: list[AbstractBaseUser], *, due_at, escalated: bool) -> int:
    """To the item's owner when it falls due; to the incident lead when it is still open later."""
    incident = item.incident

    def build() -> tuple[str, str]:
        language = translation.get_language() or settings.LANGUAGE_CODE
        values = {**_about(incident), "item": item.text(language[:2]), "due": moment(incident, due_at),
                  "owner": RoleCode(item.owner_role).label}
        if escalated:
            subject = _("Checklist item overdue: %(incident)s") % values
            body = _("This checklist item of %(incident)s was due at %(due)s and is still open (owner: %(owner)s):"
                     "\n\n%(item)s\n\nFollow it up on the incident page:\n%(url)s") % values
        else:
            subject = _("Checklist item due: %(incident)s") % values
            body = _("This checklist item of %(incident)s is due (%(due)s), and it is yours as %(owner)s:"
                     "\n\n%(item)s\n\nMark it done on the incident page:\n%(url)s") % values
        return subject, body

    return send_to(recipients, build, incident=incident)
