"""Single sign-on with OpenID Connect, configured from the environment (read by kalm/settings.py).

No models are imported here: settings call these functions before apps load. Every variable
also accepts ``NAME_FILE`` (core.env), so client secrets can come from Docker/systemd secrets.

One identity provider::

    KALM_OIDC_ISSUER=https://login.microsoftonline.com/<tenant-id>/v2.0
    KALM_OIDC_CLIENT_ID=...   KALM_OIDC_CLIENT_SECRET=...   KALM_OIDC_NAME="Microsoft 365"

Several: ``KALM_OIDC_PROVIDERS`` is a JSON list of objects with ``id``, ``name``, ``issuer``,
``client_id``, ``client_secret`` (or ``client_secret_file``) and optionally ``settings`` (passed
to django-allauth's ``openid_connect`` provider as they are) and ``form_action_origins`` (extra
origins the login page may post to, when the IdP's authorization endpoint is not on the issuer's
origin).

Roles come from a claim of the ID token or userinfo (``KALM_OIDC_GROUPS_CLAIM``, default ``groups``;
a single string such as Google's ``hd`` counts as one group): ``KALM_OIDC_MANAGER_GROUPS`` (comma
separated) make a user a manager, ``KALM_OIDC_CUSTOMER_GROUPS`` (JSON ``{"group": ["slug", ...]}``)
assign customers. ``KALM_OIDC_LINK_BY_EMAIL`` (comma-separated domains) lets an SSO login whose
address is in one of them sign in as the existing Kalm user with that address.
"""

import json
import re
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from core.env import env_list, env_str

_PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def _json(name: str, default: Any) -> Any:
    raw = env_str(name).strip()
    if not raw:
        return default
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"{name} must be JSON: {exc}") from None


def _issuer(name: str, value: Any) -> str:
    parts = urlsplit(str(value or ""))
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    if not parts.hostname or not secure:
        raise ImproperlyConfigured(f"{name}: the issuer must be an https:// URL; got {value!r}")
    return str(value).rstrip("/")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _app(name: str, spec: dict, link_domains: list[str]) -> dict:
    provider_id = str(spec.get("id") or "").strip()
    if not _PROVIDER_ID.match(provider_id):
        raise ImproperlyConfigured(f"{name}: id must be lower-case letters, digits, - or _; got {provider_id!r}")
    issuer = _issuer(name, spec.get("issuer"))
    client_id = str(spec.get("client_id") or "").strip()
    secret = spec.get("client_secret")
    if not secret and spec.get("client_secret_file"):
        secret = _read_secret_file(name, spec["client_secret_file"])
    if not client_id or not secret:
        raise ImproperlyConfigured(f"{name}: provider {provider_id!r} needs client_id and client_secret")
    settings = {
        "server_url": issuer,  # allauth reads <issuer>/.well-known/openid-configuration
        "oauth_pkce_enabled": True,
    }
    if link_domains:
        # The IdP owns these domains: its addresses there count as verified, and an SSO login
        # with one signs in as the Kalm user who has it.
        settings.update({"email_authentication": True, "verified_email": link_domains})
    settings.update(spec.get("settings") or {})
    origins = [_origin(issuer), *(_origin(str(o)) for o in spec.get("form_action_origins") or [])]
    return {
        "provider_id": provider_id,
        "name": str(spec.get("name") or provider_id),
        "client_id": client_id,
        "secret": str(secret),
        "settings": {**settings, "form_action_origins": list(dict.fromkeys(origins))},
    }


def _read_secret_file(name: str, path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}: cannot read client_secret_file {path}: {exc}") from None


def openid_connect_apps() -> list[dict]:
    """django-allauth ``SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]`` from the environment."""
    link_domains = [domain.lower() for domain in env_list("KALM_OIDC_LINK_BY_EMAIL")]
    specs = _json("KALM_OIDC_PROVIDERS", [])
    if not isinstance(specs, list) or not all(isinstance(spec, dict) for spec in specs):
        raise ImproperlyConfigured("KALM_OIDC_PROVIDERS must be a JSON list of objects")
    apps = [_app("KALM_OIDC_PROVIDERS", spec, link_domains) for spec in specs]
    if env_str("KALM_OIDC_ISSUER").strip():
        apps.append(_app("KALM_OIDC_ISSUER", {
            "id": env_str("KALM_OIDC_ID", "sso"),
            "name": env_str("KALM_OIDC_NAME", "Single sign-on"),
            "issuer": env_str("KALM_OIDC_ISSUER"),
            "client_id": env_str("KALM_OIDC_CLIENT_ID"),
            "client_secret": env_str("KALM_OIDC_CLIENT_SECRET"),
        }, link_domains))
    ids = [app["provider_id"] for app in apps]
    if len(ids) != len(set(ids)):
        raise ImproperlyConfigured(f"OpenID Connect provider ids must differ; got {ids}")
    return apps


def oidc_role_mapping() -> dict:
    """Which IdP groups make a manager and which make account managers of which customers."""
    customer_groups = _json("KALM_OIDC_CUSTOMER_GROUPS", {})
    valid = isinstance(customer_groups, dict) and all(
        isinstance(slugs, list) and all(isinstance(slug, str) for slug in slugs) for slugs in customer_groups.values())
    if not valid:
        raise ImproperlyConfigured('KALM_OIDC_CUSTOMER_GROUPS must be JSON like {"idp-group": ["midsize", "acme"]}')
    return {
        "groups_claim": env_str("KALM_OIDC_GROUPS_CLAIM", "groups").strip() or "groups",
        "manager_groups": env_list("KALM_OIDC_MANAGER_GROUPS"),
        "customer_groups": {str(group): list(slugs) for group, slugs in customer_groups.items()},
    }


def form_action_origins(apps: list[dict]) -> list[str]:
    """Origins the login page's SSO buttons post to (through a redirect), for the CSP ``form-action``."""
    origins: list[str] = []
    for app in apps:
        origins.extend((app.get("settings") or {}).get("form_action_origins") or [])
    return list(dict.fromkeys(origins))
