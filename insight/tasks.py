"""Celery tasks: thin, by primary key, idempotent (the logic lives in insight.monthly.runs).

Routed to the "reports" queue with the incident report (``CELERY_TASK_ROUTES``), so a burst
of renders on the 1st never delays incident messages.
"""

from celery import shared_task

from insight.monthly import runs

SOFT_TIME_LIMIT = 60  # the render process is stopped first, at KALM_REPORT_TIMEOUT_SECONDS (reports.rendering)
TIME_LIMIT = 75


@shared_task(ignore_result=True, acks_late=True, soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT)
def render_service_report(report_id: int) -> None:
    runs.render_run(report_id)
