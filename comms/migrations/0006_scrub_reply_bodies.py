"""Errors recorded before issue 11 (finding 3) quoted what the endpoint answered: up to 200
characters of its body ("HTTP 500 from https://host: <the page>"), or the words of a reply that
was not HTTP ("Could not reach https://host: illegal status line: b'SSH-2.0-…'"). An endpoint
inside the network made that an internal page's text on the delivery page, in the log and its
CSV export. This keeps the status and the host and drops the rest; new errors carry only a
short, sanitised reason (comms.transports.http.reply_reason). Irreversible by design.
"""

import re

from django.db import migrations

QUOTED_REPLY = re.compile(r"^(HTTP [124-9]\d\d from \S+?): .*\Z", re.DOTALL)  # 3xx: a fixed sentence, kept
QUOTED_PROTOCOL_ERROR = re.compile(r"^(Could not reach \S+?): (?!\[Errno )(?!ConnectError\Z).*\Z", re.DOTALL)
FULL_URL = re.compile(r"^Bad URL .*\Z", re.DOTALL)  # also quoted the webhook's path, a credential


def scrubbed(text: str) -> str:
    text = QUOTED_REPLY.sub(r"\1", text)
    text = QUOTED_PROTOCOL_ERROR.sub(r"\1", text)
    return FULL_URL.sub("Bad URL", text)


def scrub(apps, schema_editor):
    for model, field in (("Delivery", "last_error"), ("DeliveryAttempt", "error"), ("EndpointHealth", "last_error")):
        rows = apps.get_model("comms", model).objects
        changed = []
        for row in rows.filter(**{f"{field}__regex": r"^(HTTP |Could not reach |Bad URL )"}).only("pk", field).iterator():
            clean = scrubbed(getattr(row, field))
            if clean != getattr(row, field):
                setattr(row, field, clean)
                changed.append(row)
        rows.bulk_update(changed, [field], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [("comms", "0005_cadenceevent_moves_to_cadence")]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
