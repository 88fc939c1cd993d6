"""Keyset pagination for the console's long lists (the communication log, the audit trail).

A page is "the ``size`` rows after this one", found through the list's index on
``(created_at DESC, id DESC)``: page 1,000 costs what page 1 costs, and nothing counts the
millions of rows before it (an OFFSET would read them all, a page count would COUNT them).

The cursor is the boundary row's ``created_at`` and id, in the URL as ``older=`` (the next,
older page) or ``newer=`` (the previous one). A cursor that does not parse is the caller's 400
(``CursorError`` names the parameter).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Model, QuerySet

SEPARATOR = "_"


class CursorError(ValueError):
    def __init__(self, parameter: str) -> None:
        super().__init__(parameter)
        self.parameter = parameter


@dataclass(frozen=True, slots=True)
class KeysetPage:
    items: list[Any]
    newer: str | None  # cursor of the page before this one (newer rows); None on the first page
    older: str | None  # cursor of the next page (older rows); None on the last page

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer or self.older)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def cursor_of(row: Model, field: str = "created_at") -> str:
    return f"{getattr(row, field).astimezone(UTC).strftime('%Y%m%dT%H%M%S.%f')}{SEPARATOR}{row.pk}"


def parse_cursor(value: str, parameter: str) -> tuple[datetime, int]:
    moment, _, pk = value.partition(SEPARATOR)
    try:
        parsed = datetime.strptime(moment, "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
        number = int(pk)
    except ValueError as error:
        raise CursorError(parameter) from error
    if not 0 < number < 2**63:
        raise CursorError(parameter)
    return parsed, number


def keyset_page(rows: QuerySet, *, older: str = "", newer: str = "", size: int = 50,
                field: str = "created_at") -> KeysetPage:
    """One page of ``rows`` (any filters), newest first by ``field`` (a time) and ``id``."""
    if newer:
        moment, pk = parse_cursor(newer, "newer")
        # Index condition field >= moment, then the tie broken by id: the scan starts at the cursor.
        window = rows.filter(**{f"{field}__gte": moment}).exclude(**{field: moment, "pk__lte": pk})
        found = list(window.order_by(field, "id")[: size + 1])
        items = list(reversed(found[:size]))
        return KeysetPage(items=items, newer=cursor_of(items[0], field) if len(found) > size else None,
                          older=cursor_of(items[-1], field) if items else None)
    rows = rows.order_by(f"-{field}", "-id")
    if older:
        moment, pk = parse_cursor(older, "older")
        rows = rows.filter(**{f"{field}__lte": moment}).exclude(**{field: moment, "pk__gte": pk})
    found = list(rows[: size + 1])
    items = found[:size]
    return KeysetPage(items=items, newer=cursor_of(items[0], field) if older and items else None,
                      older=cursor_of(items[-1], field) if len(found) > size else None)
