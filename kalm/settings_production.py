"""Production settings: the base settings plus HTTPS-only hardening.

Used by docker-compose and by ``manage.py check --deploy`` in CI. A real SECRET_KEY is
required; the development fallback is refused.
"""

from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_int
from kalm.settings import *  # noqa: F403
from kalm.settings import MAILERS, SECRET_KEY, STORAGES, file_store_backend

if SECRET_KEY.startswith("kalm-insecure") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set SECRET_KEY (or SECRET_KEY_FILE) to 50+ random characters in production.")

DEBUG = False
if MAILERS["default"]["BACKEND"].endswith("filebased.EmailBackend"):
    # Production never leaves mail in files: without EMAIL_HOST it goes to the local MTA.
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                           "OPTIONS": {"host": "localhost", "port": 25}}}
# Report PDFs in PostgreSQL unless KALM_FILE_STORE says otherwise: any web node serves what any
# worker rendered (docs/deploy.md).
STORAGES = {**STORAGES, "default": {"BACKEND": file_store_backend("database")}}
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Probes and the Prometheus scrape speak plain HTTP on the host or the internal network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
