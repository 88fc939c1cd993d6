"""Status page subscriptions: double opt-in sign-up, preferences, and unsubscribing.

A subscriber is a ``comms.Stakeholder`` with ``self_subscribed`` (role affected users,
audience end user, their language, their components), inactive until confirmed and after
unsubscribing, so the ordinary pipeline delivers to it and logs what it sent. This module
keeps that stakeholder and its ``Subscription`` row in step. The links' signed tokens are
``statuspage.subscription_tokens``; the confirmation mail goes through
``subscription_tasks.send_subscription_mail`` on commit.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comms.models import Audience, Role, Stakeholder
from comms.tasks import enqueue
from incidents.models import Component, Customer
from statuspage.models import Subscription, SubscriptionChannel, SubscriptionState
from statuspage.signup_guard import validate_subscriber_webhook
from statuspage.subscription_tasks import send_subscription_mail

# --- writes -------------------------------------------------------------------------------


def subscribe(*, customer: Customer, channel: str, address: str, language: str,
              components: list[Component], contact_email: str = "") -> Subscription:
    """Sign up (or sign up again) and send the confirmation mail on commit.

    The same address on the same page reuses its row. A pending or unsubscribed one takes
    the new choices and gets a new confirmation link; a confirmed one is left as it is (the
    form is public, so it must not change someone else's subscription) and its owner gets
    a mail with the link to their preferences. The caller answers the same either way.
    """
    address = _clean_address(channel, address)
    if channel == SubscriptionChannel.WEBHOOK:
        check_webhook_address(address)
    _check(customer=customer, channel=channel, contact_email=contact_email, components=components)
    _check_language(language)
    try:
        with transaction.atomic():
            subscription = _subscribe(customer=customer, channel=channel, address=address, language=language,
                                      components=components, contact_email=contact_email)
    except IntegrityError:  # a concurrent sign-up with the same address created the row first
        with transaction.atomic():
            subscription = _subscribe(customer=customer, channel=channel, address=address, language=language,
                                      components=components, contact_email=contact_email)
    transaction.on_commit(lambda: enqueue(send_subscription_mail, subscription.pk))
    return subscription


def _subscribe(*, customer: Customer, channel: str, address: str, language: str, components: list[Component],
               contact_email: str) -> Subscription:
    subscription = (Subscription.objects.select_for_update().select_related("stakeholder")
                    .filter(customer=customer, channel=channel, address=address).first())
    if subscription is None:
        stakeholder = Stakeholder.objects.create(
            customer=customer, name=(contact_email or address)[:200], role=Role.AFFECTED_USERS,
            audience=Audience.END_USER, language=language, is_active=False, self_subscribed=True,
            email=address if channel == SubscriptionChannel.EMAIL else "",
            webhook_url=address if channel == SubscriptionChannel.WEBHOOK else "",
            webhook_secret=secrets.token_urlsafe(32) if channel == SubscriptionChannel.WEBHOOK else "",
        )
        subscription = Subscription.objects.create(customer=customer, stakeholder=stakeholder, channel=channel,
                                                   address=address, contact_email=contact_email)
    elif subscription.state == SubscriptionState.CONFIRMED and subscription.stakeholder.is_active:
        return subscription
    # Pending, unsubscribed, or confirmed but switched off by staff: a new opt-in proves the
    # address is theirs, so it may start again.
    else:
        subscription.state = SubscriptionState.PENDING
        subscription.contact_email = contact_email
        subscription.save(update_fields=["state", "contact_email"])
        Stakeholder.objects.filter(pk=subscription.stakeholder_id).update(language=language)
    subscription.stakeholder.components.set(components)
    return subscription


def confirm(*, subscription: Subscription) -> Subscription:
    """Second step of the opt-in: the stakeholder starts receiving updates. Idempotent."""
    return _move_to(subscription, SubscriptionState.CONFIRMED, stamp="confirmed_at", active=True)


def update_preferences(*, subscription: Subscription, language: str, components: list[Component]) -> Subscription:
    """The subscriber's own choices (components: empty = all)."""
    _check(customer=subscription.customer, channel=subscription.channel, contact_email=subscription.contact_email,
           components=components)
    _check_language(language)
    if subscription.state == SubscriptionState.UNSUBSCRIBED:
        raise ValidationError({"components": [_("This subscription has ended; subscribe again to receive updates.")]},
                              code="unsubscribed")
    with transaction.atomic():
        stakeholder = subscription.stakeholder
        stakeholder.language = language
        stakeholder.full_clean(exclude=["components"])
        stakeholder.save(update_fields=["language"])
        stakeholder.components.set(components)
    return subscription


def unsubscribe(*, subscription: Subscription) -> Subscription:
    """Stop all messages at once. Idempotent: a second one-click POST changes nothing."""
    return _move_to(subscription, SubscriptionState.UNSUBSCRIBED, stamp="unsubscribed_at", active=False)


def _move_to(subscription: Subscription, state: str, *, stamp: str, active: bool) -> Subscription:
    """Set the state (stamping when it changed) and switch the stakeholder with it, under a row lock."""
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if locked.state != state:
            locked.state = state
            setattr(locked, stamp, timezone.now())
            locked.save(update_fields=["state", stamp])
            Stakeholder.objects.filter(pk=locked.stakeholder_id).update(is_active=active)
    subscription.refresh_from_db()
    subscription.stakeholder.refresh_from_db()
    return subscription


# --- checks -------------------------------------------------------------------------------


def _clean_address(channel: str, address: str) -> str:
    address = address.strip()
    if channel == SubscriptionChannel.EMAIL:
        # One row per mailbox however it was typed: domains are case-insensitive, and in
        # practice so are mailboxes (a case-sensitive one would be a second subscription).
        return address.lower()
    return address


def _check(*, customer: Customer, channel: str, contact_email: str, components: list[Component]) -> None:
    if channel not in SubscriptionChannel.values:
        raise ValidationError({"channel": [_("Unknown channel.")]}, code="channel")
    if channel == SubscriptionChannel.WEBHOOK and not contact_email:
        raise ValidationError({"contact_email": [_("A webhook subscription needs a contact e-mail.")]},
                              code="contact")
    if any(component.customer_id != customer.pk for component in components):
        raise ValidationError({"components": [_("Choose components of this status page.")]}, code="components")


def _check_language(language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        # Django's own wording, so its catalogs translate it.
        message = _("Select a valid choice. That choice is not one of the available choices.")
        raise ValidationError({"language": [message]}, code="language")


def check_webhook_address(url: str) -> None:
    """Raise ValidationError keyed by field for an address Kalm must not call (see signup_guard)."""
    try:
        validate_subscriber_webhook(url)
    except ValidationError as error:
        raise ValidationError({"webhook_url": error.messages}) from None
