"""What a status page subscriber's footer and List-Unsubscribe headers cost per e-mail.

In-process, no database and no network: builds unsaved Delivery objects as the delivery
engine has them loaded (stakeholder, communication, customer) and measures
1. ``subscriber_extras`` alone (signing the manage token, reversing two URLs, translating);
2. composing the MIME bytes of N messages to MSP stakeholders (one serialisation per batch,
   then only To and Message-ID replaced) against N to subscribers (also one serialisation,
   with a stand-in for the personal link token that is then swapped in per recipient:
   ``OutgoingMessage.personal``).
Prints figures; asserts nothing about time.

    .venv/bin/python bench/subscriber_mail.py [--messages 2000]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalm.settings")
# An SMTP mailer whose connection is replaced below: nothing is sent anywhere.
os.environ["EMAIL_HOST"], os.environ["EMAIL_PORT"] = "127.0.0.1", "1"

import django  # noqa: E402

django.setup()

from comms.models import Communication, Delivery, Stakeholder  # noqa: E402
from comms.outbox.delivery import outgoing_message  # noqa: E402
from comms.transports.email import EmailTransport  # noqa: E402
from incidents.models import Customer  # noqa: E402
from statuspage.subscription_mail import subscriber_extras  # noqa: E402


class _CountingConnection:
    """Stands in for smtplib: counts the bytes it is given."""

    def __init__(self) -> None:
        self.bytes = 0

    def sendmail(self, sender, recipients, raw) -> None:
        self.bytes += len(raw)


def deliveries(n: int, *, subscribed: bool) -> list[Delivery]:
    customer = Customer(pk=1, name="MidSize Manufacturing BV", slug="midsize", language="nl")
    communication = Communication(pk=7, customer=customer, kind="update", audience="end_user", language="nl",
                                  subject="Storing: ERP traag", body_text="De ERP is traag. " * 40,
                                  body_html="<html><body><p>De ERP is traag.</p></body></html>",
                                  short_text="ERP traag")
    return [Delivery(pk=i, communication=communication, channel="email", address=f"user{i}@example.com",
                     stakeholder=Stakeholder(pk=i, customer=customer, language="nl", email=f"user{i}@example.com",
                                             self_subscribed=subscribed))
            for i in range(1, n + 1)]


def time_per_call(function, items) -> float:
    start = time.perf_counter()
    for item in items:
        function(item)
    return (time.perf_counter() - start) / len(items) * 1e6


def compose(items: list[Delivery]) -> tuple[float, int]:
    """Microseconds per message through EmailTransport's batch path, and bytes composed."""
    transport = EmailTransport()
    transport.open()
    backend = transport._batch
    connection = _CountingConnection()
    backend.connection = connection
    backend.open = lambda: False  # already "connected"
    start = time.perf_counter()
    for delivery in items:
        transport._send_in_batch(outgoing_message(delivery), delivery.message_id)
    return (time.perf_counter() - start) / len(items) * 1e6, connection.bytes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    subscribers = deliveries(args.messages, subscribed=True)
    subscriber_extras(subscribers[0])  # warm up: the first reverse() imports the URLconf
    compose(deliveries(10, subscribed=True))
    extras = [time_per_call(subscriber_extras, subscribers) for _ in range(3)]
    print(f"subscriber_extras: {statistics.median(extras):.1f} µs per delivery (median of 3 × {args.messages})")
    for label, subscribed in (("MSP stakeholders", False), ("subscribers", True)):
        micros, size = compose(deliveries(args.messages, subscribed=subscribed))
        print(f"compose {args.messages} mails to {label}: {micros:.0f} µs per message, "
              f"{size / args.messages / 1024:.1f} KiB each")


if __name__ == "__main__":
    main()
