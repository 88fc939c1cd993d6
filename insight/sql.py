"""Portable SQL pieces the KPIs are computed with: moments as epoch seconds, and percentiles.

Durations are taken as differences of epoch seconds (a float on both databases), so
percentiles, comparisons against contract minutes and the gap arithmetic of the cadence
query read the same on PostgreSQL and SQLite, and a derived table can compare them with
plain ``>`` in either.

``Percentile`` is PostgreSQL's ordered-set aggregate ``percentile_cont``; SQLite has none
built in, so there it is an aggregate function registered on the connection (the same
linear interpolation), which keeps every KPI one grouped query on both.
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.models import Aggregate, FloatField, Func


class Epoch(Func):
    """Seconds since 1970-01-01 UTC of a datetime expression (NULL stays NULL)."""

    output_field = FloatField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra_context):
        # date_part() answers a double directly; EXTRACT() answers a numeric since PostgreSQL 14, and
        # numeric arithmetic over a year's timeline costs several times more.
        return self.as_sql(compiler, connection, template="date_part('epoch', %(expressions)s)", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django stores SQLite datetimes as UTC text; julianday() reads it (2440587.5 is 1970-01-01).
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
                           **extra_context)


class Percentile(Aggregate):
    """The continuous percentile (0 < fraction < 1) of a numeric expression; NULLs are skipped."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must lie between 0 and 1")
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor == "postgresql":
            template = f"PERCENTILE_CONT({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)"
            return super().as_sql(compiler, connection, template=template, **extra_context)
        if connection.vendor == "sqlite":
            _register_sqlite(connection)
            template = f"{SQLITE_FUNCTION}(%(expressions)s, {self.fraction!r})"
            return super().as_sql(compiler, connection, template=template, **extra_context)
        raise NotImplementedError(f"Percentile is not available on {connection.vendor}")

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        return path, (*args, self.fraction), kwargs


SQLITE_FUNCTION = "KALM_PERCENTILE_CONT"


class _PercentileCont:
    """sqlite3 aggregate: percentile_cont's linear interpolation between the closest ranks."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> float | None:
        return percentile_cont(self.values, self.fraction)


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """What PostgreSQL's percentile_cont returns for these values (None for none)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _register_sqlite(connection) -> None:
    """Register the aggregate on the open sqlite3 connection (cheap, idempotent: it replaces itself)."""
    connection.ensure_connection()
    connection.connection.create_aggregate(SQLITE_FUNCTION, 2, _PercentileCont)


@contextmanager
def analytic_reads() -> Iterator[None]:
    """The reads of one dashboard in one read-only transaction (one consistent snapshot of the facts).

    On PostgreSQL also without JIT, which spends longer compiling these aggregates over a few
    ten thousand rows than running them, and with room to sort a year's timeline in memory.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '32MB'")
        yield
