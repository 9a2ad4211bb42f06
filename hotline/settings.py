"""Django settings for Hotline, read from the environment (see docs/configuration.md).

Zero configuration works: SQLite in WAL mode in the data folder, in-memory channel layer.
Without SECRET_KEY, the demo's database (no DATABASE_URL) has a key of its own in the data folder;
any other database refuses to start without one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hotline.lib.config import env_bool, env_int, env_list, env_origins, env_prefixes, env_proxy_ssl_header, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_SECRET_KEY = "hotline-demo-secret-key-not-for-production"

DEMO = env_bool("HOTLINE_DEMO", False)
TESTING = env_bool("HOTLINE_TESTING", False)
DEBUG = env_bool("DEBUG", False)
DATA_DIR = Path(env_str("HOTLINE_DATA_DIR", str(BASE_DIR / "data"))).resolve()

DATABASE_URL = env_str("DATABASE_URL", "")


def _kept_secret_key(folder: Path) -> str:
    """The demo database's own key: made at random on first use and kept in the data folder beside the
    database (readable by its owner only), so that every `hotline` command on that database shares it.
    Linked into place in one step, so two commands starting together cannot end up with two keys."""
    path = folder / "secret_key"
    try:
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            draft = folder / f".secret_key.{os.getpid()}"
            descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as stream:
                stream.write(secrets.token_urlsafe(50))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another command made it first: use theirs
            finally:
                draft.unlink()
        key = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"Cannot keep the demo database's secret key in {path} ({exc.strerror or exc}): "
                                   "make the data folder writable, or export SECRET_KEY.") from exc
    if not key:
        raise ImproperlyConfigured(f"{path} is empty: delete it (a new key is made) or export SECRET_KEY.")
    return key


# The key: SECRET_KEY when set (blank counts as unset). Without it, the demo's database — no DATABASE_URL,
# so SQLite in the data folder — has a key of its own (docs/configuration.md); the test suite and
# HOTLINE_DEMO=1 (`hotline demo` and `hotline simulate` on another database) use the built-in one; anything
# else is refused at start-up in one line (the `hotline` command prints it and exits with status 2).
SECRET_KEY = env_str("SECRET_KEY", "").strip()
if not SECRET_KEY:
    if TESTING:
        SECRET_KEY = DEMO_SECRET_KEY
    elif not DATABASE_URL:
        SECRET_KEY = _kept_secret_key(DATA_DIR)
    elif DEMO:
        SECRET_KEY = DEMO_SECRET_KEY
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Hotline needs one for a database named by DATABASE_URL: export SECRET_KEY "
            "to a long random value (python3 -c 'import secrets; print(secrets.token_urlsafe(50))'), or unset "
            "DATABASE_URL to use the demo's database (SQLite in the data folder)."
        )

ALLOWED_HOSTS = [h.strip() for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

# TLS (docs/deployment.md): in production Hotline sits behind a TLS reverse proxy. Every default is off so
# that the demo works over plain http on loopback; docs/configuration.md lists what to turn on.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
CSRF_TRUSTED_ORIGINS = list(env_origins("CSRF_TRUSTED_ORIGINS"))
# Content-Security-Policy (hotline/lib/csp.py): Report-Only reports violations and blocks nothing.
CSP_REPORT_ONLY = env_bool("HOTLINE_CSP_REPORT_ONLY", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "hotline.accounts",
    "hotline.media",
    "hotline.crm",
    "hotline.catalog",
    "hotline.orders",
    "hotline.logistics",
    "hotline.finance",
    "hotline.reports",
    "hotline.calls",
    "hotline.ivrdata",
    "hotline.notify",
    "hotline.service",
    "hotline.kb",
    "hotline.campaigns",
    "hotline.desk",
    "hotline.wallboard",
    "hotline.core",
    "hotline.jobs",
    "hotline.demo",
    "hotline.bench",
    "hotline.simulate",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hotline.lib.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hotline.urls"
ASGI_APPLICATION = "hotline.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "hotline" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ]
        },
    }
]


def _database_settings() -> dict[str, object]:
    """SQLite in the data folder unless DATABASE_URL names another database."""
    url = DATABASE_URL
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'hotline.sqlite3'}"
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL Hotline understands: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers work while an order is being written; IMMEDIATE avoids lock upgrades.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # JIT off for Hotline's connections: PostgreSQL compiles any query whose cost estimate passes
        # jit_above_cost, on every call, and for the finance receivables over a million orders the compiling
        # alone took ~800 ms of a ~1.6 s query (docs/benchmarks.md). Short OLTP queries gain nothing from it.
        # Options given in DATABASE_URL (?options=-c …) are kept; one that sets jit itself wins.
        given_options = config.get("OPTIONS")
        options = dict(given_options) if isinstance(given_options, dict) else {}
        given = str(options.get("options", ""))
        if "jit" not in given:
            options["options"] = f"{given} -c jit=off".strip()
        config["OPTIONS"] = options
    return config


DATABASES = {"default": _database_settings()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["hotline.accounts.backends.RoleBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"  # the start page sends each role to its screen
LOGOUT_REDIRECT_URL = "/login/"

# Web sign-in throttling (docs/security.md, "Web password guessing"): failures in a row per account and per
# source address, a growing wait between attempts, then a lock.
HOTLINE_LOGIN_ACCOUNT_LIMIT = env_int("HOTLINE_LOGIN_ACCOUNT_LIMIT", 10, minimum=1)
HOTLINE_LOGIN_ADDRESS_LIMIT = env_int("HOTLINE_LOGIN_ADDRESS_LIMIT", 30, minimum=1)
HOTLINE_LOGIN_LOCK_MINUTES = env_int("HOTLINE_LOGIN_LOCK_MINUTES", 15, minimum=1)
HOTLINE_LOGIN_DELAY_AFTER = env_int("HOTLINE_LOGIN_DELAY_AFTER", 3, minimum=1)
HOTLINE_LOGIN_MAX_DELAY = env_int("HOTLINE_LOGIN_MAX_DELAY", 30, minimum=0)  # seconds; 0: no wait, only locks
# A header the reverse proxy in front sets to the client's address (X-Forwarded-For, X-Real-IP); empty:
# REMOTE_ADDR, the only safe choice when clients reach the web port directly.
HOTLINE_CLIENT_ADDRESS_HEADER = env_str("HOTLINE_CLIENT_ADDRESS_HEADER", "")

REDIS_URL = env_str("REDIS_URL", "")

# Live events (screen pops, agent states, the wallboard) travel on the Channels layer: in memory when the
# engine runs inside the web process (`hotline demo`), through Redis when it is a separate process.
CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    if REDIS_URL else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
}

# Long work (imports, printing, feedback files) runs on the task worker (`hotline worker`; a thread of
# `hotline demo`): django-tasks with its database backend, so a queued job is a row in this database and
# survives restarts (docs/jobs.md). HOTLINE_JOBS_BACKEND names the TASKS entry jobs are queued on.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
HOTLINE_JOBS_BACKEND = "default"

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "hotline" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # `collectstatic` fills it for production; WhiteNoise serves it
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request when it is missing
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG or DEMO

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# E-mail notifications go out by SMTP only when EMAIL_HOST is set; otherwise they stay in the outbox.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "hotline@localhost")

# Business settings (all overridable from the environment).
HOTLINE_ATTRIBUTION_WINDOW_MINUTES = env_int("HOTLINE_ATTRIBUTION_WINDOW_MINUTES", 30, minimum=0)
HOTLINE_BLACKLIST_THRESHOLD = env_int("HOTLINE_BLACKLIST_THRESHOLD", 3, minimum=1)
HOTLINE_ORDER_PREFIX = env_str("HOTLINE_ORDER_PREFIX", "HL")
HOTLINE_RECORDING_RETENTION_DAYS = env_int("HOTLINE_RECORDING_RETENTION_DAYS", 90, minimum=0)  # 0: forever
# The telephony engine (`hotline engine`): SIP bind address, trunk sources allowed to call in, RTP ports.
HOTLINE_SIP_HOST = env_str("HOTLINE_SIP_HOST", "127.0.0.1")
HOTLINE_SIP_PORT = env_int("HOTLINE_SIP_PORT", 5060, minimum=0)  # 0: an ephemeral port
HOTLINE_TRUNKS = env_str("HOTLINE_TRUNKS", "127.0.0.1")  # comma-separated addresses or networks (10.0.0.0/24)
# A caller captured in a surge hears the confirmation as early media (183) and is refused after it, never
# answered (not charged); off: some carriers drop early media. Behind NAT: latch the carrier's RTP wherever
# it comes from (off: only the address its SDP names, so no stale sender takes a caller's port).
HOTLINE_TRUNK_EARLY_MEDIA_CAPTURE = env_bool("HOTLINE_TRUNK_EARLY_MEDIA_CAPTURE", False)
HOTLINE_TRUNK_RTP_BEHIND_NAT = env_bool("HOTLINE_TRUNK_RTP_BEHIND_NAT", False)
# SIP password guessing (docs/security.md): failed digest attempts within the window ban a source address
# (no answer at all) or lock a seat (its right password refused); 0 turns a limit off. Times in seconds.
HOTLINE_SIP_SOURCE_LIMIT = env_int("HOTLINE_SIP_SOURCE_LIMIT", 10, minimum=0)
HOTLINE_SIP_SEAT_LIMIT = env_int("HOTLINE_SIP_SEAT_LIMIT", 20, minimum=0)
HOTLINE_SIP_GUESS_WINDOW = env_int("HOTLINE_SIP_GUESS_WINDOW", 600, minimum=1)
HOTLINE_SIP_SOURCE_BAN = env_int("HOTLINE_SIP_SOURCE_BAN", 900, minimum=1)
HOTLINE_SIP_SEAT_LOCK = env_int("HOTLINE_SIP_SEAT_LOCK", 600, minimum=1)
# Click-to-dial sends the customer's leg here: a SIP URI with {number}; empty = no outbound calls.
HOTLINE_OUTBOUND_GATEWAY = env_str("HOTLINE_OUTBOUND_GATEWAY", "")
if HOTLINE_OUTBOUND_GATEWAY and "{number}" not in HOTLINE_OUTBOUND_GATEWAY:
    raise ImproperlyConfigured("HOTLINE_OUTBOUND_GATEWAY must contain {number}, e.g. sip:{number}@10.0.0.9")
HOTLINE_RTP_PORT_MIN = env_int("HOTLINE_RTP_PORT_MIN", 10000, minimum=1)
HOTLINE_RTP_PORT_MAX = env_int("HOTLINE_RTP_PORT_MAX", 20000, minimum=HOTLINE_RTP_PORT_MIN)
if HOTLINE_RTP_PORT_MAX > 65535:
    raise ImproperlyConfigured(f"HOTLINE_RTP_PORT_MAX must be at most 65535; got {HOTLINE_RTP_PORT_MAX}")
# Surge protection (docs/telephony.md, "Surge capture"). HOTLINE_SURGE=0 turns all of it off.
HOTLINE_SURGE = env_bool("HOTLINE_SURGE", True)
HOTLINE_LINES = env_int("HOTLINE_LINES", 0, minimum=0)  # licensed lines; 0 = no limit (no 503, no occupancy)
HOTLINE_SURGE_OCCUPANCY_PERCENT = env_int("HOTLINE_SURGE_OCCUPANCY_PERCENT", 80, minimum=1)
if HOTLINE_SURGE_OCCUPANCY_PERCENT > 100:
    raise ImproperlyConfigured("HOTLINE_SURGE_OCCUPANCY_PERCENT is a share of the lines: 1 to 100")
HOTLINE_SURGE_MAX_WAIT = env_int("HOTLINE_SURGE_MAX_WAIT", 60, minimum=1)  # seconds of expected wait
HOTLINE_ABANDON_CALLBACK_SECONDS = env_int("HOTLINE_ABANDON_CALLBACK_SECONDS", 10, minimum=-1)  # -1: never
HOTLINE_CALLBACK_KEY = env_str("HOTLINE_CALLBACK_KEY", "1")  # "" offers no callback key
HOTLINE_RETRY_AFTER = env_int("HOTLINE_RETRY_AFTER", 30, minimum=0)
# The callback dialer: calling window (local hours), attempts, minutes between attempts, hours to expiry.
HOTLINE_CALLBACK_WINDOW = env_str("HOTLINE_CALLBACK_WINDOW", "08:00-21:00")
HOTLINE_CALLBACK_ATTEMPTS = env_int("HOTLINE_CALLBACK_ATTEMPTS", 3, minimum=1)
HOTLINE_CALLBACK_RETRY_MINUTES = env_int("HOTLINE_CALLBACK_RETRY_MINUTES", 10, minimum=0)
HOTLINE_CALLBACK_EXPIRY_HOURS = env_int("HOTLINE_CALLBACK_EXPIRY_HOURS", 4, minimum=1)
HOTLINE_CALLBACK_QUEUE = env_str("HOTLINE_CALLBACK_QUEUE", "")  # agents of this queue call back ("": the first)
# The outbound dial policy for every customer dial (docs/telephony.md, "Outbound dial policy"): Chinese mobiles
# and landlines only, unless these classes or prefixes are allowed; daily attempts per number and per prefix.
HOTLINE_DIAL_ALLOW = env_list("HOTLINE_DIAL_ALLOW", "", frozenset({"international", "premium", "service"}))
HOTLINE_DIAL_ALLOW_PREFIXES = env_prefixes("HOTLINE_DIAL_ALLOW_PREFIXES", "")  # e.g. 00852 for Hong Kong
HOTLINE_DIAL_DENY_PREFIXES = env_prefixes("HOTLINE_DIAL_DENY_PREFIXES", "")
HOTLINE_DIAL_LIMIT_PER_NUMBER = env_int("HOTLINE_DIAL_LIMIT_PER_NUMBER", 5, minimum=0)  # 0: no limit
HOTLINE_DIAL_LIMIT_PER_PREFIX = env_int("HOTLINE_DIAL_LIMIT_PER_PREFIX", 100, minimum=0)  # 0: no limit
HOTLINE_DIAL_PREFIX_DIGITS = env_int("HOTLINE_DIAL_PREFIX_DIGITS", 7, minimum=1)
# Per-queue KPI thresholds until queues are configured in the database: {"queue": {...}, "*": {...}}.
HOTLINE_QUEUE_KPI: dict[str, dict[str, object]] = {}
HOTLINE_NOTIFY_BACKENDS = {
    "sms": "hotline.notify.backends.OutboxBackend",
    "voice": "hotline.notify.backends.OutboxBackend",
    "fax": "hotline.notify.backends.OutboxBackend",
    "email": "hotline.notify.backends.SmtpBackend" if EMAIL_HOST else "hotline.notify.backends.OutboxBackend",
}
# Real notifications (docs/service.md, "Notification channels"). SMS goes to an Aliyun-Dysms-shaped HTTP gateway
# only when HOTLINE_SMS_URL is set (otherwise it stays in the outbox); templates are event=TEMPLATE_CODE pairs.
HOTLINE_SMS_URL = env_str("HOTLINE_SMS_URL", "")  # e.g. https://dysmsapi.aliyuncs.com/
HOTLINE_SMS_ACCESS_KEY_ID = env_str("HOTLINE_SMS_ACCESS_KEY_ID", "")
HOTLINE_SMS_ACCESS_KEY_SECRET = env_str("HOTLINE_SMS_ACCESS_KEY_SECRET", "")
HOTLINE_SMS_SIGN_NAME = env_str("HOTLINE_SMS_SIGN_NAME", "")  # the approved 签名, e.g. 热线优选
HOTLINE_SMS_TEMPLATES = env_str("HOTLINE_SMS_TEMPLATES", "")  # order_placed=SMS_1,…,generic=SMS_9
HOTLINE_SMS_TIMEOUT = env_int("HOTLINE_SMS_TIMEOUT", 5, minimum=1)  # seconds per gateway request
HOTLINE_SMS_PER_HOUR = env_int("HOTLINE_SMS_PER_HOUR", 5, minimum=0)  # SMS per number per hour; 0: no limit
HOTLINE_SMS_CALLBACK_TOKEN = env_str("HOTLINE_SMS_CALLBACK_TOKEN", "")  # the secret in the uplink push URL
HOTLINE_NOTIFY_MAX_ATTEMPTS = env_int("HOTLINE_NOTIFY_MAX_ATTEMPTS", 6, minimum=1)
HOTLINE_NOTIFY_RETRY_MINUTES = env_int("HOTLINE_NOTIFY_RETRY_MINUTES", 2, minimum=1)  # first back-off, doubling
HOTLINE_FAX_GATEWAY = env_str("HOTLINE_FAX_GATEWAY", "")  # e-mail-to-fax address, e.g. {number}@fax.example.com
if HOTLINE_SMS_URL:
    if not (HOTLINE_SMS_ACCESS_KEY_ID and HOTLINE_SMS_ACCESS_KEY_SECRET and HOTLINE_SMS_SIGN_NAME
            and "generic=" in HOTLINE_SMS_TEMPLATES):
        raise ImproperlyConfigured("HOTLINE_SMS_URL needs HOTLINE_SMS_ACCESS_KEY_ID, HOTLINE_SMS_ACCESS_KEY_SECRET, "
                                   "HOTLINE_SMS_SIGN_NAME and a generic=CODE entry in HOTLINE_SMS_TEMPLATES")
    HOTLINE_NOTIFY_BACKENDS["sms"] = "hotline.notify.backends.SmsGatewayBackend"
if HOTLINE_FAX_GATEWAY:
    if "{number}" not in HOTLINE_FAX_GATEWAY or "@" not in HOTLINE_FAX_GATEWAY:
        raise ImproperlyConfigured("HOTLINE_FAX_GATEWAY must be an e-mail address containing {number}, "
                                   "e.g. {number}@fax.example.com")
    HOTLINE_NOTIFY_BACKENDS["fax"] = "hotline.notify.backends.FaxMailBackend"
# Voice notifications are calls the engine places (hotline.campaigns.voice): only where it can dial out.
if HOTLINE_OUTBOUND_GATEWAY:
    HOTLINE_NOTIFY_BACKENDS["voice"] = "hotline.campaigns.voice.EngineVoiceBackend"

# The console: a refused or missing page is one line (no traceback), static files are not access-logged
# (hotline/lib/logfilters.py). uvicorn's access logger gets our handler: uvicorn sets it up when it starts,
# and Django's set-up, which runs again when uvicorn imports the app, replaces uvicorn's handler with ours.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "client_error_without_traceback": {"()": "hotline.lib.logfilters.ClientErrorWithoutTraceback"},
        "skip_static_access": {"()": "hotline.lib.logfilters.SkipStaticAccess", "prefix": "/" + STATIC_URL.lstrip("/")},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["client_error_without_traceback"]},
        "uvicorn.access": {"handlers": ["console"], "filters": ["skip_static_access"], "propagate": False},
    },
}

VERSION = "0.1.0"
os.environ.setdefault("HOTLINE_VERSION", VERSION)
