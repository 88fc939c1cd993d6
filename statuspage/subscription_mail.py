"""The mail a subscription sends itself, and what it adds to the pipeline's mails.

- ``subscription_mail_send``: the transactional confirmation mail (or, for an address that
  is subscribed already, a note with the preferences link), in the subscriber's language,
  straight through ``mailers.default``: it is not an incident message, so it stays out of
  the stakeholder pipeline and its log.
- ``subscriber_extras``: named in ``settings.KALM_DELIVERY_EXTRAS``; gives every
  e-mail to a subscriber the RFC 8058 one-click unsubscribe headers and a footer with the
  preferences and unsubscribe links. It runs once per delivery in a fan-out of thousands,
  so it reads only what the delivery has loaded (stakeholder, communication, customer) and
  computes the link by signing: no query.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

from comms.models import Delivery
from comms.transports import MessageExtras
from core.texts import localized
from incidents.models import Language
from statuspage import links
from statuspage.models import Subscription, SubscriptionState
from statuspage.subscription_tokens import confirm_token, manage_token

TEMPLATE_DIR = "statuspage/subscriptions/email"


def manage_url(slug: str, stakeholder_id: int) -> str:
    return links.absolute("subscription-manage", slug, manage_token(stakeholder_id))


def subscription_mail_send(subscription_id: int) -> bool:
    """Send the confirmation (or 'already subscribed') mail; False when there is nothing to send."""
    subscription = (Subscription.objects.select_related("customer", "stakeholder")
                    .filter(pk=subscription_id).exclude(state=SubscriptionState.UNSUBSCRIBED).first())
    if subscription is None or not subscription.notify_email:
        return False
    mailers.default.send_messages([subscription_mail(subscription)])
    return True


def subscription_mail(subscription: Subscription) -> EmailMultiAlternatives:
    stakeholder = subscription.stakeholder
    customer = subscription.customer
    with translation.override(stakeholder.language):
        context = {
            "page_name": customer.name,
            "page_url": links.page_url(customer.slug),
            "subscription": subscription,
            "already": subscription.state == SubscriptionState.CONFIRMED,
            "confirm_url": links.absolute("subscription-confirm", customer.slug, confirm_token(subscription)),
            "manage_url": manage_url(customer.slug, stakeholder.pk),
            "components": [localized(component, "name", stakeholder.language, written_in=customer.language)
                           for component in stakeholder.components.order_by("group", "position", "name")],
            "language_name": Language(stakeholder.language).label,
            "msp_name": settings.KALM_MSP_NAME,
        }
        subject = " ".join(render_to_string(f"{TEMPLATE_DIR}/subject.txt", context).split())
        text = render_to_string(f"{TEMPLATE_DIR}/body.txt", context)
        html = render_to_string(f"{TEMPLATE_DIR}/body.html", context)
    mail = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL,
                                  to=[subscription.notify_email],
                                  headers={"Auto-Submitted": "auto-generated",
                                           "Content-Language": stakeholder.language})
    mail.attach_alternative(html, "text/html")
    return mail


def subscriber_extras(delivery: Delivery) -> MessageExtras | None:
    """List-Unsubscribe headers and a footer for an e-mail to a status page subscriber."""
    stakeholder = delivery.stakeholder
    if delivery.channel != "email" or stakeholder is None or not stakeholder.self_subscribed:
        return None
    communication = delivery.communication
    customer = communication.customer
    token = manage_token(stakeholder.pk)
    manage = links.absolute("subscription-manage", customer.slug, token)
    unsubscribe = links.absolute("subscription-unsubscribe", customer.slug, token)
    with translation.override(communication.language):
        reason = _("You receive this because you subscribed to the %(name)s status page.") % {"name": customer.name}
        manage_label, unsubscribe_label = _("Manage your subscription"), _("Unsubscribe")
    return MessageExtras(
        # RFC 8058: the POST to this URL with "List-Unsubscribe=One-Click" unsubscribes.
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        footer_text=f"{reason}\n{manage_label}: {manage}\n{unsubscribe_label}: {unsubscribe}",
        footer_html=format_html('<p>{}<br><a href="{}">{}</a> · <a href="{}">{}</a></p>', reason, manage,
                                manage_label, unsubscribe, unsubscribe_label),
        personal=token,
    )
