"""What one render of a message template may spend, and the checks that keep it within that.

A render is given ``Bounds`` (``spending``): every step (loop item, look-up, call, operator,
filter, print) is counted against ``steps`` and the wall clock against ``seconds``; no text a
template builds may pass ``output`` characters, no list ``SEQUENCE_MAX`` items, no number
``INTEGER_BITS_MAX`` bits. The sandbox (``comms.messages.sandbox``) calls these on every
operation; a breach raises ``Refused`` with a sentence for the template's author.
"""

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from jinja2.exceptions import SecurityError


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
SEQUENCE_MAX = 10_000  # items a list, and characters "x" * n, may have
INTEGER_BITS_MAX = 1_000  # 9 ** 9 ** 9 and repeated squaring
class Refused(SecurityError):
    """A bound or rule of message templates stopped the render; the message is for the author."""



class _Budget:
    __slots__ = ("bounds", "deadline", "steps")

    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        self.steps = 0
        self.deadline = time.monotonic() + bounds.seconds


# The render in progress in this thread (or task); None for the trusted layout phrases and for
# Jinja's constant folding at compile time, which spend nothing.
_budget: ContextVar[_Budget | None] = ContextVar("kalm_render_budget", default=None)


def step() -> None:
    budget = _budget.get()
    if budget is None:
        return
    budget.steps += 1
    if budget.steps > budget.bounds.steps:
        raise Refused(_("the template takes too many steps to render (more than %(limit)s); simplify its loops.")
                       % {"limit": number(budget.bounds.steps)})
    if time.monotonic() > budget.deadline:
        raise Refused(_("the template took too long to render (more than %(seconds)s seconds).")
                       % {"seconds": formats.number_format(budget.bounds.seconds)})


def output_max() -> int:
    budget = _budget.get()
    return (budget.bounds if budget else BOUNDS).output


def number(value: int) -> str:
    return formats.number_format(value, force_grouping=True)


def too_long() -> Refused:
    return Refused(_("a text in the template would be longer than %(limit)s characters.")
                    % {"limit": number(output_max())})


def too_many_items() -> Refused:
    return Refused(_("a list in the template would have more than %(limit)s items.")
                    % {"limit": number(SEQUENCE_MAX)})


def loop_over_text() -> str:
    return _("a loop over text is not allowed in a message template; loop over components, or use the text as it is.")


def printed_size(value: Any, limit: int) -> int:
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
            total += printed_size(item, limit - total) + 2
            if total > limit:
                break
        return total
    return 24  # a float, the loop object, an undefined value (which refuses to print itself)


def checked_text(value: Any) -> Any:
    """``value``, unless printing it would make a text longer than the output bound."""
    limit = output_max()
    if printed_size(value, limit) > limit:
        raise too_long()
    return value


def checked_value(value: Any) -> Any:
    """``value``, unless it is a text, list or number beyond what a template may build."""
    if isinstance(value, str):
        if len(value) > output_max():
            raise too_long()
    elif isinstance(value, list | tuple | dict):
        if len(value) > SEQUENCE_MAX:
            raise too_many_items()
    elif isinstance(value, int) and value.bit_length() > INTEGER_BITS_MAX:
        raise Refused(_("a number in the template would be too large."))
    return value


class Counted:
    """A loop's iterable that spends one step per item."""

    __slots__ = ("_iterable",)

    def __init__(self, iterable: Any) -> None:
        self._iterable = iterable

    def __iter__(self):
        for item in self._iterable:
            step()
            yield item

    def __len__(self) -> int:
        return len(self._iterable)


def check_product(left: Any, right: Any) -> None:
    if isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple):
        sequence, count = (left, right) if isinstance(left, str | list | tuple) else (right, left)
        if isinstance(count, int) and len(sequence) * count > SEQUENCE_MAX:
            raise Refused(_("a repetition with * would be too long."))
    elif isinstance(left, int) and isinstance(right, int) and (
            left.bit_length() + right.bit_length() > INTEGER_BITS_MAX):
        raise Refused(_("a number in the template would be too large."))


def check_replace(value: Any, old: Any, new: Any, count: int | None = None) -> None:
    text, old, new = str(value), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if count is not None:
        times = min(times, max(count, 0))
    if len(text) + times * (len(new) - len(old)) > output_max():
        raise too_long()


def check_join(value: Any, d: Any = "", attribute: Any = None) -> None:
    if not isinstance(value, str | list | tuple | dict):
        return  # nothing else reaches a template; the result is checked anyway
    limit = output_max()
    separators = len(str(d)) * max(len(value) - 1, 0)
    if separators > limit or printed_size(value, limit) + separators > limit:
        raise too_long()


@contextmanager
def spending(bounds: Bounds) -> Iterator[None]:
    """Count the renders inside against one budget of ``bounds``."""
    token = _budget.set(_Budget(bounds))
    try:
        yield
    finally:
        _budget.reset(token)
