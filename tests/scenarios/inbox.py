"""What each person received, read off the real servers: the SMTP inbox, the SMS provider's
endpoint and the webhook receiver, each message tied to the Communication (and so the
timeline entry) that produced it."""

import json
import re
from dataclasses import dataclass

from comms.models import Communication
from tests.comms.servers import HttpSink, SmtpServer
from tests.scenarios.story import Step, Story

MESSAGE_ID = re.compile(r"<kalm\.(\d+)\.(\d+)\.")


@dataclass(frozen=True)
class Received:
    channel: str  # email, sms, webhook
    address: str
    subject: str
    text: str  # what the reader reads as text: the plain part, the SMS, the webhook's "text"
    language: str  # as declared (Content-Language, the payload's "language") or the Communication's
    communication: Communication
    step: Step | None

    @property
    def kind(self) -> str:
        return self.communication.kind


def received(story: Story, smtp: SmtpServer, sink: HttpSink) -> list[Received]:
    return [*_mails(story, smtp), *_sms(story, sink), *_hooks(story, sink)]


def _communication(pk: int) -> Communication:
    return Communication.objects.select_related("update").get(pk=pk)


def _mails(story: Story, smtp: SmtpServer) -> list[Received]:
    found = []
    for mail in smtp.messages:
        message = mail.message
        communication = _communication(int(MESSAGE_ID.match(message["Message-ID"]).group(1)))
        text = message.get_body(("plain",)).get_content()
        for address in mail.rcpt_tos:
            found.append(Received("email", address, str(message["Subject"]), text,
                                  str(message["Content-Language"]), communication,
                                  story.step_of_update(communication.update_id)))
    return found


def _sms(story: Story, sink: HttpSink) -> list[Received]:
    found = []
    for request in sink.requests:
        if request.path != "/sms":
            continue
        payload = json.loads(request.body)
        communication = next(c for c in Communication.objects.filter(incident=story.incident).order_by("id")
                             if payload["text"].startswith(c.short_text))
        found.append(Received("sms", payload["to"], "", payload["text"], communication.language,
                              _communication(communication.pk), story.step_of_update(communication.update_id)))
    return found


def _hooks(story: Story, sink: HttpSink) -> list[Received]:
    found = []
    for request in sink.requests:
        if request.path != "/hook":
            continue
        payload = json.loads(request.body)
        communication = _communication(int(MESSAGE_ID.match(payload["message_id"]).group(1)))
        found.append(Received("webhook", "ITSM", payload["subject"], payload["text"], payload["language"],
                              communication, story.step_of_update(communication.update_id)))
    return found


def inbox(messages: list[Received], address: str, channel: str = "email") -> list[Received]:
    """One person's messages on one channel, in the order they were written."""
    return sorted((m for m in messages if m.address == address and m.channel == channel),
                  key=lambda m: m.communication.pk)
