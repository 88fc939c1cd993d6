"""Which class sends each channel; ``comms.transports.transport_for`` looks channels up here."""

from comms.transports.base import Transport
from comms.transports.email import EmailTransport
from comms.transports.slack import SlackTransport
from comms.transports.sms import SmsTransport
from comms.transports.teams import TeamsTransport
from comms.transports.webhook import WebhookTransport

TRANSPORTS: dict[str, type[Transport]] = {
    "email": EmailTransport,
    "teams": TeamsTransport,
    "slack": SlackTransport,
    "webhook": WebhookTransport,
    "sms": SmsTransport,
}
