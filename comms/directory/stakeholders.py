"""Stakeholder writes: create, update, deactivate, and the CSV import.

Plain typed functions (the project's service layer). Every write runs ``full_clean()`` and
the stakeholder rules below before ``save()``, inside one transaction. The import is all
or nothing: when any row it is given is invalid, nothing is written.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from comms.models import Audience, Role, Stakeholder
from comms.transports.outbound import configured_allow, ip_literal, url_refusal
from incidents.models import Component, Customer, Language

PHONE_E164 = re.compile(r"\+[1-9]\d{6,14}")
WEBHOOK_FIELDS = ("teams_webhook_url", "slack_webhook_url", "webhook_url")
CHANNEL_FIELDS = ("email", "phone", *WEBHOOK_FIELDS)

IMPORT_COLUMNS = ("name", "role", "audience", "language", "email", "phone", *WEBHOOK_FIELDS, "components")
REQUIRED_COLUMNS = ("name", "role", "audience")
MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 5000

Errors = dict[str, list[str]]


@dataclass
class StakeholderData:
    """Everything a stakeholder form or an import row sets."""

    name: str
    role: str
    audience: str
    language: str
    email: str = ""
    phone: str = ""
    teams_webhook_url: str = ""
    slack_webhook_url: str = ""
    webhook_url: str = ""
    webhook_secret: str | None = None  # None keeps the current secret
    components: list[Component] = field(default_factory=list)
    is_active: bool = True


def stakeholder_data_of(stakeholder: Stakeholder) -> StakeholderData:
    simple = {name: getattr(stakeholder, name) for name in ("name", "role", "audience", "language", "is_active",
                                                             *CHANNEL_FIELDS)}
    components = list(stakeholder.components.all()) if stakeholder.pk else []
    return StakeholderData(**simple, components=components)


# --- single stakeholder ----------------------------------------------------------------------


def stakeholder_create(*, customer: Customer, data: StakeholderData) -> Stakeholder:
    return _stakeholder_save(Stakeholder(customer=customer), data)


def stakeholder_update(*, stakeholder: Stakeholder, data: StakeholderData) -> Stakeholder:
    return _stakeholder_save(stakeholder, data)


def stakeholder_set_active(*, stakeholder: Stakeholder, active: bool) -> Stakeholder:
    """Deactivate (or reactivate) instead of deleting: the log keeps pointing at the person."""
    stakeholder.is_active = active
    stakeholder.full_clean()
    stakeholder.save(update_fields=["is_active"])
    return stakeholder


def _stakeholder_save(stakeholder: Stakeholder, data: StakeholderData) -> Stakeholder:
    _apply(stakeholder, data)
    errors = stakeholder_errors(stakeholder, data.components)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        stakeholder.save()
        stakeholder.components.set(data.components)
    return stakeholder


def _apply(stakeholder: Stakeholder, data: StakeholderData) -> None:
    for name in ("name", "role", "audience", "language", "is_active", *CHANNEL_FIELDS):
        value = getattr(data, name)
        setattr(stakeholder, name, value.strip() if isinstance(value, str) else value)
    stakeholder.phone = "".join(stakeholder.phone.split()).replace("-", "")
    if data.webhook_secret is not None:
        stakeholder.webhook_secret = data.webhook_secret


def stakeholder_errors(stakeholder: Stakeholder, components: list[Component]) -> Errors:
    """The model's own validation plus Kalm's stakeholder rules; an empty dict when valid."""
    errors: Errors = {}
    try:
        stakeholder.full_clean(exclude=["customer"])  # set by the caller from a selector, never from input
    except ValidationError as error:
        errors = error.message_dict
    for name, message in _rule_errors(stakeholder, components):
        errors.setdefault(name, []).append(message)
    return errors


def _rule_errors(stakeholder: Stakeholder, components: list[Component]) -> list[tuple[str, str]]:
    found = []
    if not any(getattr(stakeholder, name) for name in CHANNEL_FIELDS):
        found.append((NON_FIELD_ERRORS, _("Fill in at least one channel: e-mail, SMS number, or a Teams, Slack "
                                          "or webhook URL.")))
    if stakeholder.phone and not PHONE_E164.fullmatch(stakeholder.phone):
        found.append(("phone", _("Use the international format: + and country code, e.g. +31612345678.")))
    for name in WEBHOOK_FIELDS:
        url = getattr(stakeholder, name)
        if not url:
            continue
        if refusal := url_refusal(url, configured_allow(), unresolved_ok=True):
            found.append((name, _("%(address)s is not a public internet address, and Kalm does not call into "
                                  "private networks. The operator can allow an internal host with "
                                  "KALM_OUTBOUND_ALLOW.") % {"address": refusal.address}))
        elif not webhook_url_allowed(url):
            found.append((name, _("Use an https:// address.")))
    foreign = [component.name for component in components if component.customer_id != stakeholder.customer_id]
    if foreign:
        found.append(("components", _("Not a component of this customer: %(names)s")
                      % {"names": ", ".join(foreign)}))
    return found


def webhook_url_allowed(url: str) -> bool:
    """https always; plain http only in development (DEBUG) or to a host in KALM_OUTBOUND_ALLOW.

    Where the address may lead is ``url_refusal``'s question (public addresses only, unless allowed),
    asked again when connecting (``comms.transports.http``).
    """
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and (settings.DEBUG or _listed(parts.hostname or ""))


def _listed(host: str) -> bool:
    allowed = configured_allow()
    address = ip_literal(host)
    return allowed.permits_address(address) if address is not None else allowed.permits_name(host)


# --- CSV import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]
    extra_cells: int = 0


@dataclass
class RowOutcome:
    number: int
    name: str
    action: str  # create | update | error
    errors: Errors = field(default_factory=dict)


@dataclass
class ImportResult:
    rows: list[RowOutcome]
    written: bool

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    created_count = property(lambda self: self.count("create"))
    updated_count = property(lambda self: self.count("update"))
    error_count = property(lambda self: self.count("error"))

    @property
    def valid_numbers(self) -> list[int]:
        return [row.number for row in self.rows if row.action != "error"]


def import_text_from_bytes(raw: bytes) -> str:
    """UTF-8, with or without a byte-order mark."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationError(_("The file is larger than 1 MB."))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text. Save it as “CSV UTF-8”.")) from None


def import_rows_from_csv(text: str) -> list[ImportRow]:
    """Parse the file: a header row, then one stakeholder per row; ``,`` or ``;`` between cells."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ValidationError(_("The file is empty."))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = _header(next(reader))
        return _rows(reader, header)
    except csv.Error as error:
        raise ValidationError(_("The file is not valid CSV: %(error)s") % {"error": error}) from None


def _header(cells: list[str]) -> list[str]:
    header = [cell.strip().lower() for cell in cells]
    unknown = [name for name in header if name and name not in IMPORT_COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise ValidationError(_("The header row must name the columns %(columns)s (required: %(required)s), "
                                "each once.") % {"columns": ", ".join(IMPORT_COLUMNS),
                                                 "required": ", ".join(REQUIRED_COLUMNS)})
    return header


def _rows(reader, header: list[str]) -> list[ImportRow]:
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) == MAX_IMPORT_ROWS:
            raise ValidationError(_("The file has more than %(max)s rows.") % {"max": MAX_IMPORT_ROWS})
        values = {name: cells[index].strip() if index < len(cells) else ""
                  for index, name in enumerate(header) if name}
        extra = sum(1 for cell in cells[len(header):] if cell.strip())
        rows.append(ImportRow(number=number, values=values, extra_cells=extra))
    return rows


def stakeholders_import(*, customer: Customer, rows: list[ImportRow], dry_run: bool) -> ImportResult:
    """Check every row; unless ``dry_run``, write them all in one transaction — or none if one is invalid."""
    with transaction.atomic():
        plan = _ImportPlan(customer)
        checked = [plan.check(row) for row in rows]
        outcomes = [outcome for outcome, _pending in checked]
        if dry_run or any(outcome.action == "error" for outcome in outcomes):
            return ImportResult(rows=outcomes, written=False)
        for _outcome, (stakeholder, components) in checked:
            stakeholder.save()
            stakeholder.components.set(components)
    return ImportResult(rows=outcomes, written=True)


def _choice_map(choices) -> dict[str, str]:
    """Lower-cased code, English label (or the label in another console language) → code."""
    mapping: dict[str, str] = {}
    for language, _name in reversed(settings.LANGUAGES):  # English, listed first, wins a clash
        with translation.override(language):
            mapping |= {str(label).lower(): value for value, label in choices}
    return mapping | {value.lower(): value for value, _label in choices}


class _ImportPlan:
    """What one import knows up front: the customer's stakeholders, components and choices."""

    def __init__(self, customer: Customer) -> None:
        self.customer = customer
        existing = list(customer.stakeholders.prefetch_related("components").order_by("-id"))
        self.by_email = {s.email.lower(): s for s in existing if s.email}  # lowest id wins
        self.by_name = {s.name.lower(): s for s in existing}
        self.components = {c.name.lower(): c for c in customer.components.all()}
        self.choices = {"role": _choice_map(Role.choices), "audience": _choice_map(Audience.choices),
                        "language": _choice_map(Language.choices)}
        self.seen: dict[object, int] = {}

    def check(self, row: ImportRow) -> tuple[RowOutcome, tuple[Stakeholder, list[Component]]]:
        existing = self._match(row.values)
        stakeholder = existing or Stakeholder(customer=self.customer, language=self.customer.language)
        data = stakeholder_data_of(stakeholder)
        errors = self._read_into(data, row)
        _apply(stakeholder, data)
        for name, messages in stakeholder_errors(stakeholder, data.components).items():
            if name == NON_FIELD_ERRORS or name not in errors:  # a cell's own error says it best
                errors.setdefault(name, []).extend(messages)
        self._check_duplicate(existing, row, errors)
        action = "error" if errors else ("update" if existing else "create")
        outcome = RowOutcome(number=row.number, name=data.name, action=action, errors=errors)
        return outcome, (stakeholder, data.components)

    def _match(self, values: dict[str, str]) -> Stakeholder | None:
        email = values.get("email", "").lower()
        if email and email in self.by_email:
            return self.by_email[email]
        return self.by_name.get(values.get("name", "").lower())

    def _read_into(self, data: StakeholderData, row: ImportRow) -> Errors:
        errors: Errors = {}
        if row.extra_cells:
            errors[NON_FIELD_ERRORS] = [_("This row has more cells than the header.")]
        for name, value in row.values.items():
            if name in self.choices:
                if value and value.lower() not in self.choices[name]:
                    errors[name] = [_("Unknown value “%(value)s”.") % {"value": value}]
                elif value:
                    setattr(data, name, self.choices[name][value.lower()])
            elif name == "components":
                data.components = self._components(value, errors)
            else:
                setattr(data, name, value)
        return errors

    def _components(self, value: str, errors: Errors) -> list[Component]:
        names = [name.strip() for name in value.split("|") if name.strip()]
        unknown = [name for name in names if name.lower() not in self.components]
        if unknown:
            errors["components"] = [_("Unknown component: %(names)s") % {"names": ", ".join(unknown)}]
        return [self.components[name.lower()] for name in names if name.lower() in self.components]

    def _check_duplicate(self, existing: Stakeholder | None, row: ImportRow, errors: Errors) -> None:
        key = ("pk", existing.pk) if existing else ("new", row.values.get("email", "").lower()
                                                     or row.values.get("name", "").lower())
        if key in self.seen:
            errors.setdefault(NON_FIELD_ERRORS, []).append(
                _("Same stakeholder as row %(number)s.") % {"number": self.seen[key]})
        else:
            self.seen[key] = row.number
