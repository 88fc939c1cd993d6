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
"""

import functools
import itertools
import logging
import re
import time
import tomllib
import traceback
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from jinja2 import ChainableUndefined, StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from comms.messages.context import ALLOWED_VARIABLES, LIST_VARIABLES, TEXT_VARIABLES
from comms.messages.samples import contrasting_sample_context, sample_context, sparse_sample_context
from comms.models import MessageKind, MessageTemplate, Role
from core.formatting import label
from core.markdown import render_markdown
from incidents.models import Customer

__all__ = [
    "ALLOWED_VARIABLES", "BOUNDS", "SOURCE_MAX", "Bounds", "RenderError", "RenderedMessage", "Rendering",
    "TemplateFailure", "default_template", "plain_text", "render_for_sending", "render_message", "render_plain",
    "render_text", "sample_context", "template_errors", "template_source",
]

logger = logging.getLogger(__name__)

DEFAULTS_DIR = Path(__file__).resolve().parent / "default_templates"
FALLBACK_LANGUAGE = "en"
SUBJECT_MAX = 300
SHORT_TEXT_MAX = 300
SOURCE_MAX = 10_000  # characters of template source per part (subject, body): the shipped ones are under 1,500


@dataclass(frozen=True)
class Bounds:
    """What rendering one message (subject and body) may cost before it stops with a RenderError."""

    steps: int  # loop iterations, attribute and item look-ups, calls, operators, filters, prints
    output: int  # characters one part may produce, and the longest text a template may build
    seconds: float  # wall time, the backstop for whatever the step count does not see


# Staff-edited templates: in the preview, the save check and at send time. A realistic template
# (every shipped default; a loop over a hundred components) takes a few hundred steps and about a
# millisecond, so these leave two orders of magnitude of room and still stop any template within
# tens of milliseconds of CPU, far inside a request or a database lock.
BOUNDS = Bounds(steps=20_000, output=100_000, seconds=0.2)
# The shipped defaults are trusted source; only their facts vary. The same bounds, with time to spare
# on a busy worker: the fallback must not fail because the machine was slow for a moment.
DEFAULT_BOUNDS = Bounds(steps=20_000, output=100_000, seconds=2.0)
_SEQUENCE_MAX = 10_000  # items a list, and characters "x" * n, may have
_INTEGER_BITS_MAX = 1_000  # 9 ** 9 ** 9 and repeated squaring
_FILTERS = ("capitalize", "default", "d", "first", "join", "last", "length", "lower", "replace", "title", "trim",
            "truncate", "upper")
# Methods of plain values a template may call; none of them returns more than it was given.
_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isdecimal", "isdigit",
    "islower", "isnumeric", "isspace", "istitle", "isupper", "lower", "lstrip", "partition", "removeprefix",
    "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith",
    "strip", "swapcase", "title", "upper",  # str
    "get", "items", "keys", "values",  # dict
})
_PLAIN = (str, int, float, list, tuple, dict)
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


class _Refused(SecurityError):
    """A bound or rule of message templates stopped the render; the message is for the author."""


# --- the budget of one render -----------------------------------------------------------

class _Budget:
    __slots__ = ("bounds", "deadline", "steps")

    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        self.steps = 0
        self.deadline = time.monotonic() + bounds.seconds


# The render in progress in this thread (or task); None for the trusted layout phrases and for
# Jinja's constant folding at compile time, which spend nothing.
_budget: ContextVar[_Budget | None] = ContextVar("kalm_render_budget", default=None)


def _step() -> None:
    budget = _budget.get()
    if budget is None:
        return
    budget.steps += 1
    if budget.steps > budget.bounds.steps:
        raise _Refused(_("the template takes too many steps to render (more than %(limit)s); simplify its loops.")
                       % {"limit": _number(budget.bounds.steps)})
    if time.monotonic() > budget.deadline:
        raise _Refused(_("the template took too long to render (more than %(seconds)s seconds).")
                       % {"seconds": formats.number_format(budget.bounds.seconds)})


def _output_max() -> int:
    budget = _budget.get()
    return (budget.bounds if budget else BOUNDS).output


def _number(value: int) -> str:
    return formats.number_format(value, force_grouping=True)


def _too_long() -> _Refused:
    return _Refused(_("a text in the template would be longer than %(limit)s characters.")
                    % {"limit": _number(_output_max())})


def _too_many_items() -> _Refused:
    return _Refused(_("a list in the template would have more than %(limit)s items.")
                    % {"limit": _number(_SEQUENCE_MAX)})


def _loop_over_text() -> str:
    return _("a loop over text is not allowed in a message template; loop over components, or use the text as it is.")


def _printed_size(value: Any, limit: int) -> int:
    """About how many characters ``value`` prints as, counted only until it passes ``limit``."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return value.bit_length() // 3 + 1
    if isinstance(value, list | tuple | dict):
        items = itertools.chain.from_iterable(value.items()) if isinstance(value, dict) else value
        total = 2
        for item in items:
            total += _printed_size(item, limit - total) + 2
            if total > limit:
                break
        return total
    return 24  # a float, the loop object, an undefined value (which refuses to print itself)


def _checked_text(value: Any) -> Any:
    """``value``, unless printing it would make a text longer than the output bound."""
    limit = _output_max()
    if _printed_size(value, limit) > limit:
        raise _too_long()
    return value


def _checked_value(value: Any) -> Any:
    """``value``, unless it is a text, list or number beyond what a template may build."""
    if isinstance(value, str):
        if len(value) > _output_max():
            raise _too_long()
    elif isinstance(value, list | tuple | dict):
        if len(value) > _SEQUENCE_MAX:
            raise _too_many_items()
    elif isinstance(value, int) and value.bit_length() > _INTEGER_BITS_MAX:
        raise _Refused(_("a number in the template would be too large."))
    return value


class _Counted:
    """A loop's iterable that spends one step per item."""

    __slots__ = ("_iterable",)

    def __init__(self, iterable: Any) -> None:
        self._iterable = iterable

    def __iter__(self):
        for item in self._iterable:
            _step()
            yield item

    def __len__(self) -> int:
        return len(self._iterable)


# --- the sandbox -------------------------------------------------------------------------

class _KalmSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus the bounds: every look-up, call, operator and loop item spends a step.

    ``explore`` is for the save check only: "then" or "else" compiles every ``{% if %}`` with
    all its branches in sequence, loops without their ``if`` filter, and every ``a if b else c``
    as its first (or second) value, so a branch the sample facts never take is rendered too.
    """

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *, explore: str = "", **options: Any) -> None:
        super().__init__(**options)
        self.explore = explore

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        _refuse_constructs(tree)
        tree = _Bounded(self.explore).visit(tree)
        tree.set_environment(self)
        return tree

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, _PLAIN) and callable(value) and attr not in _METHODS:
            return False  # "x".center(10**9), "{:>999999999}".format(…), a.replace("x", a): not here
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        return None  # str.format is refused by is_safe_attribute, so never wrapped as safe

    def getattr(self, obj: Any, attribute: str) -> Any:
        _step()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _step()
        return super().getitem(obj, argument)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _step()
        return _checked_value(super().call(context, obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _step()
        if operator == "**":
            raise SecurityError("the power operator is not available in message templates")
        if operator == "%" and isinstance(left, str):
            raise _Refused(_("the percent operator cannot format text in a message template; join texts with ~."))
        if operator == "*":
            _check_product(left, right)
        if operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            if isinstance(left, str) and len(left) + len(right) > _output_max():
                raise _too_long()
            if not isinstance(left, str) and len(left) + len(right) > _SEQUENCE_MAX:
                raise _too_many_items()
        return _checked_value(super().call_binop(context, operator, left, right))

    def kalm_iterate(self, iterable: Any) -> _Counted:
        """What every ``{% for %}`` iterates over (see ``_Bounded``)."""
        if isinstance(iterable, str):
            raise _Refused(_loop_over_text())
        return _Counted(iterable)

    def kalm_concat(self, *parts: Any) -> str:
        """What every ``~`` does (see ``_Bounded``): joined as text, checked before it is built."""
        limit = _output_max()
        total = 0
        for part in parts:
            total += _printed_size(part, limit)
            if total > limit:
                raise _too_long()
        return "".join(str(part) for part in parts)


def _check_product(left: Any, right: Any) -> None:
    if isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple):
        sequence, count = (left, right) if isinstance(left, str | list | tuple) else (right, left)
        if isinstance(count, int) and len(sequence) * count > _SEQUENCE_MAX:
            raise _Refused(_("a repetition with * would be too long."))
    elif isinstance(left, int) and isinstance(right, int) and (
            left.bit_length() + right.bit_length() > _INTEGER_BITS_MAX):
        raise _Refused(_("a number in the template would be too large."))


class _Bounded(NodeTransformer):
    """Route every loop through ``kalm_iterate`` and every ``~`` through ``kalm_concat``.

    Jinja runs neither through the sandbox's hooks: a loop iterates directly and ``~`` joins
    directly, which is how nested loops over text and ``a ~ a ~ a`` escaped the old guard.
    """

    def __init__(self, explore: str) -> None:
        self.explore = explore

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)
        node.iter = _environment_call("kalm_iterate", [node.iter], node.iter.lineno)
        if self.explore:
            node.test = None
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)
        return _environment_call("kalm_concat", node.nodes, node.lineno)

    def visit_If(self, node: nodes.If) -> nodes.Node:
        node = self.generic_visit(node)
        if self.explore:
            node.body = [*node.body, *(child for branch in node.elif_ for child in branch.body), *node.else_]
            node.test, node.elif_, node.else_ = nodes.Const(True, lineno=node.lineno), [], []
        return node

    def visit_CondExpr(self, node: nodes.CondExpr) -> nodes.Node:
        node = self.generic_visit(node)
        if self.explore == "then" or (self.explore == "else" and node.expr2 is None):
            return node.expr1
        if self.explore == "else":
            return node.expr2
        return node


def _environment_call(method: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(method, lineno=lineno), list(args), [], None, None, lineno=lineno)


_FORBIDDEN: tuple[tuple[type[nodes.Node], str], ...] = (
    (nodes.Macro, "macro"), (nodes.CallBlock, "call"), (nodes.AssignBlock, "set … endset"),
    (nodes.FilterBlock, "filter"), (nodes.Block, "block"), (nodes.Extends, "extends"), (nodes.Include, "include"),
    (nodes.Import, "import"), (nodes.FromImport, "from … import"),
)
_TEXT_FILTERS = frozenset({"capitalize", "lower", "replace", "title", "trim", "truncate", "upper"})
_TEXT_METHODS = frozenset({"capitalize", "casefold", "lower", "lstrip", "removeprefix", "removesuffix", "rstrip",
                           "strip", "swapcase", "title", "upper"})
_ITEM_TEXTS = frozenset({"name", "status"})  # the texts of a component


def _refuse_constructs(tree: nodes.Template) -> None:
    """What a message template may not contain, found before it runs (a TemplateSyntaxError at its line).

    Macros and call blocks can recurse, captured blocks multiply output out of sight, and a
    loop over text is never useful in a message. What this cannot see (a text reached some
    other way) ``kalm_iterate`` refuses when it runs.
    """
    for node_type, tag in _FORBIDDEN:
        for node in tree.find_all(node_type):
            raise TemplateSyntaxError(_("{%% %(tag)s %%} is not available in message templates.") % {"tag": tag},
                                      node.lineno)
    assigned = {name.name for name in tree.find_all(nodes.Name) if name.ctx in ("store", "param")}
    texts = TEXT_VARIABLES - assigned
    items = {loop.target.name for loop in tree.find_all(nodes.For)
             if isinstance(loop.target, nodes.Name) and isinstance(loop.iter, nodes.Name)
             and loop.iter.name in LIST_VARIABLES}
    for loop in tree.find_all(nodes.For):
        if loop.recursive:
            raise TemplateSyntaxError(_("recursive loops are not available in message templates."), loop.lineno)
        if _is_text(loop.iter, texts, items):
            raise TemplateSyntaxError(_loop_over_text(), loop.lineno)


def _is_text(node: nodes.Node, texts: frozenset[str] | set[str], items: set[str]) -> bool:
    """Whether ``node`` is text for certain, without running it."""
    if isinstance(node, nodes.Const):
        return isinstance(node.value, str)
    if isinstance(node, nodes.Name):
        return node.name in texts
    if isinstance(node, nodes.Concat):
        return True
    if isinstance(node, nodes.Filter):
        return node.name == "join" or (node.name in _TEXT_FILTERS and node.node is not None
                                       and _is_text(node.node, texts, items))
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        return isinstance(node.node, nodes.Name) and node.node.name in items and key in _ITEM_TEXTS
    if isinstance(node, nodes.Add | nodes.Mul):
        return _is_text(node.left, texts, items) or _is_text(node.right, texts, items)
    if isinstance(node, nodes.CondExpr):
        return _is_text(node.expr1, texts, items) and node.expr2 is not None and _is_text(node.expr2, texts, items)
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        return node.node.attr in _TEXT_METHODS and _is_text(node.node.node, texts, items)
    return False


def _bounded_filter(function: Any, check: Any = None) -> Any:
    """A filter that spends a step, refuses an argument that would build too long a text, and checks its result."""
    skip = 1 if getattr(function, "jinja_pass_arg", None) else 0  # the environment or eval context Jinja passes

    @functools.wraps(function)  # keeps jinja_pass_arg
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _step()
        if check is not None:
            check(*args[skip:], **kwargs)
        return _checked_value(function(*args, **kwargs))

    return bounded


def _check_replace(value: Any, old: Any, new: Any, count: int | None = None) -> None:
    text, old, new = str(value), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if count is not None:
        times = min(times, max(count, 0))
    if len(text) + times * (len(new) - len(old)) > _output_max():
        raise _too_long()


def _check_join(value: Any, d: Any = "", attribute: Any = None) -> None:
    if not isinstance(value, str | list | tuple | dict):
        return  # nothing else reaches a template; the result is checked anyway
    limit = _output_max()
    separators = len(str(d)) * max(len(value) - 1, 0)
    if separators > limit or _printed_size(value, limit) + separators > limit:
        raise _too_long()


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}``: a step, and never a print of something longer than the output bound."""
    _step()
    return _checked_text(value)


def _environment(*, explore: str = "") -> _KalmSandbox:
    env = _KalmSandbox(explore=explore, undefined=ChainableUndefined if explore else StrictUndefined,
                       autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
                       finalize=_finalize)
    env.globals.clear()  # no range, dict, namespace, lipsum, …: templates reach the context and nothing else
    checks = {"replace": _check_replace, "join": _check_join}
    env.filters = {name: _bounded_filter(env.filters[name], checks.get(name)) for name in _FILTERS}
    return env


_env = _environment()
# The save check's passes through every branch: undefined values are lenient there (a branch may be
# meant for other facts); only what the bounds and rules refuse counts.
_explorers = {explore: _environment(explore=explore) for explore in ("then", "else")}


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
    subject, body = _render_parts(source, context=context, bounds=bounds or BOUNDS)
    return _finish(_single_line(subject), _tidy(body), context=context, language=language, role=role)


def _render_parts(source: TemplateSource, *, context: dict[str, Any], bounds: Bounds,
                  explore: str = "") -> tuple[str, str]:
    """The subject and body as the template writes them, within one budget of ``bounds`` for both."""
    errors: list[str] = []
    bounded = False
    parts = []
    token = _budget.set(_Budget(bounds))
    try:
        for part, text in ((_("Subject"), source.subject), (_("Body"), source.body)):
            try:
                parts.append(_render_source(text, context, part=part, explore=explore))
            except RenderError as error:
                errors.extend(error.errors)
                bounded = bounded or error.bounded
    finally:
        _budget.reset(token)
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


@functools.lru_cache(maxsize=512)
def _compile(source: str, explore: str = "") -> Template:
    return (_explorers[explore] if explore else _env).from_string(source)


def _render_source(source: str, context: dict[str, Any], *, part: str, explore: str = "") -> str:
    """One part, generated piece by piece so that it stops as soon as it is longer than the bound."""
    if len(source) > SOURCE_MAX:
        raise RenderError([_("%(part)s: the template is longer than %(limit)s characters.")
                           % {"part": part, "limit": _number(SOURCE_MAX)}], bounded=True)
    limit = _output_max()
    pieces: list[str] = []
    size = 0
    try:
        for piece in _compile(source, explore).generate(context):
            size += len(piece)
            if size > limit:
                raise RenderError([_("%(part)s: the text is longer than %(limit)s characters.")
                                   % {"part": part, "limit": _number(limit)}], bounded=True)
            pieces.append(piece)
    except RenderError:
        raise
    except RecursionError as error:  # thousands of nested brackets or blocks, while compiling or rendering
        raise RenderError([_("%(part)s: the template is nested too deeply.") % {"part": part}],
                          bounded=True) from error
    except TemplateSyntaxError as error:
        raise RenderError([_located(part, error.lineno, error.message or str(error))]) from error
    except Exception as error:  # template source is user input: any failure is the author's to fix, not a 500
        raise RenderError([_located(part, _template_line(error), _describe(error))],
                          bounded=isinstance(error, _Refused | MemoryError)) from error
    return "".join(pieces)


def _describe(error: Exception) -> str:
    if isinstance(error, _Refused):
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
    """Why this template must not be saved: size, syntax, unknown variables, failures on sample data.

    The trial renders run under the same bounds as sending. They use the full sample, a
    sparse one (every optional fact empty) and a contrasting one (every fact different), so
    both sides of ``{% if workaround %}`` and of ``{% if number != "<the sample's>" %}`` run;
    then two passes that render every branch of every ``{% if %}`` (and either value of
    ``a if b else c``) at once, where only what a bound or rule refuses counts: a template
    that only explodes for facts the samples do not have is refused here, not at send time.
    """
    errors: list[str] = []
    for part, source in ((_("Subject"), subject), (_("Body"), body)):
        errors.extend(_static_errors(part, source))
    if errors:
        return errors
    source = TemplateSource(subject=subject, body=body, origin="text")
    for make_context in (sample_context, sparse_sample_context, contrasting_sample_context):
        try:
            _render_parts(source, context=make_context(FALLBACK_LANGUAGE), bounds=BOUNDS)
        except RenderError as error:
            errors.extend(message for message in error.errors if message not in errors)
            if error.bounded:
                return errors
    for explore in _explorers:
        try:
            _render_parts(source, context=sample_context(FALLBACK_LANGUAGE), bounds=BOUNDS, explore=explore)
        except RenderError as error:
            if error.bounded:
                return errors + [message for message in error.errors if message not in errors]
    return errors


def _static_errors(part: str, source: str) -> list[str]:
    if len(source) > SOURCE_MAX:
        return [_("%(part)s: the template is longer than %(limit)s characters.")
                % {"part": part, "limit": _number(SOURCE_MAX)}]
    try:
        _compile(source)
        tree = _env.parse(source)
    except TemplateSyntaxError as error:
        return [_located(part, error.lineno, error.message or str(error))]
    except RecursionError:
        return [_("%(part)s: the template is nested too deeply.") % {"part": part}]
    unknown = sorted(meta.find_undeclared_variables(tree) - ALLOWED_VARIABLES)
    if not unknown:
        return []
    message = ngettext(
        "%(part)s: %(names)s is not a known variable. Use only the variables listed next to the editor.",
        "%(part)s: %(names)s are not known variables. Use only the variables listed next to the editor.",
        len(unknown),
    )
    return [message % {"part": part, "names": ", ".join(unknown)}]
