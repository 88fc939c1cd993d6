"""A drill's own facts: which scenario it practises, who started it (flows.drills).

``Incident.is_drill`` is the flag every reader filters on; this row says what the drill was,
for the console's script panel and the drill report.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models.core import Incident

__all__ = ["Drill"]


class Drill(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="drill")
    scenario = models.CharField(_("scenario"), max_length=64)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.scenario} ({self.incident_id})"
