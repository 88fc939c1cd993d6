"""Celery tasks: thin, by primary key, idempotent (the logic lives in runs.py; services.py enqueues).

Routed to their own queue (``CELERY_TASK_ROUTES = {"reports.tasks.*": {"queue": "reports"}}``)
so a burst of renders never delays incident messages; workers consume it with
``-Q celery,reports``. The time limits are a backstop: the render process is killed by the
service at ``KALM_REPORT_TIMEOUT_SECONDS`` (50 s) first, and the failure recorded.
"""

from celery import shared_task

from reports import runs

SOFT_TIME_LIMIT = 60
TIME_LIMIT = 75


@shared_task(ignore_result=True, acks_late=True, soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT)
def render_report(render_id: int) -> None:
    runs.render_run(render_id)
