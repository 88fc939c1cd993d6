"""Turn a message template and a context into the subject, text, HTML and short text we send.

Templates are Jinja2 source written by MSP staff (or shipped with Kalm, see
``default_templates/``), so they are untrusted code: they run in an immutable sandbox
with no globals, a handful of string filters, no loader (no include/import/extends), no
macros, call blocks, captured blocks or recursive loops, and ``StrictUndefined``, so a typo
is an error instead of a silently empty sentence. The context they see is plain values only
(``comms.messages.context``).

Every render is bounded (issue 11), in the editor's preview, the save check and at send
time alike: the source is at most ``SOURCE_MAX`` characters per part, and one message may
take at most ``BOUNDS.steps`` steps (loop iterations, look-ups, calls, operators, filters
and prints), produce at most ``BOUNDS.output`` characters per part (counted while it is
generated, so it stops there), and run for at most ``BOUNDS.seconds``. No single value may
grow past the output bound either: ``~``, ``+``, ``*``, ``|replace`` and ``|join`` are
checked before they build their result, ``%`` on text and the string methods that pad or
multiply (``format``, ``center``, ``replace``, ``join``, …) are not available, and a loop
over text is refused (it is never useful in a message, and it is how a few hundred bytes of
template become hours of CPU).

Which source is used, most specific first: the customer's own ``MessageTemplate``, the
MSP-wide one (customer empty), the shipped default for the language, the English default.
A stored template that fails at send time falls back to the shipped default
(``render_for_sending`` reports the failure; comms.messages.templates marks the template
and tells staff): a bad edit must never leave stakeholders without a message.

Every problem a template can cause is reported as ``RenderError`` with readable lines,
so the editor and the composer can show it next to the field instead of answering 500.

The bounds and their checks are ``comms.messages.budget``, the sandbox that applies them
``comms.messages.sandbox``, the check before a template is saved ``comms.messages.template_check``.
"""

import functools
import logging
import re
import tomllib
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from jinja2 import TemplateError, TemplateSyntaxError
from jinja2.exceptions import SecurityError

from comms.messages.budget import BOUNDS, DEFAULT_BOUNDS, Bounds, Refused, number, output_max, spending
from comms.messages.sandbox import compile_template
from comms.models import MessageKind, MessageTemplate, Role
from core.formatting import label
from core.markdown import render_markdown
from incidents.models import Customer

logger = logging.getLogger(__name__)

DEFAULTS_DIR = Path(__file__).resolve().parent / "default_templates"
FALLBACK_LANGUAGE = "en"
SUBJECT_MAX = 300
SHORT_TEXT_MAX = 300
SOURCE_MAX = 10_000  # characters of template source per part (subject, body): the shipped ones are under 1,500
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
    template_id: int | None = None  # the MessageTemplate, for a stored one
    updated_at: datetime | None = None  # its version: a failure is recorded only against the version that failed


@dataclass(frozen=True)
class TemplateFailure:
    """A stored template that could not be used at send time (the default was used instead)."""

    template_id: int
    updated_at: datetime
    errors: list[str]


@dataclass(frozen=True)
class Rendering:
    message: RenderedMessage
    failure: TemplateFailure | None = None


class RenderError(ValueError):
    """A template could not be compiled or rendered; ``errors`` are lines to show the author.

    ``bounded`` says that a bound or a rule for untrusted templates stopped it (too long, too
    many steps, too slow, a value too large, a loop over text), not an ordinary mistake.
    """

    def __init__(self, errors: list[str], *, bounded: bool = False) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors
        self.bounded = bounded


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
                              origin="customer" if found.customer_id else "msp", template_id=found.pk,
                              updated_at=found.updated_at)
    return default_template(kind=kind, audience=audience, language=language)


# --- rendering -------------------------------------------------------------------------

def render_for_sending(
    *,
    kind: str,
    audience: str,
    language: str,
    context: dict[str, Any],
    customer: Customer | None = None,
    role: str = "",
) -> Rendering:
    """Render the message kind × audience in ``language`` for ``customer`` from ``context``; never fails.

    A stored template that fails, or exceeds a bound, gives way to the shipped default, and
    the result says so (``failure``) for the caller to record (comms.messages.templates).
    ``role`` (a ``Role`` value) names the recipients' role in the e-mail footer when the
    message goes to one role only; otherwise the footer says "a contact".
    """
    source = template_source(kind=kind, audience=audience, language=language, customer=customer)
    if source.origin != "default":
        try:
            return Rendering(_render(source, context=context, language=language, role=role))
        except RenderError as error:
            logger.warning("Stored template %s/%s/%s (%s) failed, using the default: %s",
                           kind, audience, language, source.origin, error)
            failure = TemplateFailure(template_id=source.template_id, updated_at=source.updated_at,
                                      errors=error.errors)
            return Rendering(_render_default(kind=kind, audience=audience, language=language, context=context,
                                             role=role), failure)
    return Rendering(_render_default(kind=kind, audience=audience, language=language, context=context, role=role))


def render_message(
    *,
    kind: str,
    audience: str,
    language: str,
    context: dict[str, Any],
    customer: Customer | None = None,
    role: str = "",
) -> RenderedMessage:
    """``render_for_sending``'s message alone (a failed stored template is only logged)."""
    return render_for_sending(kind=kind, audience=audience, language=language, context=context, customer=customer,
                              role=role).message


def _render_default(*, kind: str, audience: str, language: str, context: dict[str, Any],
                    role: str) -> RenderedMessage:
    source = default_template(kind=kind, audience=audience, language=language)
    try:
        return _render(source, context=context, language=language, role=role, bounds=DEFAULT_BOUNDS)
    except RenderError as error:
        # Never expected (every default is tested against sample and real facts), but a message must go out.
        logger.error("The shipped template %s/%s/%s failed, sending the bare facts: %s", kind, audience, language,
                     error)
        return _bare_facts(kind, context, language=language, role=role)


def _bare_facts(kind: str, context: dict[str, Any], *, language: str, role: str) -> RenderedMessage:
    """The last resort: the subject tag, number and title, and the public message, as plain text."""
    title = context.get("title") or context.get("maintenance_title") or ""
    subject = " ".join(part for part in (SUBJECT_TAGS.get(kind, ""), context.get("number", ""), title) if part)
    body = "\n\n".join(str(part) for part in (title, context.get("status"), context.get("message"),
                                               context.get("status_page_url")) if part)
    return _finish(_single_line(subject), _tidy(body), context=context, language=language, role=role)


def render_text(*, subject: str, body: str, context: dict[str, Any], language: str) -> RenderedMessage:
    """Render arbitrary template source under ``BOUNDS``: the editor's live preview and the save check.

    Raises ``RenderError`` (never anything else) for source that does not compile or render,
    e.g. a stray ``{{`` in ordinary text, or one that exceeds a bound.
    """
    return _render(TemplateSource(subject=subject, body=body, origin="text"), context=context, language=language)


def render_plain(*, subject: str, body: str, context: dict[str, Any], language: str) -> RenderedMessage:
    """Wrap finished text (no template syntax evaluated) as a message: for texts edited in the composer.

    Unlike ``render_text`` this never fails: ``{{`` in an incident title that went into the
    rendered draft stays literal text instead of being evaluated a second time.
    """
    return _finish(_single_line(subject), _tidy(body), context=context, language=language)


def plain_text(*, subject: str, body: str) -> tuple[str, str]:
    """Finished text as a message holds it: the subject on one line of at most 300 characters, the body tidied."""
    return _single_line(subject), _tidy(body)


def _render(source: TemplateSource, *, context: dict[str, Any], language: str, role: str = "",
            bounds: Bounds | None = None) -> RenderedMessage:
    subject, body = render_parts(source, context=context, bounds=bounds or BOUNDS)
    return _finish(_single_line(subject), _tidy(body), context=context, language=language, role=role)


def render_parts(source: TemplateSource, *, context: dict[str, Any], bounds: Bounds,
                  explore: str = "") -> tuple[str, str]:
    """The subject and body as the template writes them, within one budget of ``bounds`` for both."""
    errors: list[str] = []
    bounded = False
    parts = []
    with spending(bounds):
        for part, text in ((_("Subject"), source.subject), (_("Body"), source.body)):
            try:
                parts.append(_render_source(text, context, part=part, explore=explore))
            except RenderError as error:
                errors.extend(error.errors)
                bounded = bounded or error.bounded
    if errors:
        raise RenderError(errors, bounded=bounded)
    subject, body = parts
    return subject, body


def _finish(subject: str, body: str, *, context: dict[str, Any], language: str, role: str = "") -> RenderedMessage:
    layout = _layout(language)
    return RenderedMessage(
        subject=subject,
        body_text=body,
        body_html=_html(subject=subject, body=body, context=context, language=language, layout=layout, role=role),
        short_text=_short_text(subject, context, layout),
    )


def _render_source(source: str, context: dict[str, Any], *, part: str, explore: str = "") -> str:
    """One part, generated piece by piece so that it stops as soon as it is longer than the bound."""
    if len(source) > SOURCE_MAX:
        raise RenderError([_("%(part)s: the template is longer than %(limit)s characters.")
                           % {"part": part, "limit": number(SOURCE_MAX)}], bounded=True)
    limit = output_max()
    pieces: list[str] = []
    size = 0
    try:
        for piece in compile_template(source, explore).generate(context):
            size += len(piece)
            if size > limit:
                raise RenderError([_("%(part)s: the text is longer than %(limit)s characters.")
                                   % {"part": part, "limit": number(limit)}], bounded=True)
            pieces.append(piece)
    except RenderError:
        raise
    except RecursionError as error:  # thousands of nested brackets or blocks, while compiling or rendering
        raise RenderError([_("%(part)s: the template is nested too deeply.") % {"part": part}],
                          bounded=True) from error
    except TemplateSyntaxError as error:
        raise RenderError([located(part, error.lineno, error.message or str(error))]) from error
    except Exception as error:  # template source is user input: any failure is the author's to fix, not a 500
        raise RenderError([located(part, _template_line(error), _describe(error))],
                          bounded=isinstance(error, Refused | MemoryError)) from error
    return "".join(pieces)


def _describe(error: Exception) -> str:
    if isinstance(error, Refused):
        return str(error)
    if isinstance(error, SecurityError):
        return _("not allowed in a message template (%(detail)s)") % {"detail": error}
    if isinstance(error, TemplateError):
        return str(error.message or error)
    return f"{type(error).__name__}: {error}"


def _template_line(error: Exception) -> int | None:
    """The template line a runtime error happened on (Jinja rewrites tracebacks to point there)."""
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == "<template>"]
    return lines[-1] if lines else None


def located(part: str, line: int | None, message: str) -> str:
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
    return compile_template(source).render(values).strip()


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


