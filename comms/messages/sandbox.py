"""The Jinja sandbox message templates run in: immutable, no globals, a few string filters, no
loader, and every operation counted against the render's budget (``comms.messages.budget``).

Jinja runs neither loops nor ``~`` through the sandbox's hooks, so ``_Bounded`` rewrites the
syntax tree to send them through ``kalm_iterate`` and ``kalm_concat``. It overrides
``Environment._parse``, a private Jinja API: check it when Jinja is upgraded (tested on 3.1.6).
Constructs a message never needs and that can recurse or multiply output (macros, call
blocks, captured blocks, recursive loops, loops over text) are refused at compile time.
"""

import functools
from typing import Any

from django.utils.translation import gettext as _
from jinja2 import ChainableUndefined, StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from comms.messages.budget import (
    SEQUENCE_MAX,
    Counted,
    Refused,
    check_join,
    check_product,
    check_replace,
    checked_text,
    checked_value,
    loop_over_text,
    output_max,
    printed_size,
    step,
    too_long,
    too_many_items,
)
from comms.messages.context import LIST_VARIABLES, TEXT_VARIABLES

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
        step()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        step()
        return super().getitem(obj, argument)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        step()
        return checked_value(super().call(context, obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        step()
        if operator == "**":
            raise SecurityError("the power operator is not available in message templates")
        if operator == "%" and isinstance(left, str):
            raise Refused(_("the percent operator cannot format text in a message template; join texts with ~."))
        if operator == "*":
            check_product(left, right)
        if operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            if isinstance(left, str) and len(left) + len(right) > output_max():
                raise too_long()
            if not isinstance(left, str) and len(left) + len(right) > SEQUENCE_MAX:
                raise too_many_items()
        return checked_value(super().call_binop(context, operator, left, right))

    def kalm_iterate(self, iterable: Any) -> Counted:
        """What every ``{% for %}`` iterates over (see ``_Bounded``)."""
        if isinstance(iterable, str):
            raise Refused(loop_over_text())
        return Counted(iterable)

    def kalm_concat(self, *parts: Any) -> str:
        """What every ``~`` does (see ``_Bounded``): joined as text, checked before it is built."""
        limit = output_max()
        total = 0
        for part in parts:
            total += printed_size(part, limit)
            if total > limit:
                raise too_long()
        return "".join(str(part) for part in parts)


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
            raise TemplateSyntaxError(loop_over_text(), loop.lineno)


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
        step()
        if check is not None:
            check(*args[skip:], **kwargs)
        return checked_value(function(*args, **kwargs))

    return bounded


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}``: a step, and never a print of something longer than the output bound."""
    step()
    return checked_text(value)


def _environment(*, explore: str = "") -> _KalmSandbox:
    env = _KalmSandbox(explore=explore, undefined=ChainableUndefined if explore else StrictUndefined,
                       autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
                       finalize=_finalize)
    env.globals.clear()  # no range, dict, namespace, lipsum, …: templates reach the context and nothing else
    checks = {"replace": check_replace, "join": check_join}
    env.filters = {name: _bounded_filter(env.filters[name], checks.get(name)) for name in _FILTERS}
    return env


_env = _environment()
# The save check's passes through every branch: undefined values are lenient there (a branch may be
# meant for other facts); only what the bounds and rules refuse counts.
_explorers = {explore: _environment(explore=explore) for explore in ("then", "else")}


EXPLORATIONS = tuple(_explorers)  # the save check's passes through every branch


@functools.lru_cache(maxsize=512)
def compile_template(source: str, explore: str = "") -> Template:
    """``source`` compiled in the sandbox (or, ``explore``, in one of the save check's branch passes)."""
    return (_explorers[explore] if explore else _env).from_string(source)


def parse(source: str) -> nodes.Template:
    """The syntax tree of ``source``, for the variables it names."""
    return _env.parse(source)
