"""Regulatory clocks: GDPR's 72 hours, and NIS2's 24 h / 72 h / one month when it applies.

A clock starts when personal data is flagged (awareness), runs until the notification is
marked filed, and is what the dashboard counts down and the tick reminds about.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import REGULATORY_DEADLINES, Incident, RegulatoryClock, RegulatoryRegime

NIS2_REGIMES = (RegulatoryRegime.NIS2_EARLY_WARNING, RegulatoryRegime.NIS2_NOTIFICATION,
                RegulatoryRegime.NIS2_FINAL_REPORT)


def regimes_for(incident: Incident) -> list[str]:
    """GDPR for personal data; NIS2 too when any affected customer is an NIS2 entity."""
    regimes = [RegulatoryRegime.GDPR]
    if incident.customers.filter(nis2_applies=True).exists():
        regimes += NIS2_REGIMES
    return regimes


@transaction.atomic
def regulatory_clocks_start(*, incident: Incident, at: datetime) -> list[RegulatoryClock]:
    """Start the clocks that apply (idempotent: a clock already started keeps its start)."""
    clocks = []
    for regime in regimes_for(incident):
        clock, _created = RegulatoryClock.objects.get_or_create(
            incident=incident, regime=regime,
            defaults={"started_at": at, "deadline_at": at + REGULATORY_DEADLINES[regime]},
        )
        clocks.append(clock)
    return clocks


@transaction.atomic
def regulatory_clock_file(*, clock: RegulatoryClock, author: AbstractBaseUser | None,
                          reference: str = "") -> RegulatoryClock:
    """Record that the notification was filed: the clock stops and the time is kept."""
    clock = RegulatoryClock.objects.select_for_update().get(pk=clock.pk)
    if clock.filed_at is not None:
        raise ValidationError({"clock": _("This notification is already marked as filed.")})
    clock.filed_at = timezone.now()
    clock.filed_by = author if author is not None and author.is_authenticated else None
    clock.reference = reference.strip()[:200]
    clock.save(update_fields=["filed_at", "filed_by", "reference"])
    return clock


def running_clocks(incidents) -> list[RegulatoryClock]:
    """Unfiled clocks of the given incidents, soonest deadline first."""
    return list(RegulatoryClock.objects.filter(incident__in=incidents, filed_at__isnull=True)
                .select_related("incident").order_by("deadline_at"))
