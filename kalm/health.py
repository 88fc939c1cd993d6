"""Liveness and readiness endpoints for load balancers and orchestrators.

``/healthz`` says the process serves requests. ``/readyz`` says Kalm can do its work: the
database answers, the broker answers (Redis PING, or the filesystem transport's folder is
writable), and the tick is fresh (its last completed run started less than three tick
intervals, at least three minutes, ago; ``cadence.runs``). It answers
``{"status": "ok"|"fail", "checks": {"database": …, "broker": …, "tick": …}}``, 503 when a
check fails. Before the tick's first run (a fresh install) the tick check says so without
failing; ``/metrics`` has no ``kalm_tick_*`` then. Reasons name an error's class, never its
text: the endpoint is public.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cadence.runs import last_run
from kalm import broker

OK = "ok"
MIN_TICK_AGE = timedelta(minutes=3)


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving requests; checks nothing else on purpose."""
    return JsonResponse({"status": "ok"})


@login_not_required
@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve and to work: database, broker and tick."""
    checks = {"database": _database(), "broker": _broker()}
    checks["tick"] = _tick() if checks["database"] == OK else "fail: database unavailable"
    ready = not any(value.startswith("fail") for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "fail", "checks": checks}, status=200 if ready else 503)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any driver error means "not ready"; the reason is reported
        return f"fail: {exc.__class__.__name__}"
    return OK


def _broker() -> str:
    try:
        return broker.check()
    except Exception as exc:  # noqa: BLE001 - connection refused, timeout, a missing folder: all "not ready"
        return f"fail: {exc.__class__.__name__}"


def _tick() -> str:
    try:
        run = last_run()
    except Exception as exc:  # noqa: BLE001 - e.g. the table is missing before migrate
        return f"fail: {exc.__class__.__name__}"
    if run is None:
        return "pending: no run yet"
    age = timezone.now() - run.started_at
    if age > tick_max_age():
        return f"fail: last run started {int(age.total_seconds())} s ago"
    return OK


def tick_max_age() -> timedelta:
    """Three tick intervals (KALM_TICK_SECONDS, beat's schedule), and never under three minutes."""
    interval = settings.CELERY_BEAT_SCHEDULE.get("cadence-tick", {}).get("schedule", 60.0)
    seconds = interval.total_seconds() if isinstance(interval, timedelta) else float(interval)
    return max(MIN_TICK_AGE, timedelta(seconds=3 * seconds))
