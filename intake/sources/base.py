"""What every source module shares: the request as it came (``Payload``) and reading its JSON."""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy as email_policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

from intake.signals import PayloadError, clean_text

MAX_BODY = 1_000_000  # bytes; Alertmanager's largest groups stay well below (truncatedAlerts beyond)


@dataclass(frozen=True)
class Payload:
    """A request's body and the headers a source may need (lower-case names)."""

    body: bytes
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


def json_object(payload: Payload) -> dict[str, Any]:
    """The body as a JSON object, or ``PayloadError("body", …)``."""
    try:
        data = json.loads(payload.body)
    except (UnicodeDecodeError, ValueError) as error:
        raise PayloadError("body", f"not JSON ({error})") from None
    if not isinstance(data, dict):
        raise PayloadError("body", "a JSON object is expected")
    return data


# ---------------------------------------------------------------------------------------------
# Shared readers. Every source reads the same kinds of values (times, ids, tag lists, links), and
# reads them the same way, so a body means the same thing whichever source sent it and a
# malformed one always fails with a ``PayloadError`` naming the field, never a KeyError/TypeError.
# ---------------------------------------------------------------------------------------------

MAX_KEY = 200  # characters of a fingerprint or group key; a longer one is hashed
MAX_URL = 2_000
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100  # a time outside these years is a bug at the source, not an alert
_KEY_CONTROL = dict.fromkeys([*range(0, 32), *range(127, 160)], None)


def as_object(value: object, field_name: str) -> dict[str, Any]:
    """``value`` when it is a JSON object, else ``PayloadError`` naming ``field_name``."""
    if not isinstance(value, dict):
        raise PayloadError(field_name, "an object is expected")
    return value


def as_list(value: object, field_name: str) -> list[Any]:
    """``value`` when it is a JSON array, else ``PayloadError`` naming ``field_name``."""
    if not isinstance(value, list):
        raise PayloadError(field_name, "a list is expected")
    return value


def optional_object(value: object, field_name: str) -> dict[str, Any]:
    """An object that a source may leave out (missing or null gives an empty one)."""
    return {} if value is None else as_object(value, field_name)


def scalar_text(value: object, field_name: str) -> str:
    """A text, number or null as text: ids arrive as either, depending on the source's version.
    An object, list or boolean where an id belongs is a malformed body."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(field_name, "text or a number is expected")
    return str(value).strip()


def short_key(value: object) -> str:
    """A fingerprint or group key: text of at most ``MAX_KEY`` characters, control characters
    removed. A longer one is replaced by its SHA-256 (stable, so a repeat still matches)."""
    text = str(value).translate(_KEY_CONTROL).strip()
    if len(text) <= MAX_KEY:
        return text
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def key_text(value: object, field_name: str) -> str:
    """An id the source sends (text or number) as a key: ``scalar_text`` then ``short_key``, so
    one made only of control characters counts as missing."""
    return short_key(scalar_text(value, field_name))


def parse_time(value: object, field_name: str) -> datetime | None:
    """A source's time as an aware UTC datetime (None when it left the time out).

    Accepts ISO 8601 (with ``Z``, an offset, or none: naive is UTC, as every source here sends
    UTC) and epoch seconds (a number or a text of digits). A time that cannot be read, or one
    outside the years 2000–2100, is a ``PayloadError`` naming the field: an incident dated 1970
    or 9999 would mislead every report it reaches.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(field_name, "a time (ISO 8601 or epoch seconds) is expected")
    try:
        moment = _epoch(value) if _is_number(value) else datetime.fromisoformat(str(value).strip())
        # In UTC: a time near year 1 or 9999 may overflow on the way (still an unreadable time).
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        raise PayloadError(field_name, f"not a time: {str(value)[:40]!r}") from None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise PayloadError(field_name, f"{moment.isoformat()} is outside {EARLIEST_YEAR}–{LATEST_YEAR}")
    return moment


def _is_number(value: str | int | float) -> bool:
    """Epoch seconds: a number, or a text that is one (sources that fill placeholders send text)."""
    if not isinstance(value, str):
        return True
    try:
        float(value)
    except ValueError:
        return False
    return True


def _epoch(value: str | int | float) -> datetime:
    """Epoch seconds as UTC; NaN, infinities and years beyond datetime's raise ValueError/OverflowError."""
    return datetime.fromtimestamp(float(value), tz=UTC)


def clean_url(value: object) -> str:
    """A link to the alert at its source, only when it is an absolute http(s) URL: a
    ``javascript:`` or relative one is dropped rather than shown as a link in the console."""
    if not isinstance(value, str):
        return ""
    url = value.strip()
    if not url or len(url) > MAX_URL or any(ord(char) < 33 or 127 <= ord(char) < 160 for char in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else ""


def component_names(value: object) -> tuple[str, ...]:
    """Component names from a label or tag: a comma-separated text or a list of texts; cleaned,
    blank ones dropped, each name once (in the order given)."""
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    names: list[str] = []
    for item in items:
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            continue
        for part in str(item).split(","):
            name = clean_text(part, 100)
            if name and name not in names:
                names.append(name)
    return tuple(names)


def tag_pairs(value: object) -> dict[str, str]:
    """Tags as a flat mapping, whichever of the usual shapes a source sends them in: an object,
    a list of ``{"tag"|"name"|"key": …, "value": …}`` (Zabbix's ``{EVENT.TAGSJSON}``, Uptime
    Kuma's monitor tags), or a list of ``"key:value"``/``"key=value"`` texts. A repeated tag keeps
    every value, comma-separated; a null value leaves its key out. Not yet cleaned: pass the
    result through ``clean_labels``."""
    if isinstance(value, dict):
        return {str(key): str(item) for key, item in value.items() if item is not None}
    if not isinstance(value, list):
        return {}
    pairs: dict[str, str] = {}
    for item in value:
        key, text = _tag_pair(item)
        if key:
            earlier = pairs.get(key, "")
            pairs[key] = f"{earlier},{text}" if earlier and text else earlier or text
    return pairs


def _tag_pair(item: object) -> tuple[str, str]:
    """One tag of a list as (name, value); ("", "") for an item of no known shape."""
    if isinstance(item, dict):
        key = next((item[name] for name in ("tag", "name", "key") if isinstance(item.get(name), str)), "")
        text = item.get("value")
        return key.strip(), "" if text is None else str(text)
    if isinstance(item, str):
        for separator in (":", "="):
            if separator in item:
                key, _, text = item.partition(separator)
                return key.strip(), text.strip()
        return item.strip(), ""
    return "", ""


def form_fields(payload: Payload) -> dict[str, str]:
    """The fields of a ``multipart/form-data`` or ``application/x-www-form-urlencoded`` body (a
    source that posts a form, like Uptime Kuma's "form-data" webhook). Read with the standard
    library's e-mail parser, so no request object is needed; a body it cannot read gives none."""
    content_type = _full_content_type(payload)
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        try:
            text = payload.body.decode()
        except UnicodeDecodeError:
            raise PayloadError("body", "the form is not UTF-8") from None
        return {key: values[-1] for key, values in parse_qs(text, keep_blank_values=True).items()}
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=email_policy.HTTP).parsebytes(header + payload.body)
    if not message.is_multipart():
        return {}
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(content, bytes):
            fields[name] = _decoded(content, part.get_content_charset())
    return fields


def _full_content_type(payload: Payload) -> str:
    """The Content-Type with its parameters: a multipart body cannot be split without its
    ``boundary``, which a caller passing only the media type (Django's ``request.content_type``)
    leaves out. Then the raw header supplies it, else the body's own first line (``--<boundary>``).
    One header line, whatever was sent."""
    content_type = " ".join((payload.content_type or "").split())
    if "boundary=" in content_type.lower() or not content_type.lower().startswith("multipart/"):
        return content_type
    header = " ".join(str(payload.headers.get("content-type", "")).split())
    if "boundary=" in header.lower():
        return header
    first_line = payload.body.split(b"\r\n", 1)[0].split(b"\n", 1)[0]
    boundary = first_line[2:].decode("ascii", errors="ignore").strip()
    if first_line.startswith(b"--") and boundary and '"' not in boundary:
        return f'{content_type}; boundary="{boundary}"'
    return content_type


def _decoded(content: bytes, charset: str | None) -> str:
    """A form field's text in its declared charset; UTF-8 when it declares none or an unknown one."""
    try:
        return content.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return content.decode("utf-8", errors="replace")


def is_form(payload: Payload) -> bool:
    """Whether the body is a form rather than JSON (by its Content-Type)."""
    kind = (payload.content_type or "").split(";")[0].strip().lower()
    return kind in ("multipart/form-data", "application/x-www-form-urlencoded")
