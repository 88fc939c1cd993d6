"""Celery glue for status page subscriptions: thin, by primary key (logic in subscription_mail).

Not in tasks.py (the snapshot publisher owns that); StatuspageConfig.ready() imports this
module so workers know the task.
"""

from celery import shared_task

from statuspage.subscription_mail import subscription_mail_send


@shared_task(ignore_result=True, acks_late=True)
def send_subscription_mail(subscription_id: int) -> None:
    # A re-run after a lost ack sends the same confirmation link again: harmless.
    subscription_mail_send(subscription_id)
