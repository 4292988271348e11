"""Agora settings: one file, read from the environment, with embedded defaults.

With no environment at all Agora runs on SQLite, the in-memory channel layer,
local media and the console email backend. ``DATABASE_URL`` and ``REDIS_URL``
switch to PostgreSQL and Redis; ``AGORA_ENV=production`` hardens everything and
refuses to start without its secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


AGORA_ENV = env_str("AGORA_ENV", "development")
if AGORA_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured("AGORA_ENV must be development, test or production")
PRODUCTION = AGORA_ENV == "production"

DATA_DIR = Path(env_str("AGORA_DATA_DIR", str(BASE_DIR / "var")))
# The development key is published in this file: anything signed with it (sessions,
# password-reset links, invitations) can be forged by anyone who reads the source.
DEVELOPMENT_KEY_PREFIX = "dev-insecure-"

if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "AGORA_ENV=production needs SECRET_KEY (at least 50 random characters)."
        )
    if SECRET_KEY.startswith(DEVELOPMENT_KEY_PREFIX):
        raise ImproperlyConfigured(
            "AGORA_ENV=production refuses the published development SECRET_KEY: "
            "generate one (docs/deploy.md)."
        )
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "AGORA_ENV=production needs ALLOWED_HOSTS (comma-separated host names)."
        )
    DEBUG = False
else:
    # Development only: a fixed key is fine because nothing here is trusted.
    SECRET_KEY = env_str("SECRET_KEY", DEVELOPMENT_KEY_PREFIX + "x" * 50)
    LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", LOCAL_HOSTS)
    DEBUG = env_bool("DEBUG", False)
    # A deployment that forgot AGORA_ENV=production must not serve other machines with
    # the published development key (sessions, password-reset links and invitations
    # are signed with it).
    if SECRET_KEY.startswith(DEVELOPMENT_KEY_PREFIX) and set(ALLOWED_HOSTS) - set(LOCAL_HOSTS):
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS names other machines than this one: set AGORA_ENV=production "
            "with its SECRET_KEY (docs/deploy.md). The development key is public."
        )

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "config.apps.AgoraAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "guardian",
    "allauth",
    "config.apps.AgoraAllauthAccountConfig",  # allauth.account, named for the admin
    "allauth.mfa",
    "django_ckeditor_5",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "assembly",
    "deliberation",
    "forums",
    "documents",
    "workshops",
    "notifications",
    "realtime",
    "calls",
    "decisions",
    "gdpr",
    "dashboards",
    "learning",
    "backups",
]

MIDDLEWARE = [
    # Outermost: every request gets its id and is counted, whatever answers it.
    "config.logformat.RequestIdMiddleware",
    "config.metrics.RequestMetricsMiddleware",
    "config.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.PrivatePagesNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireStaffTwoFactorMiddleware",
    "gdpr.middleware.RequireWelcomeMiddleware",
]
# Messages live in the session: the only cookies are session, CSRF and language.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.agora",
                "dashboards.navigation.navigation",
                "accounts.comfort.reading_comfort",
            ],
            # |when and |day (config/dates.py) everywhere, like the built-in |date.
            "builtins": ["config.dates"],
        },
    }
]

# --- Database: SQLite file by default, DATABASE_URL for PostgreSQL ---------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    # PostgreSQL connections come from a pool per process (psycopg-pool, Django's
    # OPTIONS["pool"]): under ASGI each HTTP request runs in a thread of its own, and
    # persistent connections (CONN_MAX_AGE) kept one per thread: 4 daphne processes ran a
    # PostgreSQL server out of its 100 connections within 30 s of a 1,000-user load
    # (docs/performance.md, issue 18). A request or a socket's database call borrows one
    # and gives it back; at most DATABASE_POOL_SIZE per process, a borrower waits up to
    # DATABASE_POOL_TIMEOUT seconds. DATABASE_POOL_SIZE=0 turns the pool off,
    # keeping each connection 60 s instead (docs/deploy.md).
    DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 10)
    if DATABASE_POOL_SIZE > 0 and "postgresql" in DATABASES["default"]["ENGINE"]:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, DATABASE_POOL_SIZE),
            "max_size": DATABASE_POOL_SIZE,
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
            # A connection idle 5 minutes is closed (down to min_size).
            "max_idle": 300,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = 60
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "agora.sqlite3"),
            # Kept open as PostgreSQL's are: each database_sync_to_async call of the socket
            # consumers otherwise closes and reopens the file with its PRAGMAs, 3× the cost of
            # a session and user lookup (docs/performance.md, issue 18).
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Tests use a file too, not SQLite's in-memory database: its shared cache
            # answers "table is locked" at once where a file waits (`timeout`), so
            # concurrent socket tests would fail where the real server just waits. One per
            # process: a test may run pytest again inside a network namespace.
            "TEST": {"NAME": str(DATA_DIR / f"test-agora-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache ----------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # socket_timeout None: redis-py 8 defaults to 5 s, which aborts the layer's
            # blocking BZPOPMIN and kills idle consumers (channels_redis issue #422).
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "capacity": 5000,
                "expiry": 60,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "agora"),
        }
    }
else:
    # One process: Channels' in-memory layer with a plenary-sized group send
    # (realtime/layers.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "realtime.layers.LocalChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Sockets (realtime/guards.py, docs/protocol.md « Close codes ») ------------------
# Open sockets (conversations and drafts together) per session and per person, counted
# in each daphne process; one more is closed with 4409. A tab opens one, or two on a draft.
REALTIME_SOCKETS_PER_SESSION = env_int("REALTIME_SOCKETS_PER_SESSION", 20)
REALTIME_SOCKETS_PER_PERSON = env_int("REALTIME_SOCKETS_PER_PERSON", 40)

# --- Votes of the plenary (decisions/, docs/protocol.md « Votes ») ---------------------
# The live count goes out at most once per this many milliseconds per vote and process
# (decisions.actions.CountAnnouncer); 0: one event per ballot.
VOTES_COUNT_EVERY_MS = env_int("VOTES_COUNT_EVERY_MS", 500)

# --- Live calls (calls/, docs/protocol.md « Calls ») ---------------------------------
# Peer-to-peer calls hold this many people at most; above it a call needs the media server.
CALLS_MESH_MAX = env_int("CALLS_MESH_MAX", 6)
# The browser sends a heartbeat every CALLS_HEARTBEAT seconds while in a call; a person
# silent for CALLS_HEARTBEAT_TIMEOUT seconds (network lost) is taken out of the call.
CALLS_HEARTBEAT = env_int("CALLS_HEARTBEAT", 5)
CALLS_HEARTBEAT_TIMEOUT = env_int("CALLS_HEARTBEAT_TIMEOUT", 15)

# --- Live drafts (realtime/yjs/, deliberation/draft_store.py, docs/protocol.md) ---------
# The sizes and compaction are the draft store's; the pause, rate and burst apply to every
# Yjs document kind (the engine reads them).
DRAFT_MAX_UPDATE_BYTES = env_int("DRAFT_MAX_UPDATE_BYTES", 512 * 1024)
DRAFT_MAX_DOCUMENT_BYTES = env_int("DRAFT_MAX_DOCUMENT_BYTES", 8 * 1024 * 1024)
DRAFT_COMPACT_EVERY = env_int("DRAFT_COMPACT_EVERY", 500)
DRAFT_VERSION_PAUSE = env_int("DRAFT_VERSION_PAUSE", 60)  # seconds without edits
DRAFT_FRAME_RATE = env_int("DRAFT_FRAME_RATE", 60)  # messages a second per socket
DRAFT_FRAME_BURST = env_int("DRAFT_FRAME_BURST", 200)
# Co-writing relay (realtime/yjs/hub.py): at most one send per socket per tick (0: what
# arrived in one turn of the event loop is merged); how long a draft's group commit waits
# to gather updates while no other process has the draft open (0: it stores what queued
# while the previous commit ran). Edits are relayed before they are stored: see
# docs/protocol.md, « Durability and convergence ».
DRAFT_SEND_TICK_MS = env_int("DRAFT_SEND_TICK_MS", 0)
DRAFT_COMMIT_WAIT_MS = env_int("DRAFT_COMMIT_WAIT_MS", 50)

# --- Background tasks (Django's tasks API; django-tasks backport on 5.2) ---------------
# The database backend needs no extra service: `manage.py db_worker` runs them
# (`make run` starts one beside daphne; see docs/deploy.md for production).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Web push (notifications/webpush.py) ------------------------------------------------
# Off unless both VAPID keys are set (`manage.py webpush_keys` prints a pair): then a
# person may opt in, per device, on the notification preferences page. The push carries
# only a count and the address of /notifications/, never names or text.
WEBPUSH_VAPID_PUBLIC_KEY = env_str("WEBPUSH_VAPID_PUBLIC_KEY").strip()
WEBPUSH_VAPID_PRIVATE_KEY = env_str("WEBPUSH_VAPID_PRIVATE_KEY").strip()
if bool(WEBPUSH_VAPID_PUBLIC_KEY) != bool(WEBPUSH_VAPID_PRIVATE_KEY):
    raise ImproperlyConfigured(
        "WEBPUSH_VAPID_PUBLIC_KEY and WEBPUSH_VAPID_PRIVATE_KEY go together (manage.py "
        "webpush_keys)"
    )
# Who the push services may contact about our pushes: mailto: or https: (default: the
# DCCU's address).
WEBPUSH_SUBJECT = env_str("WEBPUSH_SUBJECT")
if WEBPUSH_SUBJECT and not WEBPUSH_SUBJECT.startswith(("mailto:", "https:")):
    raise ImproperlyConfigured("WEBPUSH_SUBJECT must start with mailto: or https:")
# The push services a browser's subscription may point at: a host (and its subdomains,
# over https) or an exact origin. Nothing else is ever posted to (no request forgery).
WEBPUSH_PUSH_SERVICES = env_list(
    "WEBPUSH_PUSH_SERVICES",
    [
        "fcm.googleapis.com",
        "push.services.mozilla.com",
        "notify.windows.com",
        "push.apple.com",
    ],
)
# A device whose push service fails this many times in a row is forgotten.
WEBPUSH_MAX_FAILURES = env_int("WEBPUSH_MAX_FAILURES", 5)

# --- Privacy --------------------------------------------------------------------------
ACCESS_COPY_VALID_HOURS = env_int("ACCESS_COPY_VALID_HOURS", 7 * 24)
# Art. 12(5) (requests repeated to excess): what one person may ask for in 24 hours.
GDPR_COPIES_PER_DAY = env_int("GDPR_COPIES_PER_DAY", 3)
GDPR_REQUESTS_PER_DAY = env_int("GDPR_REQUESTS_PER_DAY", 10)
PRIVATE_ROOT = Path(env_str("PRIVATE_ROOT", str(DATA_DIR / "private")))

# --- Authentication ----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
    "accounts.backends.RoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"  # invitations prove the address
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 600
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    # Per-address limits stay loose: at a plenary the members share the venue's one
    # public address (and mobile carriers NAT many phones): 30 failures there used to
    # lock password login for the whole room. The per-key (email) limits are what
    # protect an account; the per-address one only slows down trying a few passwords
    # on every account. A locked-out person can still log in with an emailed code
    # ("request_login_code" counts apart), and the error message says so.
    "login": "300/m/ip",
    "login_failed": "5/5m/key,200/10m/ip",
    # A plenary of 110 may ask for its codes in the same minute; per address the limit
    # only slows down mailing codes to a list of other people's addresses.
    "request_login_code": "150/m/ip,3/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    # The accessibility statement's feedback form (public, mailed to the DCCU): a plenary
    # shares one address, and 20 messages an hour from it is more than real problems send.
    "accessibility_feedback": "20/h/ip",
}
# The client address is what config.middleware.TrustedProxyMiddleware put in
# REMOTE_ADDR, behind exactly AGORA_TRUSTED_PROXY_COUNT proxies of ours (docs/deploy.md);
# allauth must not read X-Forwarded-For a second time on its own.
AGORA_TRUSTED_PROXY_COUNT = env_int("AGORA_TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = 0
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Agora] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Agora CD31")
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row

# Staff roles that must use two-factor authentication.
AGORA_STAFF_2FA_ROLES = ("dccu", "dpd")
# Demo mode lets seeded staff enrol with a documented TOTP secret.
AGORA_DEMO = env_bool("AGORA_DEMO", not PRODUCTION)
if PRODUCTION and AGORA_DEMO:
    # Demo staff accounts get a TOTP secret published in the README: with real data,
    # that is no second factor at all.
    raise ImproperlyConfigured("AGORA_DEMO cannot be on with AGORA_ENV=production.")
# Training mode (docs/training.md): the demo accounts are for training, a banner says so on
# every page, and `training_reset` wipes and reseeds everything each night. Only ever on a
# dedicated training instance: never with production settings, and never without the demo.
AGORA_TRAINING_MODE = env_bool("AGORA_TRAINING_MODE", False)
if AGORA_TRAINING_MODE and PRODUCTION:
    raise ImproperlyConfigured(
        "AGORA_TRAINING_MODE cannot be on with AGORA_ENV=production: its nightly reset "
        "deletes every piece of data."
    )
if AGORA_TRAINING_MODE and not AGORA_DEMO:
    raise ImproperlyConfigured("AGORA_TRAINING_MODE needs AGORA_DEMO (its demo accounts).")
# The demo accounts' password after the nightly reset (seed_demo's published one if empty).
AGORA_TRAINING_PASSWORD = env_str("AGORA_TRAINING_PASSWORD")

INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 14)
# A freed seat offered to a substitute waits this many days for an answer, then passes
# to the next substitute of the seat (docs/assembly.md).
SEAT_OFFER_DAYS = env_int("SEAT_OFFER_DAYS", 15)

# --- Internationalisation -----------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Outside production, find a static file when it is asked for instead of listing them all
# when the middleware starts: the test client starts it again for every test, and listing
# the ~700 files each time took 17 % of the suite's time.
WHITENOISE_AUTOREFRESH = not PRODUCTION

# --- Library (documents/files.py, docs/deploy.md « Library files ») --------------------
# Largest file accepted in the library; large videos are shared as links.
LIBRARY_MAX_UPLOAD_BYTES = env_int("LIBRARY_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
# Where the library's files live: "local" (under PRIVATE_ROOT/library/, never served by
# the web server directly) or "s3" (an S3-compatible bucket through django-storages).
# Only the library's storage reads these; Django's default storage is untouched.
LIBRARY_STORAGE = env_str("LIBRARY_STORAGE", "local")
if LIBRARY_STORAGE not in {"local", "s3"}:
    raise ImproperlyConfigured("LIBRARY_STORAGE must be local or s3")
LIBRARY_S3 = {
    "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
    "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
    "region_name": env_str("AWS_S3_REGION_NAME") or None,
    "access_key": env_str("AWS_S3_ACCESS_KEY_ID") or env_str("AWS_ACCESS_KEY_ID") or None,
    "secret_key": env_str("AWS_S3_SECRET_ACCESS_KEY") or env_str("AWS_SECRET_ACCESS_KEY") or None,
}
if LIBRARY_STORAGE == "s3" and not LIBRARY_S3["bucket_name"]:
    raise ImproperlyConfigured("LIBRARY_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
# Hand the file body to nginx: the prefix of an `internal` location (e.g. /_library/);
# empty: the application streams the file itself.
LIBRARY_X_ACCEL_REDIRECT = env_str("LIBRARY_X_ACCEL_REDIRECT")
# A ClamAV daemon ("host:port" or a unix socket path); empty: no antivirus scan.
CLAMAV_ADDRESS = env_str("CLAMAV_ADDRESS")
CLAMAV_TIMEOUT = env_int("CLAMAV_TIMEOUT", 30)  # seconds
# Without CLAMAV_ADDRESS, `check --deploy` warns (documents.W001) unless this says the
# operator runs without an antivirus on purpose (then it only informs, documents.I001).
LIBRARY_WITHOUT_ANTIVIRUS = env_bool("LIBRARY_WITHOUT_ANTIVIRUS", False)
for _public_root in (STATIC_ROOT, MEDIA_ROOT):
    if PRIVATE_ROOT.resolve().is_relative_to(_public_root.resolve()):
        raise ImproperlyConfigured("PRIVATE_ROOT must not be inside STATIC_ROOT or MEDIA_ROOT.")

# --- Backups (backups/, docs/deploy.md « Backups and restore ») -------------------------
# Encrypted archives of the database and the private files, made by `manage.py backup`.
# The key (URL-safe base64 of 32 bytes, `manage.py backup --generate-key`) comes from
# BACKUP_KEY or the file BACKUP_KEY_FILE, never from the archive; production refuses to
# back up without one (development makes var/backup.key). After each backup, the newest
# archive of each of the last BACKUP_KEEP_DAILY days and of each of the last
# BACKUP_KEEP_WEEKLY weeks is kept, the others deleted (stated in the register).
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(DATA_DIR / "backups")))
BACKUP_KEY = env_str("BACKUP_KEY")
BACKUP_KEY_FILE = env_str("BACKUP_KEY_FILE")
BACKUP_KEEP_DAILY = env_int("BACKUP_KEEP_DAILY", 7)
BACKUP_KEEP_WEEKLY = env_int("BACKUP_KEEP_WEEKLY", 5)

# --- Email -------------------------------------------------------------------------------
# Development prints emails on the console: that output is a log holding addresses, names
# and login codes (docs/privacy.md, « Server and mail logs »), so production never does.
CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else CONSOLE_EMAIL
)
if PRODUCTION and EMAIL_BACKEND == CONSOLE_EMAIL:
    raise ImproperlyConfigured(
        "The console email backend writes every email, login codes included, to the server "
        "log: set EMAIL_BACKEND to the SMTP backend in production (docs/deploy.md)."
    )
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# The file e-mail backend (the browser tests use it) writes its messages here.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or None
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Agora <ne-pas-repondre@agora.example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Platform identity (configurable per département) -----------------------------
AGORA_SITE_NAME = env_str("AGORA_SITE_NAME", "Agora")
AGORA_ORGANISATION = env_str("AGORA_ORGANISATION", "Conseil départemental de la Haute-Garonne")
AGORA_ASSEMBLY_NAME = env_str("AGORA_ASSEMBLY_NAME", "Assemblée citoyenne de la Haute-Garonne")
DPO_EMAIL = env_str("DPO_EMAIL", "dpd.haute-garonne@cd31.fr")
DPO_PHONE = env_str("DPO_PHONE", "05 34 33 36 06")
DCCU_EMAIL = env_str("DCCU_EMAIL", "assemblee.citoyenne@cd31.fr")
# « Mentions légales »: the publisher, who answers for it, who hosts the platform.
AGORA_ORGANISATION_ADDRESS = env_str(
    "AGORA_ORGANISATION_ADDRESS", "1 boulevard de la Marquette, 31090 Toulouse Cedex 9"
)
AGORA_PUBLICATION_DIRECTOR = env_str(
    "AGORA_PUBLICATION_DIRECTOR", "Le président du Conseil départemental de la Haute-Garonne"
)
AGORA_HOST_PROVIDER = env_str(
    "AGORA_HOST_PROVIDER",
    "Conseil départemental de la Haute-Garonne, sur ses propres serveurs, "
    "1 boulevard de la Marquette, 31090 Toulouse Cedex 9",
)
# The platform's public address, for links in emails sent outside a request.
AGORA_BASE_URL = env_str("AGORA_BASE_URL", "" if PRODUCTION else "http://localhost:8000")
# Where users get the source code (AGPL, section 13); empty: on request to the DCCU.
AGORA_SOURCE_URL = env_str("AGORA_SOURCE_URL")

# --- Security ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14)
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("SECURE_PROXY_SSL_HEADER", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # The web push service worker (/sw.js, notifications/webpush.py).
        "worker-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- CKEditor 5 (rich text fields, used by later features) --------------------------
CKEDITOR_5_CONFIGS = {
    "default": {
        "toolbar": ["heading", "|", "bold", "italic", "link", "bulletedList",
                    "numberedList", "blockQuote", "|", "undo", "redo"],
        "language": "fr",
        # The bundle loads its image plugin: with no toolbar of its own it warns in the
        # console (widget-toolbar-no-items); the one useful button is the alternative text.
        "image": {"toolbar": ["imageTextAlternative"]},
    }
}
CKEDITOR_5_FILE_UPLOAD_PERMISSION = "staff"
# Voice messages (forums/voice.py): longest recording and largest file accepted.
FORUMS_VOICE_MAX_SECONDS = env_int("FORUMS_VOICE_MAX_SECONDS", 300)
FORUMS_VOICE_MAX_BYTES = env_int("FORUMS_VOICE_MAX_BYTES", 10 * 1024 * 1024)
# Speech-to-text of voice messages (forums/transcription.py), run by the background worker
# on the département's own servers, never a third-party cloud: "" (off: the author may type
# a transcript), "whispercpp" (whisper.cpp in the worker, `pip install agora[whisper]` and a
# ggml model file) or "openai" (a server speaking the OpenAI-compatible
# /v1/audio/transcriptions API, e.g. a self-hosted faster-whisper server). docs/deploy.md.
AGORA_STT_BACKEND = env_str("AGORA_STT_BACKEND")
if AGORA_STT_BACKEND not in {"", "whispercpp", "openai"}:
    raise ImproperlyConfigured("AGORA_STT_BACKEND must be empty, whispercpp or openai")
AGORA_STT_MODEL_PATH = env_str("AGORA_STT_MODEL_PATH")  # whispercpp: the ggml model file
AGORA_STT_URL = env_str("AGORA_STT_URL")  # openai: the server's base URL (before /v1/…)
AGORA_STT_API_KEY = env_str("AGORA_STT_API_KEY")  # openai: sent as a Bearer token if set
AGORA_STT_MODEL = env_str("AGORA_STT_MODEL", "whisper-1")  # openai: the model name it serves
AGORA_STT_LANGUAGE = env_str("AGORA_STT_LANGUAGE", "fr")
AGORA_STT_TIMEOUT = env_int("AGORA_STT_TIMEOUT", 300)  # seconds for one recording
AGORA_STT_THREADS = env_int("AGORA_STT_THREADS", 2)  # whispercpp: CPU threads
if AGORA_STT_BACKEND == "whispercpp" and not AGORA_STT_MODEL_PATH:
    raise ImproperlyConfigured("AGORA_STT_BACKEND=whispercpp needs AGORA_STT_MODEL_PATH.")
if AGORA_STT_BACKEND == "openai" and not AGORA_STT_URL:
    raise ImproperlyConfigured("AGORA_STT_BACKEND=openai needs AGORA_STT_URL.")
# Files and images sent in a conversation (forums/attachments.py), each; five at a time.
FORUMS_FILE_MAX_BYTES = env_int("FORUMS_FILE_MAX_BYTES", 10 * 1024 * 1024)

# --- Attendance and travel claims (assembly.attendance, assembly.claims) ----------------
# How long the code projected in the room stays valid (its page renews it before then).
ATTENDANCE_QR_MAX_AGE = env_int("ATTENDANCE_QR_MAX_AGE", 180)
CLAIMS_RECEIPT_MAX_BYTES = env_int("CLAIMS_RECEIPT_MAX_BYTES", 10 * 1024 * 1024)
# Forum posts take no uploaded images: the widget's upload address refuses them.
CK_EDITOR_5_UPLOAD_FILE_VIEW_NAME = "forums:upload_refused"

# --- Operations: logs, metrics, health (docs/deploy.md « Monitoring ») -------------------
# One JSON object per line in production (or LOG_FORMAT=json), with the request id; plain
# lines in development. Both mask email addresses (config/logformat.py).
LOG_FORMAT = env_str("LOG_FORMAT", "json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain")
# Who may read /metrics and the detailed /healthz: these networks (the client address as
# our proxies saw it), or anyone presenting METRICS_TOKEN as a bearer token (off if empty).
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = env_str("METRICS_TOKEN")
# /healthz calls the worker failing when a due task has waited this long (seconds), and
# the disk failing below this much free space on the data folders.
HEALTH_WORKER_MAX_LAG = env_int("HEALTH_WORKER_MAX_LAG", 600)
HEALTH_DISK_MIN_FREE_MB = env_int("HEALTH_DISK_MIN_FREE_MB", 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "redacted": {"()": "config.logformat.RedactingFormatter"},
        "json": {"()": "config.logformat.JsonFormatter"},
    },
    "filters": {"request_id": {"()": "config.logformat.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "redacted",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}

# --- Calls / Janus (calls/mediaserver.py, calls/janus.py, calls/turn.py) --------------------
# Large calls go through Janus Gateway (AudioBridge mixes the speakers, Streaming relays the mix
# to listeners, VideoRoom forwards cameras and screens). Empty CALLS_JANUS_URL: no media server,
# calls stay peer-to-peer up to the mesh size. `make run` sets it when the janus binary exists.
# As the browser reaches it, e.g. https://agora.example.org/janus (nginx, docs/deploy.md).
CALLS_JANUS_URL = env_str("CALLS_JANUS_URL")
# Its Admin API as Django reaches it (Janus on its own machine in production, docs/deploy.md).
CALLS_JANUS_ADMIN_URL = env_str("CALLS_JANUS_ADMIN_URL", "http://127.0.0.1:7088/admin")
# Several Janus instances, each call on one of them (chosen from the call's id):
# "browser URL|Admin API URL", comma-separated; empty: the one above. Same secrets on all.
CALLS_JANUS_SERVERS = env_list("CALLS_JANUS_SERVERS")
# Janus's admin secret and its plugins' admin key: empty means the ones `manage.py janus_config`
# generated in var/janus/secrets.json (0600); production with a remote Janus sets both.
CALLS_JANUS_ADMIN_SECRET = env_str("CALLS_JANUS_ADMIN_SECRET")
CALLS_JANUS_PLUGIN_KEY = env_str("CALLS_JANUS_PLUGIN_KEY")
CALLS_JANUS_DIR = Path(env_str("CALLS_JANUS_DIR", str(DATA_DIR / "janus")))
# What the generated configuration binds (the HTTP API and the Admin API stay on loopback
# unless told otherwise: nginx proxies the public part, docs/deploy.md).
CALLS_JANUS_HTTP_IP = env_str("CALLS_JANUS_HTTP_IP", "127.0.0.1")
CALLS_JANUS_HTTP_PORT = env_int("CALLS_JANUS_HTTP_PORT", 8088)
CALLS_JANUS_ADMIN_PORT = env_int("CALLS_JANUS_ADMIN_PORT", 7088)
CALLS_JANUS_RTP_PORT_RANGE = env_str("CALLS_JANUS_RTP_PORT_RANGE", "20000-40000")
# Public address Janus advertises when it sits behind 1:1 NAT (nat_1_1_mapping); empty: none.
CALLS_JANUS_PUBLIC_IP = env_str("CALLS_JANUS_PUBLIC_IP")
# A person's Janus token is good for this long (seconds); leaving or ending the call revokes it.
CALLS_JANUS_TOKEN_TTL = env_int("CALLS_JANUS_TOKEN_TTL", 4 * 60 * 60)
CALLS_JANUS_TIMEOUT = env_int("CALLS_JANUS_TIMEOUT", 5)
# Packets AudioBridge buffers per speaker before mixing (20 ms each): more absorbs network
# jitter, fewer lowers the delay (Janus's default is 6; docs/performance.md, Calls).
CALLS_JANUS_PREBUFFER = env_int("CALLS_JANUS_PREBUFFER", 3)
# Cameras and screens shown at once in a call's VideoRoom.
CALLS_JANUS_VIDEO_PUBLISHERS = env_int("CALLS_JANUS_VIDEO_PUBLISHERS", 12)
# ICE servers given to browsers (calls/turn.py): STUN and TURN URLs, comma-separated; TURN
# credentials are time-limited (coturn's use-auth-secret with CALLS_TURN_SECRET).
CALLS_STUN_URLS = env_list("CALLS_STUN_URLS")
CALLS_TURN_URLS = env_list("CALLS_TURN_URLS")
CALLS_TURN_SECRET = env_str("CALLS_TURN_SECRET")
CALLS_TURN_TTL = env_int("CALLS_TURN_TTL", 12 * 60 * 60)
if CALLS_TURN_URLS and not CALLS_TURN_SECRET:
    raise ImproperlyConfigured("CALLS_TURN_URLS needs CALLS_TURN_SECRET (coturn's auth secret).")
# The browser talks to Janus directly when it is not proxied under the site's own origin.
for _janus_url in [CALLS_JANUS_URL, *(item.split("|")[0] for item in CALLS_JANUS_SERVERS)]:
    if _janus_url.startswith(("http://", "https://")):
        _origin = "/".join(_janus_url.split("/")[:3])
        CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"].append(_origin)
for _janus_server in CALLS_JANUS_SERVERS:
    if _janus_server.count("|") != 1:
        raise ImproperlyConfigured(
            "CALLS_JANUS_SERVERS: 'browser URL|Admin API URL', comma-separated"
        )
# --- end of Calls / Janus -------------------------------------------------------------------
