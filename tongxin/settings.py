"""One settings module for every deployment, read from the environment.

The defaults run straight from a fresh clone: SQLite in ``var/``, tasks run eagerly, an in-memory
channel layer, a local-memory cache. Set ``DATABASE_URL`` and ``REDIS_URL`` to grow to PostgreSQL,
Redis, Celery workers and channels-redis without changing a line. See docs/deployment.md.
"""

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("TONGXIN_DATA_DIR", BASE_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", default=False)
# Production is any run with DEBUG off that is not the one-command demo or the test suite.
DEMO_MODE = env_bool("TONGXIN_DEMO", default=False)
TESTING = env_bool("TONGXIN_TESTING", default=False)

_INSECURE_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or DEMO_MODE or TESTING:
        SECRET_KEY = _INSECURE_KEY
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production refuses to start without a real secret key; "
            "set SECRET_KEY (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or run `make run` for the demo."
        )

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# The public address every link that leaves the site is built from (emails, SMS, calendar feeds,
# the QR codes phones scan), never from the Host header. Pages link site-relative instead, so they
# work on whatever address they were opened from. `make run` sets it from HOST and PORT.
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/")
if not SITE_URL:
    if DEBUG or DEMO_MODE or TESTING:
        SITE_URL = "http://127.0.0.1:8000"
    else:
        # A guessed address would send every family a link to nowhere.
        raise ImproperlyConfigured(
            "SITE_URL is not set. Production refuses to start without the public address families "
            "reach (e.g. SITE_URL=https://jx.example-school.cn): links in emails, SMS and calendar "
            "feeds are built from it. See docs/deployment.md."
        )
if not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"SITE_URL must start with https:// (or http://), not {SITE_URL!r}.")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_scopes",
    "channels",
    "ninja",
    "core",
    "accounts",
    "schools",
    "audit",
    "delivery",
    "home",
    "notices",
    "contactbook",
    "surveys",
    "events",
    "chat",
    "community",
    "feedback",
    "publishing",
    "plans",
    "reports",
    "guardrails",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.BearerTokenMiddleware",
    "accounts.middleware.SessionIdleMiddleware",
    "schools.middleware.SchoolScopeMiddleware",
    "guardrails.middleware.GuardrailCountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "tongxin.urls"
WSGI_APPLICATION = "tongxin.wsgi.application"
ASGI_APPLICATION = "tongxin.asgi.application"

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
                "home.context_processors.top_bar",
            ],
        },
    },
]

# Database: SQLite (WAL) in the data folder unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'tongxin.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        # With persistent connections (DB_CONN_MAX_AGE > 0, a Celery worker or a WSGI server; leave
        # it 0 under ASGI), a connection that died with a PostgreSQL restart is noticed and replaced
        # before the next request or task uses it: a restart costs only the work in flight.
        conn_health_checks=True,
    )
}
# PostgreSQL: a psycopg connection pool in every process (issue 19), unless DB_POOL=0 or
# DB_CONN_MAX_AGE is set (the two exclude each other). Under ASGI a connection cannot be kept per
# thread (each HTTP request runs in a thread of its own) and DB_CONN_MAX_AGE=0 opens a new
# connection for every request and every database call of a socket: 8-10 ms each, most of a chat
# message's time on the one thread Channels runs database code on. The pool hands out open
# connections and takes them back at close(); docs/deployment.md, "Database connections".
DB_POOL = (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and not DATABASES["default"]["CONN_MAX_AGE"]
    and env_bool("DB_POOL", default=not TESTING)
)
if DB_POOL:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "1")),
        "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "10")),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
    }
# The chat socket stores an everyday message from the event loop, on asynchronous PostgreSQL
# connections of each server process (at most this many, opened as needed), without a trip to the
# database thread (core.db, issue 19). TONGXIN_LOOP_CONNECTIONS=0: every message goes through the
# database thread, as everything else.
TONGXIN_LOOP_CONNECTIONS = int(os.environ.get("TONGXIN_LOOP_CONNECTIONS", "4"))
if not env_bool("TONGXIN_LOOP_CONNECTION", default=True):  # its former name, on or off
    TONGXIN_LOOP_CONNECTIONS = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue instead of failing with "database is locked" halfway through.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.PhoneOrUsernameBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Redis, when configured, carries the cache (rate limits), Celery and the channel layer.
REDIS_URL = os.environ.get("REDIS_URL", "")
if TESTING and REDIS_URL.startswith(("redis://", "rediss://")) and os.environ.get("PYTEST_XDIST_WORKER"):
    # Test runs in parallel (pytest-xdist) share one Redis, and every test empties the cache
    # (FLUSHDB): each worker gets a database of its own after REDIS_URL's (gw0 the next one, gw1
    # the one after), or one worker's flush would drop the other's channel groups mid-test and its
    # conversation 1 would hear the other's. A server a test starts inherits the worker's name.
    from urllib.parse import urlsplit, urlunsplit

    _url = urlsplit(REDIS_URL)
    _db = int(_url.path.strip("/") or 0) + 1 + int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw"))
    if _db > 15:  # never round to database 0, where a developer's `make run` keeps its data
        raise ImproperlyConfigured(
            f"REDIS_URL {REDIS_URL} leaves too few Redis databases for test worker "
            f"{os.environ['PYTEST_XDIST_WORKER']}: use a lower database or fewer workers (-n)."
        )
    REDIS_URL = urlunsplit(_url._replace(path=f"/{_db}"))
if REDIS_URL:
    from redis.exceptions import ConnectionError as RedisConnectionError

    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # channels-redis waits on Redis with a 5 s blocking pop; redis-py 8 reads with a 5 s socket
    # timeout by default, so a quiet server would drop its sockets (channels_redis#422). The pool
    # must also hold a connection for each socket that closes at once (a class leaving a page).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # After a Redis restart the pool holds dead connections: one idle for 2 s is checked
            # (PING) before use, and a connection error is tried once more on a new connection, or
            # the first chat socket to join a conversation fails on one (tests/faults/test_redis_down.py).
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 30,
                        "max_connections": 2000,
                        "health_check_interval": 2,
                        "retry_on_error": [RedisConnectionError],
                    }
                ]
            },
        }
    }
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tongxin"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# No broker, no beat: run the beat schedule in-process after requests (core.middleware).
if CELERY_TASK_ALWAYS_EAGER and not TESTING:
    MIDDLEWARE.append("core.middleware.LocalBeatMiddleware")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task is acknowledged when it ends (acks_late): if its worker dies half-way (a fan-out killed by
# the OOM killer, a host restart), Redis hands it to another worker once the visibility timeout
# passes. Redis's default is an hour, so families would wait an hour without beat's sweeper; five
# minutes is well above the longest task (a 200,000-family fan-out takes seconds) and no task is
# scheduled with an ETA, which a short timeout would deliver twice. Kombu looks for such tasks every
# ``unacked_restore_interval`` seconds, but by default scans Redis only on every 10th look (about
# every 100 s, on top of the timeout): one scan per look keeps the promise at timeout + 10 s. The
# faults suite (tests/faults) shortens both through the environment to see the redelivery happen.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "300")),
    "unacked_restore_interval": int(os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL", "10")),
    "unacked_restore_throttle": 1,
}
CELERY_TIMEZONE = "Asia/Shanghai"
# celery beat: scheduled notices go out, and deliveries that failed are retried with backoff.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "publish-due-notices": {"task": "notices.tasks.publish_due_notices", "schedule": 60.0},
    "fan-out-missed-notices": {"task": "notices.tasks.fan_out_missed", "schedule": 60.0},
    "send-due-deliveries": {"task": "delivery.tasks.send_due_deliveries", "schedule": 60.0},
    # The escalation ladder (notices.ladder): SMS, then a call task, to families who have not acted.
    "climb-ladders": {"task": "notices.tasks.climb_ladders", "schedule": 60.0},
    # The family's action list as a digest (home.weekly): Sunday evening, or every evening if chosen.
    "weekly-digests": {"task": "home.tasks.send_weekly_digests", "schedule": crontab(minute=0, hour=18, day_of_week=0)},
    "daily-digests": {"task": "home.tasks.send_daily_digests", "schedule": crontab(minute=0, hour=18)},
    "purge-stale-roster-uploads": {"task": "schools.tasks.purge_stale_roster_uploads", "schedule": 24 * 3600.0},
    "remind-tomorrows-events": {"task": "events.tasks.remind_tomorrows_events", "schedule": 15 * 60.0},
    # Term-plan tasks due within three days or overdue: each owner once a day (plans.actions.remind_owners).
    "remind-plan-tasks": {"task": "plans.tasks.remind_plan_tasks", "schedule": 3600.0},
    # PIPL: records past each school's retention periods (home/retention.py).
    "purge-past-retention": {"task": "home.tasks.purge_past_retention", "schedule": 24 * 3600.0},
    "remind-tomorrows-volunteers": {"task": "community.tasks.remind_tomorrows_volunteers", "schedule": 15 * 60.0},
    "remind-tomorrows-duty": {"task": "community.tasks.remind_tomorrows_duty", "schedule": 60 * 60.0},
    # The suggestion box: overdue steps reminded to their owner, then escalated to the admins.
    "feedback-overdue": {"task": "feedback.tasks.remind_overdue_feedback", "schedule": 30 * 60.0},
}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30  # parents stay signed in on their own phone for a month
# HTTPS-only cookies, HSTS and the HTTPS redirect: on in production, off for the local demo and tests.
SECURE = env_bool("SECURE_COOKIES", default=not (DEBUG or DEMO_MODE or TESTING))
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE:
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Allows submitting the domain to the browsers' HSTS preload list (check --deploy, W021); a school
    # whose domain's other sites are not all on HTTPS sets SECURE_HSTS_PRELOAD=0.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    # "__Host-" cookies are HTTPS-only, for this exact host and path "/": another site on a sibling
    # subdomain cannot set or overwrite them (session fixation through a cookie of the parent domain).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
# Static files: WhiteNoise serves them from STATIC_ROOT, filled by `collectstatic` (`make run` runs
# it; production runs it on each deploy, docs/deployment.md): names carry a hash of the content, so
# they are cached for years (immutable), and gzip and Brotli copies are made once, at collect
# time. Tests and DEBUG read the files in place (no collect step, no hashed names).
STATIC_IN_PLACE = DEBUG or TESTING
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if STATIC_IN_PLACE
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = STATIC_IN_PLACE

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
# Seconds an SMTP server may take to answer: Django's default is to wait for ever, so one hung mail
# server would hold a worker, and every delivery behind it, for good. A timeout is a failed attempt,
# retried with backoff (delivery.tasks).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "同心 Tongxin <noreply@tongxin.invalid>")

# SMS: a pluggable backend (see delivery/sms.py). The default writes each message to a file
# in var/sms/ and to the console, so a demo or a test can read the code that was "sent".
SMS_BACKEND = os.environ.get("SMS_BACKEND", "")
if not SMS_BACKEND:
    if DEBUG or DEMO_MODE or TESTING:
        SMS_BACKEND = "delivery.sms.FileSmsBackend"
    else:
        # Parents sign in with SMS codes: a production that writes them to a file reaches nobody.
        raise ImproperlyConfigured(
            "SMS_BACKEND is not set. Set it to your provider's backend class (see docs/deployment.md), "
            "or to delivery.sms.FileSmsBackend on purpose for a trial without SMS."
        )
SMS_FILE_PATH = DATA_DIR / "sms"
# delivery.sms.HttpSmsBackend: a provider's (or an in-house gateway's) HTTP endpoint taking JSON.
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = os.environ.get("SMS_HTTP_TOKEN", "")
SMS_HTTP_TIMEOUT = float(os.environ.get("SMS_HTTP_TIMEOUT", "10"))

# Sign-in and code limits (docs/design/accounts.md, "Sign-in"). Windows in seconds.
TONGXIN_LIMITS = {
    "login_per_identity_ip": (5, 15 * 60),
    "login_per_identity": (20, 15 * 60),
    "login_per_ip": (60, 15 * 60),
    "sms_per_phone_cooldown": (1, 60),
    "sms_per_phone_day": (10, 24 * 60 * 60),
    "sms_per_ip_hour": (30, 60 * 60),
    "sms_code_attempts": 5,
    "sms_code_ttl": 10 * 60,
    # A signed-in session ends after this long without activity: staff, everyone else (parents).
    "session_idle_staff": int(os.environ.get("TONGXIN_SESSION_IDLE_STAFF", 8 * 60 * 60)),
    "session_idle": int(os.environ.get("TONGXIN_SESSION_IDLE", 30 * 24 * 60 * 60)),
    # Activity moves the expiry on at most this often (a session write), not on every request.
    "session_refresh": 5 * 60,
}

# What accounts (below schools) asks of the schools: a user's schools, guardians' phones, activation.
ACCOUNTS_DIRECTORY = "schools.directory"
# The volunteer archive's trainings (events' parent-school sessions) come from the layer that may
# read events: community names no app above it (community.queries.trainings_source).
COMMUNITY_TRAININGS_SOURCE = "reports.queries.trainings_attended"

# Real message providers (issue 17; docs/deployment.md, "Messages to families"). Set SMS_BACKEND to
# delivery.sms_providers.AliyunSmsBackend or delivery.sms_providers.TencentSmsBackend; each logical
# template ("notice", "code", "text") maps to the provider's approved template id and the names of
# its variables in the template's order, e.g. SMS_TEMPLATES='{"notice": {"id": "SMS_4603", "params":
# ["school", "title", "link"]}, "code": {"id": "SMS_4601", "params": ["code"]}}'. A school whose
# signature (签名) or templates differ is an entry of SMS_SCHOOLS keyed by its school code:
# SMS_SCHOOLS='{"yangguang": {"sign_name": "阳光小学", "templates": {"notice": {...}}}}'.
SMS_TEMPLATES = json.loads(os.environ.get("SMS_TEMPLATES", "{}"))
SMS_ALIYUN = {
    "access_key_id": os.environ.get("SMS_ALIYUN_ACCESS_KEY_ID", ""),
    "access_key_secret": os.environ.get("SMS_ALIYUN_ACCESS_KEY_SECRET", ""),
    "sign_name": os.environ.get("SMS_SIGN_NAME", ""),
    "endpoint": os.environ.get("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
    "region": os.environ.get("SMS_ALIYUN_REGION", "cn-hangzhou"),
    "templates": SMS_TEMPLATES,
}
SMS_TENCENT = {
    "secret_id": os.environ.get("SMS_TENCENT_SECRET_ID", ""),
    "secret_key": os.environ.get("SMS_TENCENT_SECRET_KEY", ""),
    "sdk_app_id": os.environ.get("SMS_TENCENT_SDK_APP_ID", ""),
    "sign_name": os.environ.get("SMS_SIGN_NAME", ""),
    "endpoint": os.environ.get("SMS_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com/"),
    "region": os.environ.get("SMS_TENCENT_REGION", "ap-guangzhou"),
    "templates": SMS_TEMPLATES,
}
SMS_SCHOOLS = json.loads(os.environ.get("SMS_SCHOOLS", "{}"))
# Seconds a provider (SMS, WeCom) may take to answer; a timeout is looked up before a retry.
SMS_TIMEOUT = float(os.environ.get("SMS_TIMEOUT", "10"))
# WeCom 家校 per school code: {"corp_id", "secret", "agent_id", "department_id"}.
WECOM_API = os.environ.get("WECOM_API", "https://qyapi.weixin.qq.com")
WECOM_SCHOOLS = json.loads(os.environ.get("WECOM_SCHOOLS", "{}"))
CELERY_BEAT_SCHEDULE.update(
    {
        "pull-sms-reports": {"task": "delivery.tasks.pull_sms_reports", "schedule": 5 * 60.0},
        "sync-wecom-parents": {"task": "delivery.tasks.sync_wecom_parents", "schedule": 24 * 3600.0},
    }
)

NINJA_PAGINATION_PER_PAGE = 100

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Web Push (delivery/webpush.py): the VAPID key pair, made once by `manage.py webpush_keys` and kept
# here (a new key cuts every subscribed device off); the contact the push services may write to.
WEBPUSH_VAPID_KEY_FILE = Path(os.environ.get("WEBPUSH_VAPID_KEY_FILE", DATA_DIR / "vapid_private.pem"))
WEBPUSH_SUBJECT = os.environ.get("WEBPUSH_SUBJECT", "mailto:admin@tongxin.invalid")
WEBPUSH_TIMEOUT = float(os.environ.get("WEBPUSH_TIMEOUT", "10"))
# The push services a subscription may name (HTTPS, host ending so): Chrome/Edge (FCM), Firefox,
# Safari, Windows. A subscription elsewhere is refused (the server would post to any URL given).
WEBPUSH_PUSH_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "WEBPUSH_PUSH_HOSTS", ".googleapis.com,.mozilla.com,.push.apple.com,.notify.windows.com"
    ).split(",")
    if h.strip()
]
WEBPUSH_EXTRA_ORIGINS: list[str] = []  # tests: the local push service, http://127.0.0.1:<port>
# The unread counts an open page's socket shows (delivery.consumers asks by name: it sits below).
DELIVERY_BADGES = "home.badges.badge_counts"
# What a chat message that reaches the socket does to its count, without a query (issue 19).
DELIVERY_CHAT_BADGE = "home.badges.chat_badge_change"
