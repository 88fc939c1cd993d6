"""Turn a message template and a context into the subject, text, HTML and short text we send.

Templates are Jinja2 source written by MSP staff (or shipped with Kalm, see
``default_templates/``), so they are untrusted code: they run in an immutable sandbox
with no globals, a handful of string filters, no loader (no include/import/extends), a
ban on ``**`` and on multiplying strings or lists into something huge, and
``StrictUndefined``, so a typo is an error instead of a silently empty sentence. The
context they see is plain values only (``comms.messages.context``).

Which source is used, most specific first: the customer's own ``MessageTemplate``, the
MSP-wide one (customer empty), the shipped default for the language, the English default.
A stored template that fails at send time falls back to the shipped default, with a log
line: a bad edit must never leave stakeholders without a message.

Every problem a template can cause is reported as ``RenderError`` with readable lines,
so the editor and the composer can show it next to the field instead of answering 500.
"""

import functools
import logging
import re
import tomllib
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from comms.messages.context import ALLOWED_VARIABLES, sample_context, sparse_sample_context
from comms.models import MessageKind, MessageTemplate, Role
from core.formatting import label
from core.markdown import render_markdown
from incidents.models import Customer

__all__ = [
    "ALLOWED_VARIABLES", "RenderError", "RenderedMessage", "default_template", "render_message", "render_plain",
    "render_text", "sample_context", "template_errors", "template_source",
]

logger = logging.getLogger(__name__)

DEFAULTS_DIR = Path(__file__).resolve().parent / "default_templates"
FALLBACK_LANGUAGE = "en"
SUBJECT_MAX = 300
SHORT_TEXT_MAX = 300
_OUTPUT_MAX = 100_000          # characters a template may produce
_SEQUENCE_PRODUCT_MAX = 10_000  # "x" * n and [..] * n beyond this are refused
_FILTERS = ("capitalize", "default", "d", "first", "join", "last", "length", "lower", "replace", "title", "trim",
            "truncate", "upper")
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$")

# Subject tags are filter keys for recipients' mail rules: English and upper case in every language.
SUBJECT_TAGS: dict[str, str] = {
    MessageKind.ACKNOWLEDGMENT: "[NEW]",
    MessageKind.UPDATE: "[UPDATE]",
    MessageKind.HOLDING: "[UPDATE]",
    MessageKind.ESCALATION: "[ESCALATION]",
    MessageKind.RESOLUTION: "[RESOLVED]",
    MessageKind.POST_INCIDENT: "[REPORT]",
    MessageKind.MANAGEMENT_SUMMARY: "[SUMMARY]",
    MessageKind.REGULATORY: "[NOTIFICATION]",
    MessageKind.MAINTENANCE_ANNOUNCEMENT: "[MAINTENANCE]",
    MessageKind.MAINTENANCE_REMINDER: "[MAINTENANCE]",
    MessageKind.MAINTENANCE_STARTED: "[MAINTENANCE]",
    MessageKind.MAINTENANCE_COMPLETED: "[MAINTENANCE]",
}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body_text: str
    body_html: str
    short_text: str


@dataclass(frozen=True)
class TemplateSource:
    subject: str
    body: str
    origin: str  # "customer", "msp" or "default"


class RenderError(ValueError):
    """A template could not be compiled or rendered; ``errors`` are lines to show the author."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class _KalmSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus a guard against templates that would eat the worker's memory or CPU."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("the power operator is not available in message templates")
        if isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple):
            sequence, count = (left, right) if isinstance(left, str | list | tuple) else (right, left)
            if isinstance(count, int) and len(sequence) * count > _SEQUENCE_PRODUCT_MAX:
                raise SecurityError("the result would be too long")
        return super().call_binop(context, operator, left, right)


def _environment() -> _KalmSandbox:
    env = _KalmSandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=False)
    env.globals.clear()  # no range, dict, namespace, lipsum, …: templates reach the context and nothing else
    env.filters = {name: env.filters[name] for name in _FILTERS}
    return env


_env = _environment()


# --- template sources ------------------------------------------------------------------

@functools.cache
def _defaults() -> dict[str, dict[str, Any]]:
    """The shipped templates, {language: parsed TOML}, read once per process."""
    return {path.stem: tomllib.loads(path.read_text(encoding="utf-8")) for path in sorted(DEFAULTS_DIR.glob("*.toml"))}


def default_template(*, kind: str, audience: str, language: str) -> TemplateSource:
    """The shipped template for kind × audience in ``language``, else in English."""
    for candidate in (language, FALLBACK_LANGUAGE):
        entry = _defaults().get(candidate, {}).get(kind, {}).get(audience)
        if entry:
            return TemplateSource(subject=entry["subject"], body=entry["body"], origin="default")
    raise LookupError(f"no default template for {kind}/{audience}")


def _layout(language: str) -> dict[str, str]:
    """Language-specific phrases around the message (e-mail footer, short text)."""
    defaults = _defaults()
    return defaults.get(language, defaults[FALLBACK_LANGUAGE]).get("layout") or defaults[FALLBACK_LANGUAGE]["layout"]


def layout_phrase(language: str, key: str) -> str:
    """One phrase of the message layout in ``language`` (e.g. "earlier_updates"), else the English one."""
    return _layout(language).get(key) or _layout(FALLBACK_LANGUAGE)[key]


def template_source(*, kind: str, audience: str, language: str, customer: Customer | None = None) -> TemplateSource:
    """The customer's template, else the MSP-wide one, else the shipped default."""
    scope = Q(customer__isnull=True) | Q(customer=customer) if customer is not None else Q(customer__isnull=True)
    found = (
        MessageTemplate.objects.filter(scope, kind=kind, audience=audience, language=language)
        .order_by(F("customer").asc(nulls_last=True))
        .first()
    )
    if found is not None:
        return TemplateSource(subject=found.subject, body=found.body,
                              origin="customer" if found.customer_id else "msp")
    return default_template(kind=kind, audience=audience, language=language)


# --- rendering -------------------------------------------------------------------------

def render_message(
    *,
    kind: str,
    audience: str,
    language: str,
    context: dict[str, Any],
    customer: Customer | None = None,
    role: str = "",
) -> RenderedMessage:
    """Render the message kind × audience in ``language`` for ``customer`` from ``context``.

    ``role`` (a ``Role`` value) names the recipients' role in the e-mail footer when the
    message goes to one role only; otherwise the footer says "a contact".
    """
    source = template_source(kind=kind, audience=audience, language=language, customer=customer)
    try:
        return _render(source, context=context, language=language, role=role)
    except RenderError as error:
        if source.origin == "default":
            raise
        logger.warning("Stored template %s/%s/%s (%s) failed, using the default: %s",
                       kind, audience, language, source.origin, error)
        fallback = default_template(kind=kind, audience=audience, language=language)
        return _render(fallback, context=context, language=language, role=role)


def render_text(*, subject: str, body: str, context: dict[str, Any], language: str) -> RenderedMessage:
    """Render arbitrary template source: the editor's live preview, or a text edited in the composer.

    Raises ``RenderError`` (never anything else) for source that does not compile or render,
    e.g. a stray ``{{`` in ordinary text.
    """
    return _render(TemplateSource(subject=subject, body=body, origin="text"), context=context, language=language)


def render_plain(*, subject: str, body: str, context: dict[str, Any], language: str) -> RenderedMessage:
    """Wrap finished text (no template syntax evaluated) as a message: for texts edited in the composer.

    Unlike ``render_text`` this never fails: ``{{`` in an incident title that went into the
    rendered draft stays literal text instead of being evaluated a second time.
    """
    return _finish(_single_line(subject), _tidy(body), context=context, language=language)


def _render(source: TemplateSource, *, context: dict[str, Any], language: str, role: str = "") -> RenderedMessage:
    errors: list[str] = []
    subject = body = ""
    try:
        subject = _single_line(_render_source(source.subject, context, part=_("Subject")))
    except RenderError as error:
        errors.extend(error.errors)
    try:
        body = _tidy(_render_source(source.body, context, part=_("Body")))
    except RenderError as error:
        errors.extend(error.errors)
    if errors:
        raise RenderError(errors)
    return _finish(subject, body, context=context, language=language, role=role)


def _finish(subject: str, body: str, *, context: dict[str, Any], language: str, role: str = "") -> RenderedMessage:
    layout = _layout(language)
    return RenderedMessage(
        subject=subject,
        body_text=body,
        body_html=_html(subject=subject, body=body, context=context, language=language, layout=layout, role=role),
        short_text=_short_text(subject, context, layout),
    )


@functools.lru_cache(maxsize=512)
def _compile(source: str) -> Template:
    return _env.from_string(source)


def _render_source(source: str, context: dict[str, Any], *, part: str) -> str:
    try:
        output = _compile(source).render(context)
    except TemplateSyntaxError as error:
        raise RenderError([_located(part, error.lineno, error.message or str(error))]) from error
    except Exception as error:  # template source is user input: any failure is the author's to fix, not a 500
        raise RenderError([_located(part, _template_line(error), _describe(error))]) from error
    if len(output) > _OUTPUT_MAX:
        raise RenderError([_("%(part)s: the text is too long.") % {"part": part}])
    return output


def _describe(error: Exception) -> str:
    if isinstance(error, SecurityError):
        return _("not allowed in a message template (%(detail)s)") % {"detail": error}
    if isinstance(error, TemplateError):
        return str(error.message or error)
    return f"{type(error).__name__}: {error}"


def _template_line(error: Exception) -> int | None:
    """The template line a runtime error happened on (Jinja rewrites tracebacks to point there)."""
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == "<template>"]
    return lines[-1] if lines else None


def _located(part: str, line: int | None, message: str) -> str:
    if line:
        return _("%(part)s, line %(line)d: %(message)s") % {"part": part, "line": line, "message": message}
    return _("%(part)s: %(message)s") % {"part": part, "message": message}


def _single_line(text: str) -> str:
    return shorten(" ".join(text.split()), SUBJECT_MAX)


def _tidy(text: str) -> str:
    """No trailing spaces, at most one empty line in a row (optional blocks leave gaps)."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-–") + "…"


def _render_phrase(source: str, values: dict[str, Any]) -> str:
    return _compile(source).render(values).strip()


def _short_text(subject: str, context: dict[str, Any], layout: dict[str, str]) -> str:
    """≤ 300 characters for SMS and chat: the subject, the next update, the status page."""
    tail = []
    if context.get("next_update_at"):
        tail.append(_render_phrase(layout["next_update"], {"next_update_at": context["next_update_at"]}))
    if context.get("status_page_url") and len(context["status_page_url"]) < SHORT_TEXT_MAX // 2:
        tail.append(context["status_page_url"])
    ending = "".join(f" {part}" for part in tail)
    head = shorten(subject, SHORT_TEXT_MAX - len(ending) - 1)
    if not tail:
        return head
    return f"{head}{'' if head.endswith(('…', '.', '!', '?')) else '.'}{ending}"


def _html(*, subject: str, body: str, context: dict[str, Any], language: str, layout: dict[str, str],
          role: str) -> str:
    values = {"customer": context.get("customer", ""), "msp": settings.KALM_MSP_NAME}
    with translation.override(language):
        if role:
            reason = _render_phrase(layout["footer_role"], values | {"role": label(Role, role)})
        else:
            reason = _render_phrase(layout["footer"], values)
        return render_to_string("comms/email/message.html", {
            "language": language,
            "subject": subject,
            "body_html": render_markdown(body),
            "msp": settings.KALM_MSP_NAME,
            "brand_color": _brand_color(),
            "status_page_url": context.get("status_page_url", ""),
            "status_page_label": layout["status_page"],
            "footer_reason": reason,
        })


def _brand_color() -> str:
    color = settings.KALM_BRAND_COLOR
    return color if _HEX_COLOR.match(color or "") else "#1f5fbf"


# --- checking templates before they are saved -----------------------------------------

def template_errors(*, subject: str, body: str) -> list[str]:
    """Why this template must not be saved: syntax, unknown variables, failures on sample data.

    The trial renders use the full sample and a sparse one (every optional fact empty),
    so both sides of ``{% if workaround %}`` are exercised.
    """
    errors: list[str] = []
    for part, source in ((_("Subject"), subject), (_("Body"), body)):
        errors.extend(_static_errors(part, source))
    if errors:
        return errors
    for context in (sample_context(FALLBACK_LANGUAGE), sparse_sample_context(FALLBACK_LANGUAGE)):
        try:
            render_text(subject=subject, body=body, context=context, language=FALLBACK_LANGUAGE)
        except RenderError as error:
            errors.extend(message for message in error.errors if message not in errors)
    return errors


def _static_errors(part: str, source: str) -> list[str]:
    try:
        _compile(source)
        tree = _env.parse(source)
    except TemplateSyntaxError as error:
        return [_located(part, error.lineno, error.message or str(error))]
    unknown = sorted(meta.find_undeclared_variables(tree) - ALLOWED_VARIABLES)
    if not unknown:
        return []
    message = ngettext(
        "%(part)s: %(names)s is not a known variable. Use only the variables listed next to the editor.",
        "%(part)s: %(names)s are not known variables. Use only the variables listed next to the editor.",
        len(unknown),
    )
    return [message % {"part": part, "names": ", ".join(unknown)}]

