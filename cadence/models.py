"""The tick's ledger."""

from django.db import models


class CadenceEvent(models.Model):
    """The tick's ledger: one row per thing it did, e.g. ("incident:12", "holding", 12:30).

    Inserting the row is the claim (unique constraint): two ticks at the same moment, or a
    tick re-run after a crash, cannot do the same thing twice.
    """

    subject = models.CharField(max_length=40)  # "incident:<pk>", "maintenance:<pk>", "clock:<pk>"
    key = models.CharField(max_length=40)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "comms_cadenceevent"  # moved from comms with its rows (cadence/migrations/0001)
        constraints = [models.UniqueConstraint(fields=["subject", "key", "due_at"], name="cadence_event_once")]
        indexes = [models.Index(fields=["subject", "key"], name="cadence_event_lookup")]

    def __str__(self) -> str:
        return f"{self.subject} {self.key} @ {self.due_at:%Y-%m-%d %H:%M}"


class TickRun(models.Model):
    """When the tick last ran to its end and how long it took: one row per tick, updated in place.

    ``/readyz`` and ``/metrics`` (kalm.health, kalm.metrics) read it to tell a stopped beat or a
    tick that fails every minute from a healthy one; the ledger above records items, not runs.
    """

    name = models.CharField(max_length=40, unique=True)  # "tick" (cadence.tasks.tick)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    duration_seconds = models.FloatField()
    failed = models.PositiveIntegerField(default=0)  # jobs whose finding failed in that run

    def __str__(self) -> str:
        return f"{self.name} @ {self.started_at:%Y-%m-%d %H:%M:%S} ({self.duration_seconds:.3f} s)"
