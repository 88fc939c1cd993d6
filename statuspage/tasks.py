"""Celery glue for the published status pages: thin, by primary key (logic in statuspage.publishing)."""

from celery import shared_task

from statuspage.publishing import publish_now, schedule_all


@shared_task(ignore_result=True)
def publish_status_page(customer_id: int) -> None:
    # Idempotent: renders the current state; an unchanged document is left as it is.
    publish_now(customer_id)


@shared_task(ignore_result=True)
def publish_all_status_pages() -> None:
    schedule_all()
