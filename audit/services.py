"""Writing the audit trail: ``record`` is the only way in, called explicitly where a change
happens (docs/architecture.md, decision 8), in the change's own transaction when there is one.

Who: ``actor`` (None for the system: the tick, a command, a robot), or the request's user;
the username is kept as text beside the key. From where: the request's client address
(``core.http.client_ip``), or the address ``audit.origin`` noted for the current request
when the caller has no request at hand (the flows). What: the action, the customer and
incident it concerns, the object, and before → after of the fields that changed, made
JSON-safe and stripped of secrets (``audit.changes.safe``).
"""

from collections.abc import Mapping
from ipaddress import ip_address
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.http import HttpRequest

from audit.changes import diff, safe, snapshot
from audit.models import Action, AuditEvent
from audit.origin import current_client_ip
from core.http import client_ip
from incidents.models import Customer, Incident

MAX_DETAIL = 2000

__all__ = ["Action", "diff", "record", "snapshot"]


def record(
    *,
    action: Action | str,
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
    actor_username: str | None = None,
    actor_ip: str | None = None,
    customer: Customer | None = None,
    incident: Incident | None = None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    only_changes: bool = True,
    detail: str = "",
) -> AuditEvent:
    """Append one event.

    ``actor`` defaults to the request's signed-in user; ``actor_ip`` to the request's client
    address, else the current request's (``audit.origin``). ``target`` fills the object
    fields (``object_*`` override them). ``before``/``after`` are reduced to the keys that
    differ unless ``only_changes`` is False (a creation or a deletion: the whole record).
    """
    if action not in Action.values:
        raise ValueError(f"Unknown audit action: {action!r}")
    if actor is None and request is not None:
        actor = _signed_in(request)
    if actor is not None and not actor.is_authenticated:
        actor = None
    if actor_ip is None:
        actor_ip = client_ip(request) if request is not None else current_client_ip()
    before, after = dict(before or {}), dict(after or {})
    if only_changes:
        before, after = diff(before, after)
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or target.pk or ""
        object_repr = object_repr or str(target)
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_username=(actor_username if actor_username is not None
                        else actor.get_username() if actor is not None else "")[:150],
        actor_ip=_valid_ip(actor_ip),
        customer=customer,
        incident=incident,
        object_type=object_type[:100],
        object_id=str(object_id)[:64],
        object_repr=object_repr[:300],
        before=safe(before),
        after=safe(after),
        detail=detail[:MAX_DETAIL],
    )


def _signed_in(request: HttpRequest) -> AbstractBaseUser | None:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _valid_ip(value: str | None) -> str | None:
    """The address if it is one (REMOTE_ADDR may be empty or a socket path behind some servers)."""
    try:
        return str(ip_address((value or "").strip()))
    except ValueError:
        return None
