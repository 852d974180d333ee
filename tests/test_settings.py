import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _import_settings(env: dict) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "SMS_BACKEND", "SITE_URL", "TONGXIN_TESTING", "TONGXIN_DEMO", "DEBUG"}
    }
    return subprocess.run(
        [sys.executable, "-c", "import tongxin.settings"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _import_settings({})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_to_start_without_an_sms_backend():
    result = _import_settings({"SECRET_KEY": "x" * 60, "SITE_URL": "https://jx.example-school.cn"})
    assert result.returncode != 0
    assert "SMS_BACKEND is not set" in result.stderr


def test_production_refuses_to_start_without_a_site_url():
    result = _import_settings({"SECRET_KEY": "x" * 60, "SMS_BACKEND": "delivery.sms.FileSmsBackend"})
    assert result.returncode != 0
    assert "SITE_URL is not set" in result.stderr


def test_a_site_url_without_a_scheme_is_refused():
    result = _import_settings(
        {"SECRET_KEY": "x" * 60, "SMS_BACKEND": "delivery.sms.FileSmsBackend", "SITE_URL": "jx.example.cn"}
    )
    assert result.returncode != 0
    assert "SITE_URL must start with https://" in result.stderr


def test_the_demo_and_the_tests_default_to_the_local_address():
    result = subprocess.run(
        [sys.executable, "-c", "from tongxin import settings as s; print(s.SITE_URL)"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in {"SITE_URL", "TONGXIN_TESTING", "SECRET_KEY"}},
            "TONGXIN_DEMO": "1",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8000"


def test_production_starts_with_a_secret_key_and_secure_cookies():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tongxin import settings as s; print(s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
            " s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME)",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in {"TONGXIN_TESTING", "TONGXIN_DEMO"}},
            "SECRET_KEY": "x" * 60,
            "SMS_BACKEND": "delivery.sms.FileSmsBackend",
            "SITE_URL": "https://jx.example-school.cn/",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "31536000", "True", "__Host-sessionid", "__Host-csrftoken"]


def test_the_deployment_check_is_clean_in_production():
    env = {
        # DJANGO_ALLOW_ASYNC_UNSAFE: set by the browser tests' fixtures in this process, never in production.
        **{
            k: v
            for k, v in os.environ.items()
            if k not in {"TONGXIN_TESTING", "TONGXIN_DEMO", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        },
        "SECRET_KEY": "k" * 20 + "Q7!x" * 10,
        "SMS_BACKEND": "delivery.sms.FileSmsBackend",
        "SITE_URL": "https://jx.example-school.cn/",
        "ALLOWED_HOSTS": "jx.example-school.cn",
        "DJANGO_SETTINGS_MODULE": "tongxin.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_chinese_first():
    from django.conf import settings

    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ


def test_personal_pages_are_not_cached_and_carry_a_strict_csp(cast):
    response = cast.client(cast.alice).get("/")
    assert response["Cache-Control"] == "private, no-store"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_language_switch_to_english_and_back(cast):
    client = cast.client()
    assert '<html lang="zh-CN">' in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert '<html lang="en">' in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert '<html lang="zh-CN">' in client.get("/accounts/login/").content.decode()


def test_not_found_page_is_friendly_and_says_nothing(cast):
    response = cast.client(cast.dave).get(f"/classes/{cast.class1.pk}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "阳光小学" not in body and "<html" in body


def _redis_settings(env: dict) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tongxin import settings as s; "
            "print(s.REDIS_URL, s.CACHES['default']['LOCATION'], s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]['address'])",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in {"PYTEST_XDIST_WORKER", "REDIS_URL", "TONGXIN_TESTING"}},
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_parallel_test_workers_each_get_a_redis_database_of_their_own():
    # Every test empties the cache (FLUSHDB): two workers on one database drop each other's groups.
    base = {"TONGXIN_TESTING": "1", "REDIS_URL": "redis://127.0.0.1:6379/9"}
    assert _redis_settings(base) == " ".join(["redis://127.0.0.1:6379/9"] * 3)
    assert _redis_settings({**base, "PYTEST_XDIST_WORKER": "gw0"}) == " ".join(["redis://127.0.0.1:6379/10"] * 3)
    assert _redis_settings({**base, "PYTEST_XDIST_WORKER": "gw1"}) == " ".join(["redis://127.0.0.1:6379/11"] * 3)
    no_db = {"TONGXIN_TESTING": "1", "REDIS_URL": "redis://127.0.0.1:6379", "PYTEST_XDIST_WORKER": "gw0"}
    assert _redis_settings(no_db) == " ".join(["redis://127.0.0.1:6379/1"] * 3)
    # Outside the tests, the worker's name changes nothing; past database 15 it refuses, never
    # rounding to database 0 (a developer's `make run` data).
    assert _redis_settings(
        {"REDIS_URL": "redis://127.0.0.1:6379/9", "PYTEST_XDIST_WORKER": "gw1", "TONGXIN_DEMO": "1"}
    ) == (" ".join(["redis://127.0.0.1:6379/9"] * 3))
    refused = subprocess.run(
        [sys.executable, "-c", "import tongxin.settings"],
        cwd=ROOT,
        env={**os.environ, **base, "PYTEST_XDIST_WORKER": "gw6"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "too few Redis databases" in refused.stderr
