"""The rules a change to an incident must satisfy, checked before anything is written.

Each check collects every problem into one ``ValidationError`` keyed by field name, so the
console and the API show each next to its field; ``incidents.services`` calls them first.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.bounds import AHEAD, BACK, ETA_GRACE
from incidents.components import ComponentStatuses, check_component_values
from incidents.models import OPEN_STATUSES, ComponentStatus, Customer, Incident, Severity, Status


def check_open(*, customer, status, message, component_statuses, started_at, eta, now) -> None:
    errors: dict[str, str] = {}
    if status not in OPEN_STATUSES:
        errors["status"] = _("A new incident must start open (investigating, identified or monitoring).")
    if not message.strip():
        errors["message"] = _("Write the first public message: it is the acknowledgment stakeholders see.")
    foreign = [c.name for c in component_statuses if c.customer_id != customer.pk]
    if foreign:
        errors["components"] = _("These components belong to another customer: %(names)s") % {
            "names": ", ".join(foreign)
        }
    if started_at and started_at > now + timedelta(minutes=5):
        errors["started_at"] = _("The start time cannot be in the future.")
    elif started_at and started_at < now - BACK:
        errors["started_at"] = _("The start time cannot be more than a year ago.")
    check_eta(eta, now, errors)
    check_component_values(component_statuses, errors)
    if errors:
        raise ValidationError(errors)


def check_component_scope(component_statuses: ComponentStatuses, customers: Iterable[Customer] | None) -> None:
    """Refuse components of customers the author may not change (a shared incident's other parts)."""
    if customers is None:
        return
    allowed = {customer.pk for customer in customers}
    if any(component.customer_id not in allowed for component in component_statuses):
        # Not named: the caller may not even know what they are called.
        raise ValidationError({"components": _("Only components of your own customers can be changed.")})


# Facts the public sees (status page, messages); an internal note may not change them.
_PUBLIC_FACTS = {"workaround", "title", "eta"}


def check_update(*, incident, message, is_internal, status, severity, component_statuses, changed, now) -> None:
    errors: dict[str, str] = {}
    check_eta(changed.get("eta"), now, errors)  # only a new one: an ETA already given may have passed since
    changes_public_facts = (
        status != incident.status
        or severity != incident.severity
        or bool(component_statuses)
        or bool(_PUBLIC_FACTS & set(changed))
    )
    if incident.status == Status.RESOLVED:
        errors["status"] = _("This incident is resolved. Reopen it to post updates.")
    elif is_internal and not message:
        errors["message"] = _("An internal note needs text.")
    elif is_internal and changes_public_facts:
        errors["is_internal"] = _(
            "An internal note cannot change status, severity, components, ETA or workaround; "
            "post a public update instead."
        )
    elif status == Status.RESOLVED and not message:
        errors["message"] = _("Resolving needs a public message that tells stakeholders what was done.")
    elif not message and not changes_public_facts and not changed:
        errors["message"] = _("Write a message or change something: this update would say nothing.")
    if status == Status.RESOLVED and any(value != ComponentStatus.OPERATIONAL for value in component_statuses.values()):
        errors["components"] = _("A resolved incident leaves its components operational.")
    if status not in Status.values:
        errors["status"] = _("Unknown status.")
    if severity not in Severity.values:
        errors["severity"] = _("Unknown severity.")
    foreign = [c.name for c in component_statuses if c.customer_id not in _customer_ids(incident)]
    if foreign:
        errors["components"] = _("These components belong to a customer this incident does not affect: %(names)s") % {
            "names": ", ".join(foreign)
        }
    check_component_values(component_statuses, errors)
    if errors:
        raise ValidationError(errors)


def check_eta(eta: datetime | None, now: datetime, errors: dict[str, str]) -> None:
    if eta is None:
        return
    if eta < now - ETA_GRACE:
        errors["eta"] = _("The expected resolution has already passed: give a time in the future.")
    elif eta > now + AHEAD:
        errors["eta"] = _("Give an expected resolution within a year from now.")


def _customer_ids(incident: Incident) -> set[int]:
    return set(incident.customer_links.values_list("customer_id", flat=True))
