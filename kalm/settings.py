"""Kalm settings: everything comes from the environment, with defaults that run anywhere.

With no environment at all Kalm runs on SQLite and a Celery transport that needs no
server (files under ``var/``, or ``KALM_VAR_DIR``), so ``make run`` works on a fresh machine;
every process creates the folders these settings name when it starts (``kalm.folders``).
``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis. See the README's
configuration table.
"""

import ipaddress
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from accounts.oidc_settings import oidc_role_mapping, openid_connect_apps
from core.env import env_bool, env_int, env_list, env_site_url, env_str, site_host
from kalm.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KALM_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)
# The fallback key is for development only; production settings refuse to start without one.
SECRET_KEY = env_str("SECRET_KEY", "kalm-insecure-development-key-change-me-0123456789abcdef")
# Absolute base of links in e-mails, SMS, feeds, JSON and calendars: SITE_URL, else where HOST/PORT listen.
SITE_URL = env_site_url()
# By default the links' own host answers too (HOST=192.0.2.7 make run, or SITE_URL's domain).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ",".join(dict.fromkeys(["localhost", "127.0.0.1", "[::1]",
                                                                  site_host(SITE_URL)])))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "django_htmx",
    # Before allauth: accounts/templates/ styles allauth's pages to the console.
    "accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "axes",
    "core",
    "kalm",
    "incidents",
    "audit",
    "comms",
    "playbook",
    "followup",
    "statuspage",
    "reports",
    "flows",
    "insight",
    "intake",
    "cadence",
    "console",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kalm.logs.RequestContextMiddleware",  # the request id and path on log lines (KALM_LOG_FORMAT=json)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.origin.RequestOriginMiddleware",  # the client address for audit events written below the views
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",  # login stages (password → second factor)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # After CSP (its response passes first): the sign-in pages may post to the IdPs; the
    # second-factor requirement (KALM_MFA_REQUIRED); the console language a user picks.
    "accounts.middleware.AccountsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kalm.middleware.HtmxMessagesMiddleware",  # after messages and htmx: adds pending messages to htmx swaps
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a locked-out sign-in into the lockout page
]

ROOT_URLCONF = "kalm.urls"
WSGI_APPLICATION = "kalm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.context_processors.delivery_alerts",
                "accounts.context_processors.account_links",
                "audit.context_processors.audit_links",
            ],
            "builtins": ["django.templatetags.i18n", "django.templatetags.static", "core.templatetags.formatting"],
        },
    },
]

# Forms render through TEMPLATES, so templates/django/forms/ can replace a widget's template
# (select.html: options in one pass, core.templatetags.widgets).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'kalm.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"  # /accounts/login/, django-allauth's login view under Kalm's old URL name
LOGIN_REDIRECT_URL = "incidents:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Sign-in (accounts/, README "Sign-in and accounts"): django-allauth for username/password,
# password reset by e-mail, second factors and OpenID Connect; django-axes locks out guessing.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out username+address before any check
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"  # no public sign-up; mail in the user's language
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"  # IdP groups → Kalm roles, or refused
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]  # sign-up is closed (adapter)
ACCOUNT_EMAIL_VERIFICATION = "none"  # staff are created by managers/admins with their work address
ACCOUNT_SESSION_REMEMBER = True  # sessions last as before (SESSION_COOKIE_AGE), no "remember me" box
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kalm] "
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # a reset asked for an unknown address sends nothing (and says the same)
# django-axes does the per-user lockout; allauth keeps only its burst limit per client address.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip"}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_FORMS = {"authenticate": "accounts.forms.MfaAuthenticateForm"}  # the code step counts towards the lockout
MFA_PASSKEY_LOGIN_ENABLED = True  # "Sign in with a passkey" on the login page
MFA_TOTP_ISSUER = "Kalm"  # the name authenticator apps show beside the code
# allauth refuses a second factor while the user has an unverified address (against sign-up
# squatting); Kalm has no sign-up and no address verification, so that would block everyone.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# "" (nobody is forced), "managers" or "everyone": who must set up a second factor before the console.
KALM_MFA_REQUIRED = env_str("KALM_MFA_REQUIRED", "").strip().lower()
# OpenID Connect single sign-on (accounts/oidc_settings.py): KALM_OIDC_ISSUER/CLIENT_ID/CLIENT_SECRET/NAME,
# or KALM_OIDC_PROVIDERS as JSON; the IdP's groups claim maps to Managers and to customers' account managers.
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": openid_connect_apps()}}
SOCIALACCOUNT_AUTO_SIGNUP = True  # only for users the mapping grants a role (the adapter refuses the rest)
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True  # KALM_OIDC_LINK_BY_EMAIL links existing users
SOCIALACCOUNT_STORE_TOKENS = False  # Kalm calls no IdP API after sign-in
KALM_OIDC = oidc_role_mapping()
KALM_MANAGERS_GROUP = env_str("KALM_MANAGERS_GROUP", "Managers")
# django-axes: KALM_LOGIN_FAILURE_LIMIT failures for one username from one address lock that pair
# out for KALM_LOGIN_LOCKOUT_MINUTES (the database handler: every gunicorn worker sees the same count).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("KALM_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KALM_LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lockout lasts its time from the last counted failure
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the console's lockout page lists recent failures
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"  # honours KALM_TRUSTED_PROXY_COUNT
AXES_USERNAME_CALLABLE = "accounts.security.attempted_username"  # case-insensitive, as allauth's login is
AXES_VERBOSE = False

# i18n: the console follows the browser (or the switch); public pages follow the customer.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"  # stored and computed in UTC; shown in the customer's zone
USE_TZ = True
KALM_DEFAULT_TIME_ZONE = "Europe/Amsterdam"

STATIC_URL = "/static/"
# collectstatic writes here; nginx serves it (docker-compose: the kalm-static volume).
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]


def file_store_backend(default: str) -> str:
    """The default storage's class for KALM_FILE_STORE; anything else stops start-up naming it.

    Report PDFs (and any file saved through the default storage): "filesystem" keeps them under
    MEDIA_ROOT (one machine: make run, tests); "database" stores them in PostgreSQL
    (reports.storage), so every web node serves what any worker rendered (production's default,
    docs/deploy.md).
    """
    stores = {"filesystem": "django.core.files.storage.FileSystemStorage",
              "database": "reports.storage.DatabaseStorage"}
    store = env_str("KALM_FILE_STORE", default)
    if store not in stores:
        raise ImproperlyConfigured(f"KALM_FILE_STORE must be one of {', '.join(stores)}; got {store!r}")
    return stores[store]


STORAGES = {
    "default": {"BACKEND": file_store_backend("filesystem")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# Content Security Policy (Django's own middleware): no inline script, no third-party origin.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],  # the sign-in pages add the IdPs' origins (accounts.middleware)
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

# E-mail (Django 6.1 MAILERS): an SMTP server when EMAIL_HOST is set, otherwise files
# under var/mail that a newcomer can open and read.
_email_host = env_str("EMAIL_HOST")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kalm <kalm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where a stakeholder's reply goes: messages say "reply to this message", so it must reach people.
KALM_REPLY_TO = env_str("KALM_REPLY_TO", DEFAULT_FROM_EMAIL)
# What apps above comms add to a delivery (comms.outbox.delivery.extras_providers): the one
# extension point of the delivery engine, declared here rather than registered at start-up.
KALM_DELIVERY_EXTRAS = [
    "statuspage.subscription_mail.subscriber_extras",  # a subscriber's List-Unsubscribe and footer
    "reports.attachments.report_extras",  # the PDF attached to a post-incident summary, when chosen
    "insight.monthly.mail.service_report_extras",  # the monthly service report's PDF, when chosen
]
if _email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("EMAIL_PORT", 25),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": env_int("EMAIL_TIMEOUT", 10),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport (no server).
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
else:
    _celery_dir = VAR_DIR / "celery"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),  # kombu's default is ./control, beside the code
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # safe: every task is idempotent (docs/architecture.md, decision 2)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# PDF renders run on their own queue so a burst of reports never delays message delivery.
CELERY_TASK_ROUTES = {"reports.tasks.*": {"queue": "reports"},  # publishes: statuspage.tasks.enqueue_publish
                      "insight.tasks.*": {"queue": "reports"}}  # the monthly service report
# Time-driven work is a tick that finds what is due in the database (docs/architecture.md, decision 3).
CELERY_BEAT_SCHEDULE = {
    "comms-sweep": {"task": "comms.tasks.sweep", "schedule": 60.0},
    # Cadence: reminders, holding updates, escalations, clocks, maintenance (cadence.tick).
    "cadence-tick": {"task": "cadence.tasks.tick", "schedule": float(env_int("KALM_TICK_SECONDS", 60))},
    # Re-publish the status pages the clock has changed: a local midnight, a window's start or end (statuspage.refresh).
    "statuspage-refresh": {"task": "statuspage.tasks.refresh_status_pages",
                           "schedule": float(env_int("KALM_SNAPSHOT_REFRESH_SECONDS", 180))},
    # Monitoring intake: accepted requests whose task was lost; records older than KALM_INTAKE_KEEP_DAYS.
    "intake-sweep": {"task": "intake.tasks.sweep", "schedule": 60.0},
    "intake-purge": {"task": "intake.tasks.purge_requests", "schedule": 3600.0},
}
# Beat's record of when each entry last ran, beside the other files (not in the working directory).
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
if REDIS_URL:
    # Beat runs exactly once however many are started (docs/deploy.md): RedBeat keeps the schedule
    # in Redis and holds a lock there; a second beat waits for it and takes over within
    # KALM_BEAT_LOCK_SECONDS of the first one dying. A duplicate tick would still do nothing
    # twice (cadence claims each item in its CadenceEvent ledger; sweeps claim rows), the lock
    # only saves the work.
    # (RedBeat 2.4 warns at start that it "falls back" to broker_url/broker_transport_options: it
    # looks for the bare names, but reads the two CELERY_REDBEAT_REDIS_* below all the same.)
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = REDIS_URL
    CELERY_REDBEAT_REDIS_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
    CELERY_REDBEAT_KEY_PREFIX = "kalm:beat"
    CELERY_REDBEAT_LOCK_TIMEOUT = env_int("KALM_BEAT_LOCK_SECONDS", 30)
    # The lock is renewed at every wake-up and a waiting beat retries this often: well inside the lock.
    CELERY_BEAT_MAX_LOOP_INTERVAL = max(1, CELERY_REDBEAT_LOCK_TIMEOUT // 6)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing happens after commit inside web requests: fail fast when the broker is down
# (the sweeper re-drives the work) instead of holding the request for retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

# Plain lines, or KALM_LOG_FORMAT=json: one JSON object per line with the request id and path (kalm.logs).
KALM_LOG_FORMAT = env_str("KALM_LOG_FORMAT", "plain").strip().lower()
LOGGING = logging_config(KALM_LOG_FORMAT, env_str("LOG_LEVEL", "INFO"))
# Celery's worker and beat replace the root logger's handlers with their own plain format unless told not to.
CELERY_WORKER_HIJACK_ROOT_LOGGER = KALM_LOG_FORMAT != "json"
# /metrics (kalm.metrics) answers loopback, and other clients that send "Authorization: Bearer <this>".
KALM_METRICS_TOKEN = env_str("KALM_METRICS_TOKEN")

# Branding and messaging.
KALM_MSP_NAME = env_str("KALM_MSP_NAME", "Kalm Managed Services")
KALM_BRAND_COLOR = env_str("KALM_BRAND_COLOR", "#1f5fbf")
KALM_LOGO_PATH = env_str("KALM_LOGO_PATH") or None  # image file for the PDF report's cover
# "prewarmed": each worker process keeps a renderer that forks per report (reports.zygote);
# "fresh": a new interpreter per report.
KALM_REPORT_RENDERER = env_str("KALM_REPORT_RENDERER", "prewarmed")
KALM_MAIL_DOMAIN = env_str("KALM_MAIL_DOMAIN", "kalm.localhost")  # right-hand side of Message-IDs
# Routine updates to an address that heard about the same incident less than this ago wait until it has
# passed, then go out as one message (over-communication guard, comms.outbox.coalescing); 0 = never wait.
KALM_COALESCE_MINUTES = env_int("KALM_COALESCE_MINUTES", 10)
# Minutes an incident role may stay unacknowledged before the tick escalates it (playbook, cadence.role_jobs).
KALM_ROLE_ACK_MINUTES = env_int("KALM_ROLE_ACK_MINUTES", 15)
# Monitoring intake (intake/): how long each received request (with its body) stays on the
# integration's page.
KALM_INTAKE_KEEP_DAYS = env_int("KALM_INTAKE_KEEP_DAYS", 7)
# Delivery engine: a 'sending' delivery older than the lease belongs to a dead worker and is
# queued again; the sweeper leaves the on-commit path this grace period before re-driving work.
KALM_DELIVERY_LEASE_SECONDS = env_int("KALM_DELIVERY_LEASE_SECONDS", 300)
KALM_SWEEP_GRACE_SECONDS = env_int("KALM_SWEEP_GRACE_SECONDS", 30)
# SMS: "console" writes to the log; "http" posts to SMS_API_URL with SMS_API_TOKEN.
KALM_SMS_PROVIDER = env_str("KALM_SMS_PROVIDER", "console")
SMS_API_URL = env_str("SMS_API_URL")
SMS_API_TOKEN = env_str("SMS_API_TOKEN")
SMS_SENDER = env_str("SMS_SENDER", "Kalm")

# API tokens (kalm.models.ApiToken): how many days a new token lasts unless its creator chooses.
KALM_API_TOKEN_DAYS = env_int("KALM_API_TOKEN_DAYS", 90)
if not 1 <= KALM_API_TOKEN_DAYS <= 365:
    raise ImproperlyConfigured(f"KALM_API_TOKEN_DAYS must be between 1 and 365; got {KALM_API_TOKEN_DAYS}")

# Public status pages refresh themselves this often (seconds).
KALM_STATUS_POLL_SECONDS = env_int("KALM_STATUS_POLL_SECONDS", 30)

# Status page subscriptions (statuspage.subscriptions): sign-ups per client IP per window;
# how many proxies in front set X-Forwarded-For (0 = use REMOTE_ADDR).
KALM_SUBSCRIBE_RATE = env_int("KALM_SUBSCRIBE_RATE", 5)
KALM_SUBSCRIBE_RATE_WINDOW_SECONDS = env_int("KALM_SUBSCRIBE_RATE_WINDOW_SECONDS", 600)
KALM_TRUSTED_PROXY_COUNT = env_int("KALM_TRUSTED_PROXY_COUNT", 0)

_HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*")
_NUMERIC_HOST = re.compile(r"(0[xX][0-9a-fA-F]*|[0-9]+)(\.(0[xX][0-9a-fA-F]*|[0-9]+)){0,3}")  # 0x7f000001, 127.1


def _outbound_allow(name: str, default: str) -> list[str]:
    """Host names, IP addresses and CIDR networks; anything else stops start-up naming the variable."""
    entries = env_list(name, default)
    for entry in entries:
        try:
            ipaddress.ip_network(entry.strip("[]"), strict=False)
        except ValueError:
            host = entry.rstrip(".")
            if not _HOST_NAME.fullmatch(host) or _NUMERIC_HOST.fullmatch(host):
                raise ImproperlyConfigured(f"{name}: {entry!r} is not a host name, IP address or CIDR "
                                           "network") from None
    return entries


# Outbound HTTP (comms.transports.outbound): webhooks, Teams, Slack and the SMS API connect only to
# public addresses, checked when connecting, except the internal hosts listed here. SMS_API_URL's
# host counts as listed. KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE (tests, development) lets the
# public's subscriber webhooks use http:// and the listed hosts too; set without a list, it lists
# loopback and the private networks (what it allowed before the list existed).
KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE = env_bool("KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE", False)
_PRIVATE_NETWORKS = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
KALM_OUTBOUND_ALLOW = _outbound_allow("KALM_OUTBOUND_ALLOW",
                                      _PRIVATE_NETWORKS if KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE else "")

# Published status pages (docs/architecture.md, decision 4; statuspage.snapshots): public pages are rendered
# into files that Django (and nginx, deploy/nginx.conf) serve without reading the database.
KALM_STATUS_SNAPSHOTS = env_bool("KALM_STATUS_SNAPSHOTS", True)
KALM_SNAPSHOT_DIR = Path(env_str("KALM_SNAPSHOT_DIR", str(VAR_DIR / "snapshots")))
# Browsers and CDNs may reuse a snapshot this long, then revalidate (ETag → 304) in the background.
KALM_SNAPSHOT_MAX_AGE = env_int("KALM_SNAPSHOT_MAX_AGE", 5)
KALM_SNAPSHOT_STALE_SECONDS = env_int("KALM_SNAPSHOT_STALE_SECONDS", 30)
# Changes that arrive while a publish is still queued ride along with it. That needs a cache
# the web and worker processes share (Redis); with the per-process cache every change publishes.
KALM_SNAPSHOT_COALESCE = env_bool("KALM_SNAPSHOT_COALESCE", bool(REDIS_URL))
KALM_SNAPSHOT_COALESCE_SECONDS = env_int("KALM_SNAPSHOT_COALESCE_SECONDS", 10)  # a lost task frees the key
# Publishing runs on its own queue, so a burst of publishes never delays a delivery. With several
# web hosts, one queue per host (KALM_PUBLISH_QUEUES=publish.a,publish.b): every publish goes to
# each, and each host's publish worker writes its own KALM_SNAPSHOT_DIR (docs/deploy.md).
KALM_PUBLISH_QUEUES = env_list("KALM_PUBLISH_QUEUES", "publish")
