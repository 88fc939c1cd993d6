"""Small, loud readers for settings that come from the environment.

Every reader accepts ``NAME_FILE`` (a path whose contents are the value) so secrets can
come from Docker or systemd credentials. A value that cannot be parsed stops start-up
with a message naming the variable, instead of running with a silent default.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_path}: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = env_str(name, "1" if default else "0").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env_str(name, str(default)).strip()
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# Hosts that mean "listen on every address": not something a link can point at.
_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - recognised here, never bound


def default_site_url(host: str, port: str) -> str:
    """The base of links in messages when ``SITE_URL`` is not set: where ``make run`` listens.

    ``HOST=0.0.0.0`` (or ``::``) listens everywhere, so the links use ``127.0.0.1``; an IPv6
    address is bracketed.
    """
    host = host.strip()
    port = port.strip()
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise ImproperlyConfigured(f"PORT must be a TCP port (1-65535); got {port!r}")
    if host in _ANY_ADDRESS:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{int(port)}"


def env_site_url() -> str:
    """``SITE_URL`` when set, else the address ``HOST``/``PORT`` name (``make run`` exports both)."""
    explicit = env_str("SITE_URL").strip()
    if explicit:
        return explicit.rstrip("/")
    return default_site_url(env_str("HOST", "127.0.0.1"), env_str("PORT", "8000"))


def site_host(url: str) -> str:
    """The host of ``url`` as ``ALLOWED_HOSTS`` spells it (an IPv6 address in brackets)."""
    host = urlsplit(url).hostname or "localhost"
    return f"[{host}]" if ":" in host else host
