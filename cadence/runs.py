"""The tick's own health: when it last ran to its end, how long it took (``TickRun``).

Written by the beat task after each run and read by ``/readyz`` and ``/metrics``: a tick that
stops (beat down, the task failing every time) shows as a growing age, not as silence.
"""

from datetime import datetime

from cadence.models import TickRun

TICK = "tick"


def record_run(started_at: datetime, finished_at: datetime, *, failed: int = 0, name: str = TICK) -> None:
    """Note a completed run (one upsert: the table keeps one row per tick)."""
    TickRun.objects.update_or_create(name=name, defaults={
        "started_at": started_at, "finished_at": finished_at, "failed": failed,
        "duration_seconds": max((finished_at - started_at).total_seconds(), 0.0)})


def last_run(name: str = TICK) -> TickRun | None:
    """The last completed run, or None before the first one."""
    return TickRun.objects.filter(name=name).first()
