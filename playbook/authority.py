"""Who may publish and who may raise the severity, once the response team has formed.

The rule, kept small so no existing flow breaks: while nobody has acknowledged the incident
lead or communications lead role, everyone who may act on the incident may do everything,
as before the playbook. Once one of them has, a public update may be posted only by the
incident lead, the communications lead or a manager, and the severity may be raised only
by the incident lead, the technical lead or a manager. Internal notes, lowering the
severity and automatic updates (no author) are never restricted. ``flows.incidents.post_update``
calls ``check_update`` first, so the console and the API refuse the same way (a
``ValidationError`` on the field: 422).
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents import selectors as incident_selectors
from incidents.models import Incident, Severity
from playbook.models import RoleAssignment, RoleCode
from playbook.roles import MAY_PUBLISH, MAY_RAISE_SEVERITY


def team_formed(incident: Incident) -> bool:
    return RoleAssignment.objects.filter(incident=incident, acknowledged_at__isnull=False,
                                         role__in=(RoleCode.INCIDENT_LEAD, RoleCode.COMMUNICATIONS_LEAD)).exists()


def check_update(*, incident: Incident, author: AbstractBaseUser | None, is_internal: bool = False,
                 severity: str | None = None, **_facts) -> None:
    if author is None or not getattr(author, "is_authenticated", False) or incident_selectors.user_is_manager(author):
        return
    raises = severity is not None and Severity.rank(severity) < Severity.rank(incident.severity)
    if (is_internal and not raises) or not team_formed(incident):
        return
    held = set(RoleAssignment.objects.filter(incident=incident, user_id=author.pk).values_list("role", flat=True))
    errors = {}
    if not is_internal and not held & set(MAY_PUBLISH):
        errors["message"] = _("The response team has formed: only the incident lead, the communications lead or "
                              "a manager may publish an update. Post it as an internal note instead.")
    if raises and not held & set(MAY_RAISE_SEVERITY):
        errors["severity"] = _("Only the incident lead, the technical lead or a manager may raise the severity.")
    if errors:
        raise ValidationError(errors)
