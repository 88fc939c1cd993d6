"""The signed tokens in a subscriber's links, and the subscription each one names.

Links carry signed ids, not stored secrets (django.core.signing):
- the confirmation token signs (subscription id, how often it was unsubscribed) and expires
  after CONFIRM_MAX_AGE, so an old confirmation link cannot undo a later unsubscribe;
- the manage token signs the stakeholder id and does not expire: it is in every update's
  footer and List-Unsubscribe header, and the delivery that builds it must not query.

Apart from ``statuspage.subscriptions`` (the writes) because the mail that carries the links
(``statuspage.subscription_mail``) is sent by a task the writes enqueue: both read this module,
neither imports the other.
"""

from datetime import timedelta

from django.core import signing

from incidents.models import Customer
from statuspage.models import Subscription

CONFIRM_SALT = "statuspage.subscription.confirm"
MANAGE_SALT = "statuspage.subscription.manage"
CONFIRM_MAX_AGE = timedelta(days=7)


def confirm_token(subscription: Subscription) -> str:
    return signing.dumps([subscription.pk, _generation(subscription)], salt=CONFIRM_SALT)


def manage_token(stakeholder_id: int) -> str:
    # Zero-padded: every token has the same length, which lets the e-mail transport compose a
    # Communication's message once and swap each subscriber's token in (OutgoingMessage.personal).
    return signing.Signer(salt=MANAGE_SALT).sign(f"{stakeholder_id:010d}")


def subscription_for_confirm_token(customer: Customer, token: str) -> Subscription | None:
    """The subscription a valid, unexpired confirmation token names on this page; None otherwise."""
    try:
        pk, generation = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    subscription = _subscription(customer, pk=pk)
    if subscription is None or _generation(subscription) != generation:
        return None
    return subscription


def subscription_for_manage_token(customer: Customer, token: str) -> Subscription | None:
    try:
        stakeholder_id = int(signing.Signer(salt=MANAGE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return _subscription(customer, stakeholder_id=stakeholder_id)


def _subscription(customer: Customer, **lookup: int) -> Subscription | None:
    key = "stakeholder_id" if "stakeholder_id" in lookup else "pk"
    return (Subscription.objects.select_related("stakeholder", "customer")
            .filter(customer=customer, **{key: lookup[key]}).first())


def _generation(subscription: Subscription) -> int:
    """Changes each time the subscription is unsubscribed: older confirmation links stop working."""
    return int(subscription.unsubscribed_at.timestamp()) if subscription.unsubscribed_at else 0
