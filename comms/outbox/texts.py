"""A Communication's texts, rendered after commit (issue 11).

The transaction that writes an incident's facts writes each Communication with the template
facts its texts are made from (``template_context``, comms.messages.context) and, for a text
the account manager edited in the composer, that finished text. The texts are rendered here,
afterwards, by the task that expands the Communication (comms.outbox.expansion), before any
Delivery exists: a staff-edited template is untrusted code, and however well bounded
(comms.messages.rendering), it never runs while the incident's rows are locked and other
customers' writes wait. The composer's preview renders the same way, after its rolled-back
transaction (console.compose).
"""

from typing import Any

from comms.messages.rendering import Rendering, render_for_sending, render_plain
from comms.messages.templates import message_template_failed
from comms.models import Communication
from comms.outbox.drills import drill_marked
from incidents.models import Customer


def message_texts(*, customer: Customer, kind: str, audience: str, language: str, context: dict[str, Any],
                  edited: tuple[str, str] | None = None) -> Rendering:
    """What the message says: the edited text wrapped as a message, or its template rendered.

    Never fails: a stored template that fails, or exceeds a bound, gives way to the shipped
    default, and ``failure`` says so.
    """
    if edited is not None:
        subject, body = edited
        return Rendering(render_plain(subject=subject, body=body, context=context, language=language))
    return render_for_sending(kind=kind, audience=audience, language=language, context=context, customer=customer)


def communication_render(communication_id: int) -> bool:
    """Render a written Communication's texts, once; True when this call did. Call it outside any transaction.

    Two workers racing render twice, and the conditional UPDATE keeps one: the texts are the same.
    A stored template that failed is recorded by the call that wrote the texts
    (comms.messages.templates.message_template_failed).
    """
    communication = (Communication.objects.select_related("customer", "incident")
                     .filter(pk=communication_id, template_context__isnull=False).first())
    if communication is None:
        return False
    edited = (communication.subject, communication.body_text) if communication.texts_edited else None
    rendering = message_texts(customer=communication.customer, kind=communication.kind,
                              audience=communication.audience, language=communication.language,
                              context=communication.template_context, edited=edited)
    message = rendering.message
    subject, body_text, body_html, short_text = (message.subject, message.body_text, message.body_html,
                                                 message.short_text)
    if communication.incident is not None and communication.incident.is_drill:
        subject, body_text, body_html, short_text = drill_marked(
            subject=subject, body_text=body_text, body_html=body_html, short_text=short_text,
            language=communication.language)
    done = bool(Communication.objects.filter(pk=communication.pk, template_context__isnull=False).update(
        subject=subject, body_text=body_text, body_html=body_html, short_text=short_text[:480], template_context=None,
    ))
    if done and rendering.failure is not None:
        # The message went out with the shipped default; the template is marked and staff are told once.
        message_template_failed(failure=rendering.failure, customer=communication.customer)
    return done
