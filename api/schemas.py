"""Request and response bodies of the incidents API (``/api/v1/incidents``).

Request bodies are plain pydantic models that forbid unknown keys: a misspelt
``"internl": true`` must fail loudly instead of posting an internal note publicly.
Every string that reaches the database is length-capped and free of control characters
(tab and line breaks aside), and every time must carry a UTC offset, so bad input ends as
a 422 and never as a database error or a status page feed that cannot be written (XML 1.0
has no control characters).
"""

from datetime import UTC, datetime
from typing import Annotated, Literal

from ninja import Path, Schema
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from core.validators import PLAIN_TEXT_PATTERN, VISIBLE_TEXT_PATTERN, has_control_characters
from incidents.bounds import MAX_LONG_TEXT, MAX_MESSAGE, MAX_SHORT_TEXT, MAX_TITLE
from incidents.models import Category, ComponentStatus, DetectedBy, Language, Severity, Status, UpdateKind

# The console's forms (console.forms.incident) read the same limits (incidents.bounds): a longer
# text written here would stop every later update in the console, whose form sends it back.
MAX_TEXT = MAX_MESSAGE
MAX_PAGE = 100
# Far beyond any real list, and well inside every database's integer range.
MAX_OFFSET = 2**31 - 1


def _no_control(value: str) -> str:
    """The console's rule (``core.validators``): the C0 controls but tab, LF and CR are refused."""
    if has_control_characters(value):
        raise ValueError("must not contain control characters (tab and line breaks are fine)")
    return value


NoControl = AfterValidator(_no_control)
# The rule in the OpenAPI document too, so clients (and generated tests) know it before a 422.
Plain = Field(json_schema_extra={"pattern": PLAIN_TEXT_PATTERN})
Visible = Field(json_schema_extra={"pattern": VISIBLE_TEXT_PATTERN})


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is out of range") from exc


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), NoControl, Plain]
ShortText = Annotated[str, StringConstraints(max_length=MAX_SHORT_TEXT), NoControl, Plain]
LongText = Annotated[str, StringConstraints(max_length=MAX_LONG_TEXT), NoControl, Plain]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE), NoControl, Visible]
Slug = Annotated[str, StringConstraints(max_length=50), NoControl, Plain]
TitleVersion = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TITLE), NoControl, Plain]
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_to_utc),
    Field(description="ISO 8601 with a UTC offset, e.g. 2025-05-31T16:00:00+02:00. Times without an offset are "
                      "refused (422) rather than guessed; responses give every time in UTC."),
]
IncidentNumber = Path[str, {"pattern": r"^[A-Za-z0-9-]+$", "max_length": 32, "description": "e.g. MSM-2025-0531-001"}]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentRef(_Body):
    """A component, by ``id`` or by ``name`` (exactly one), and the status to give it."""

    id: int | None = Field(None, ge=1, le=2**63 - 1)
    name: Name | None = None
    status: ComponentStatus

    @model_validator(mode="after")
    def _id_or_name(self) -> "ComponentRef":
        if (self.id is None) == (self.name is None):
            raise ValueError("give either id or name")
        return self


class OpenTexts(_Body):
    """One language's version of the texts an opening writes; a text left out has none in it."""

    title: TitleVersion = ""
    message: Text = ""
    impact: ShortText = ""
    workaround: ShortText = ""


class UpdateTexts(_Body):
    """One language's version of the message and of texts the update changes; "" removes a version."""

    message: Text = ""
    workaround: ShortText = ""
    root_cause: LongText = ""
    resolution_summary: LongText = ""


class ReopenTexts(_Body):
    message: Text = ""


class ByLanguage[T: BaseModel](_Body):
    """Texts per language: one key per ``incidents.models.Language``, other keys are refused."""

    en: T | None = None
    nl: T | None = None
    de: T | None = None


class OpenTranslations(ByLanguage[OpenTexts]):
    """An opening's texts in other languages than the one it is written in."""


class UpdateTranslations(ByLanguage[UpdateTexts]):
    """An update's message and changed texts in other languages than the incident's."""


class ReopenTranslations(ByLanguage[ReopenTexts]):
    """A reopening's message in other languages than the incident's."""


_FALLBACK = "Readers of a language without a version get the text as written."


class IncidentOpenIn(_Body):
    customer: Slug = Field(description="The customer's slug, e.g. midsize.")
    language: Language | None = Field(
        None, description="The language title, message, impact and workaround are written in. Default: the "
                          "customer's.")
    translations: OpenTranslations | None = Field(
        None, description='The same texts in other languages than `language`, e.g. {"en": {"title": "Mail is down", '
                          f'"message": "We are looking into it."}}}}. {_FALLBACK}')
    title: Name
    category: Category
    severity: Severity
    status: Status = Status.INVESTIGATING
    impact: ShortText = Field("", description="The business impact, in the customer's terms.")
    components: list[ComponentRef] = []
    message: Text = Field(description="The first public message: the acknowledgment stakeholders see.")
    eta: Instant | None = None
    workaround: ShortText = ""
    detected_by: DetectedBy = DetectedBy.MSP
    personal_data_involved: bool = False


class IncidentUpdateIn(_Body):
    """Only what is given changes; ``internal`` notes cannot change public facts."""

    message: Text = ""
    internal: bool = False
    status: Status | None = None
    severity: Severity | None = None
    components: list[ComponentRef] = []
    eta: Instant | None = None
    workaround: ShortText | None = None
    root_cause: LongText | None = None
    resolution_summary: LongText | None = None
    translations: UpdateTranslations | None = Field(
        None, description='The message and changed texts in other languages than the incident\'s `language`, e.g. '
                          '{"en": {"message": "…", "workaround": "…"}}. An empty text removes that version; a text '
                          f"left out keeps it. {_FALLBACK}")


class ReopenIn(_Body):
    message: Text = Field(description="Why the incident is reopened; published to stakeholders.")
    translations: ReopenTranslations | None = Field(
        None, description='The message in other languages than the incident\'s `language`: '
                          f'{{"en": {{"message": "…"}}}}. {_FALLBACK}')


# --- refusals (api.root answers them; the OpenAPI document declares them per operation) ------


class Refusal(Schema):
    """401, 403, 404 and 405: ``{"detail": "…"}``, in the language ``Accept-Language`` asks for."""

    detail: str


class FieldError(Schema):
    """One problem: where (``["body", "title"]``, ``["query", "limit"]``, ``["path", "number"]``), what, its kind."""

    loc: list[str | int]
    msg: str
    type: str


class FieldErrors(Schema):
    """400 (not JSON), 413 (too large) and 422 (a field refused, by pydantic or by a service)."""

    detail: list[FieldError]


_REFUSED = {401: Refusal, 403: Refusal}
READ_ERRORS = {**_REFUSED, 422: FieldErrors}
WRITE_ERRORS = {400: FieldErrors, **_REFUSED, 413: FieldErrors, 422: FieldErrors}
NOT_FOUND = {404: Refusal}


class IncidentListQuery(Schema):
    status: Literal["open", "resolved", "all"] = "all"
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class NumberOut(Schema):
    number: str
    customer: str


class ComponentOut(Schema):
    id: int
    name: str
    customer: str
    status: ComponentStatus


class ComponentChangeOut(Schema):
    id: int
    name: str
    customer: str
    previous_status: ComponentStatus | None
    status: ComponentStatus


IncidentTextName = Literal["title", "impact", "workaround", "root_cause", "resolution_summary"]


class UpdateOut(Schema):
    id: int
    kind: UpdateKind
    status: Status
    severity: Severity
    message: str
    translations: dict[Language, dict[Literal["message"], str]] = Field(
        description='The message in other languages than the incident\'s, e.g. {"en": {"message": "…"}}; '
                    "a language without a version is left out.")
    internal: bool
    created_at: datetime
    author: str | None
    component_changes: list[ComponentChangeOut]


class IncidentSummary(Schema):
    number: str = Field(description="The number asked for, or the first one the caller may see.")
    numbers: list[NumberOut] = Field(description="Each affected customer's own number (visible customers only).")
    title: str
    language: Language = Field(description="The language the title and the incident's other texts are written in.")
    translations: dict[Language, dict[IncidentTextName, str]] = Field(
        description='The incident\'s texts in other languages, e.g. {"en": {"title": "…", "impact": "…"}}; a '
                    f"language or text without a version is left out. {_FALLBACK}")
    category: Category
    severity: Severity
    status: Status
    started_at: datetime
    resolved_at: datetime | None
    eta: datetime | None
    next_update_due_at: datetime | None


class IncidentDetail(IncidentSummary):
    impact: str
    workaround: str
    root_cause: str
    resolution_summary: str
    detected_by: DetectedBy
    personal_data_involved: bool
    detected_at: datetime
    acknowledged_at: datetime | None
    identified_at: datetime | None
    monitoring_at: datetime | None
    last_public_update_at: datetime | None
    created_at: datetime
    updated_at: datetime
    reopen_count: int
    components: list[ComponentOut]
    updates: list[UpdateOut] = Field(description="Newest first, internal notes included.")


class IncidentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[IncidentSummary]


class UpdateResult(Schema):
    update: UpdateOut
    incident: IncidentSummary
