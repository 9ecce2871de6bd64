"""One settings module, read from environment variables (every name starts with EPIGRID_).

See docs/deployment.md for the full list. Defaults give a working demo on SQLite under ./var.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(f"EPIGRID_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    """true/false, 1/0, yes/no, on/off; anything else stops the start-up (a typo must not read as False)."""
    value = os.environ.get(f"EPIGRID_{name}")
    if value is None or value == "":
        return default
    word = value.strip().lower()
    if word not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"EPIGRID_{name}={value!r}: use true or false")
    return word in ("1", "true", "yes", "on")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(f"EPIGRID_{name}")
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# Every file this process creates is the owner's alone (files 0600, directories 0700): the SQLite file
# and its WAL, photos, import uploads and error reports, job folders, the cache. SQLite and openpyxl take
# no mode of their own, so the umask is the one control that reaches them all; it is set here because
# every entry point (epigrid, wsgi, tests) reads the settings before it writes anything.
FILE_MODE_UMASK = 0o077
os.umask(FILE_MODE_UMASK)

# Runtime state (SQLite file, secret key, key files, collected static) lives here, never in the repo.
VAR_DIR = Path(env_str("VAR_DIR", str(Path.cwd() / "var"))).resolve()
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _secret_key() -> str:
    """EPIGRID_SECRET_KEY, or a key generated once into var/secret_key (never committed)."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# How many reverse proxies in front of us append to X-Forwarded-For (0: trust REMOTE_ADDR only).
PROXY_COUNT = env_int("PROXY_COUNT", 0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "ninja",  # serves its own Swagger UI files for /api/v1/docs instead of linking a CDN
    "django_q",
    "js_lib_leaflet",
    "js_lib_htmx",
    "epigrid.core",
    "epigrid.accounts",
    "epigrid.regions",
    "epigrid.residents",
    "epigrid.health",
    "epigrid.patrol",
    "epigrid.epi",
    "epigrid.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Token-authenticated API requests leave the chain here for a short path of their own (which checks
    # the body limit and NUL characters itself).
    "epigrid.core.middleware.BearerApiMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads the body: a body over the limit is answered 413 without being read.
    "epigrid.core.middleware.BodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "epigrid.core.middleware.NulCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "epigrid.core.middleware.RequestContextMiddleware",
    # A service's NotFound that a page view lets through is the 404 page (core/web.py).
    "epigrid.core.web.NotFoundMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "epigrid.urls"
WSGI_APPLICATION = "epigrid.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "regions:home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "epigrid.accounts.context.platform",
            ],
        },
    },
]

# Database: SQLite under var/ by default; EPIGRID_DATABASE_URL=postgres://... in production and CI.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'epigrid.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Keep connections open between requests, as on PostgreSQL: closing the last connection to a WAL
    # database checkpoints the WAL (an fsync), so every write request paid a checkpoint and every request
    # a reconnect (measured in-process: a check-in 32.6 -> 4.4 ms, GET /api/v1/me 4.7 -> 2.9 ms).
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
    # A file, not Django's in-memory default, for the test database: the live-server browser tests
    # then see the same database over their own connections, as a real server would.
    # One file per test run (by process id), so two runs side by side never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-epigrid-{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue on busy_timeout instead of
        # failing with "database is locked" halfway through a transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache, not a per-process one: the web workers and the task worker share it (job progress,
    # rate limits) on a single machine without Redis.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}

# Background work (imports, reports, scheduled checks): django-q2, with the database as the queue by
# default and Redis when EPIGRID_REDIS_URL is set. `epigrid worker` runs the workers; `epigrid demo`
# starts one beside the web server. TASKS_SYNC runs every task in the caller instead (tests).
Q_CLUSTER = {
    "name": "epigrid",
    "workers": env_int("TASK_WORKERS", 1),
    "timeout": 3600,
    "retry": 3660,
    "max_attempts": 1,
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 1000,
    "label": "Tasks",
    # The import splits its work over child processes, which daemonic workers may not start.
    "daemonize_workers": False,
    **({"redis": REDIS_URL} if REDIS_URL else {"orm": "default", "poll": 1}),
}
TASKS_SYNC = env_bool("TASKS_SYNC", False)

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lockout after repeated failed logins (django-axes), per username and client address.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "epigrid.core.middleware.client_ip"
AXES_VERBOSE = False

# ---------------------------------------------------------------- browser and transport security
# docs/data-protection.md ("Browser and transport") gives the threat behind each of these.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 12) * 3600
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if HTTPS:
    # HSTS: once a browser has seen the site over HTTPS it never again speaks plain HTTP to it, so a
    # hostile Wi-Fi cannot strip TLS from a later visit. A year, as browsers' preload lists expect.
    # includeSubDomains: the platform's host name is its own (epigrid.city.gov.cn), and anything under
    # it is the platform's too; EPIGRID_HSTS_SUBDOMAINS=0 leaves sub-hosts out. No preload: being on the
    # browsers' list cannot be undone quickly.
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_SUBDOMAINS", True)
    if PROXY_COUNT:
        # TLS ends at our reverse proxy, which must set X-Forwarded-Proto itself (docs/deployment.md);
        # Django then knows the request was secure and sends HSTS.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _tile_source(url: str) -> list[str]:
    """The origin of the configured map tiles, for img-src ({s} subdomains become a wildcard)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "tiles-subdomain"))
    if not parts.scheme or not parts.netloc:
        return []
    return [f"{parts.scheme}://{parts.netloc.replace('tiles-subdomain', '*')}"]


# Content-Security-Policy (django-csp) on every response. Scripts only from our own static files: no
# inline script, no on*= attribute, no eval, so text that slips into a page as HTML still cannot run.
# style-src is 'self' without 'unsafe-inline' as well: Leaflet (and Swagger UI) set styles through the
# DOM (element.style), which a CSP does not govern, and our own pages and scripts put no style attribute
# or <style> element in markup (tests/core/test_csp.py checks the templates), so an injected <style>
# cannot restyle a page to mislead or read it out through attribute selectors. img-src adds data: for
# the icons inside Leaflet's and Swagger UI's stylesheets, and the tile server when one is configured.
MAP_TILE_URL = env_str("MAP_TILE_URL")  # base map tiles, see the map section below
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_tile_source(MAP_TILE_URL)],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Request bodies. The reverse proxy refuses anything larger than its client_max_body_size (set it to
# RESIDENTS_IMPORT_MAX_MB, docs/deployment.md); here BodyLimitMiddleware answers 413 before reading a
# body longer than REQUEST_MAX_BYTES, or the resident roster's own cap on its upload paths. 64 MB holds a
# report with six photos of 10 MB each (PHOTO_MAX_BYTES) and the largest GeoJSON import.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_MB", 64) * 1024 * 1024
# Form fields and JSON read into memory: the largest JSON body is a batch of 100 track points (about
# 10 KB) or a patrol plan; GeoJSON imports read the stream themselves, under IMPORT_MAX_BYTES.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The longest form is a resident's (about 20 fields); 200 leaves room and stops hash-flooding a parser.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_NUMBER_FILES = 20  # six photos a report; one roster an import
# Uploads larger than this go to a temporary file in VAR_DIR/tmp (owner-only; a roster holds ID numbers
# in clear), not to the shared /tmp.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = str(VAR_DIR / "tmp")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(mode=0o700, exist_ok=True)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Largest incident photo, before it is re-encoded (patrol/photos.py).
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_MB", 10) * 1024 * 1024

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# Uploaded files and generated reports: private, served only through views that check scope. Incident
# photos, import uploads and their error reports are written by one process and read by another (the
# worker, or the next request on another app server): with several app servers, EPIGRID_MEDIA_DIR is a
# directory they all mount (NFS, CephFS...), the same path on each (docs/scaling.md).
MEDIA_ROOT = Path(env_str("MEDIA_DIR", str(VAR_DIR / "media"))).resolve()

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(mode=0o700, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed but not hashed names: pages never fail for want of a manifest (tests, the demo, a
    # server started before collectstatic); whitenoise still sends ETags and gzip/brotli copies.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the installed packages when collectstatic has not run (tests, demo).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Base map tiles: MAP_TILE_URL (read above, for the CSP) is an intranet tile server URL template, e.g.
# http://tiles.local/{z}/{x}/{y}.png. Empty: the map shows grid polygons on a plain background. EPIGRID_MAP_TILE_CRS says which datum
# the tiles use (wgs84, or gcj02 for most Chinese providers) so polygons line up with them.
MAP_TILE_CRS = env_str("MAP_TILE_CRS", "wgs84")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION")
# Above this many grids in view, the map draws the child divisions instead of every grid.
MAP_MAX_GRIDS = env_int("MAP_MAX_GRIDS", 5000)
# Figures on maps and home pages (regions/rollups.py) are kept by a task every minute; a page that finds
# them older than this many seconds brings them up to date itself (0: only the task does).
FIGURES_MAX_AGE = env_int("FIGURES_MAX_AGE", 60)

# Largest GeoJSON body the import endpoint reads (a 20,000-grid city is about 10 MB).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_MB", 64) * 1024 * 1024
# Largest resident roster (CSV or XLSX) the upload accepts; about 1 GiB is 10 million CSV rows.
RESIDENTS_IMPORT_MAX_BYTES = env_int("RESIDENTS_IMPORT_MAX_MB", 1024) * 1024 * 1024
# Views whose body may pass REQUEST_MAX_BYTES / DATA_UPLOAD_MAX_MEMORY_SIZE (core/middleware.py), by
# view name: the roster upload (plus the form around the file) and the GeoJSON import, read as a stream.
BODY_LIMITS = {
    "residents:import": RESIDENTS_IMPORT_MAX_BYTES + 1024 * 1024,
    "api:residents_import_upload": RESIDENTS_IMPORT_MAX_BYTES + 1024 * 1024,
    "api:import_regions": IMPORT_MAX_BYTES,
}

# Data tracking. Defaults for jurisdictions without an arrival policy of their own.
OBSERVATION_DAYS = env_int("OBSERVATION_DAYS", 14)
ARRIVAL_RISK_ORIGINS = env_list("ARRIVAL_RISK_ORIGINS")
ARRIVAL_RATE_PER_HOUR = env_int("ARRIVAL_RATE_PER_HOUR", 10)
PUBLIC_REPORT_RATE_PER_HOUR = env_int("PUBLIC_REPORT_RATE_PER_HOUR", 20)
# Separation of duties in the incident loop: whoever handled an incident never verifies it; whether they
# may close it (after someone else verified it) is the city's choice.
INCIDENT_HANDLER_MAY_CLOSE = env_bool("INCIDENT_HANDLER_MAY_CLOSE", False)
# Exact look-ups of a resident by ID number or phone, per user: at most so many a minute, and above so
# many in an hour the auditors get a security alert (guessing the hidden digits of a masked number takes
# dozens to thousands of tries; see docs/data-protection.md).
LOOKUP_RATE_PER_MINUTE = env_int("LOOKUP_RATE_PER_MINUTE", 60)
LOOKUP_ALERT_PER_HOUR = env_int("LOOKUP_ALERT_PER_HOUR", 40)
# Days after an observation ends before the person's data is anonymised (`epigrid purge`, daily).
RETENTION_DAYS = env_int("RETENTION_DAYS", 30)
# Check-ins (docs/health.md): the fever threshold in °C, and the local times after which a missed
# morning/afternoon check-in is overdue.
FEVER_THRESHOLD = float(env_str("FEVER_THRESHOLD", "37.3"))
HEALTH_SLOT_DEADLINES = {"am": env_str("CHECKIN_AM_DEADLINE", "12:00"), "pm": env_str("CHECKIN_PM_DEADLINE", "20:00")}
# Health status colours (health/rules.py): the first (colour, condition) that holds wins; green if none.
HEALTH_STATUS_RULES = (("red", "hospital"), ("red", "fever_alert"), ("yellow", "under_observation"),
                       ("yellow", "missed_checkin"), ("yellow", "symptom_alert"))
HEALTH_STATUS_DAYS = env_int("HEALTH_STATUS_DAYS", 14)
# Submissions a personal check-in link may make in an hour (two slots a day; corrections allowed).
CHECKIN_LINK_RATE_PER_HOUR = env_int("CHECKIN_LINK_RATE_PER_HOUR", 12)

# Epidemic tracing (docs/tracing.md). How long a close contact is managed after the last exposure: the
# preset of epi/rules.py ("2020": 14 days of home medical observation; "2022", the ninth edition of the
# control protocol: 7 days of centralised isolation and 3 of home health monitoring).
EPI_CONTACT_RULE = env_str("EPI_CONTACT_RULE", "2022")
# Hours after a contact is registered by which each tracing task is due (then it escalates a level up).
EPI_TASK_HOURS = {"reach": env_int("EPI_TASK_REACH_HOURS", 2), "place": env_int("EPI_TASK_PLACE_HOURS", 12),
                  "test": env_int("EPI_TASK_TEST_HOURS", 24)}

# Personal data encryption key file (AES-GCM keys; see docs/data-protection.md).
PII_KEY_FILE = Path(env_str("PII_KEY_FILE", str(VAR_DIR / "pii.key")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
