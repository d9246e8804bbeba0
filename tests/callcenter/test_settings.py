"""Settings are read from the environment; run in a fresh interpreter so each env is seen whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s;"
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'],"
    " 'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'eager': s.CELERY_TASK_ALWAYS_EAGER,"
    " 'broker': s.CELERY_BROKER_URL, 'tz': s.TIME_ZONE}))"
)


SCRUBBED = {
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "HTTPS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "FAST_PASSWORD_HASHING",
}


def _env(**overrides: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    base["DJANGO_SETTINGS_MODULE"] = "callcenter.settings"
    base.update(overrides)
    return base


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_without_database_and_redis_urls_it_runs_embedded(tmp_path):
    result = _run([sys.executable, "-c", PRINT_SETTINGS], _env(DEBUG="true", VAR_DIR=str(tmp_path)))
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout.strip().splitlines()[-1])
    assert settings["engine"] == "django.db.backends.sqlite3"
    assert settings["layer"] == "channels.layers.InMemoryChannelLayer"
    assert settings["eager"] is True
    assert settings["broker"] == "memory://"


def test_with_urls_it_uses_postgres_and_redis(tmp_path):
    env = _env(
        DEBUG="true",
        DATABASE_URL="postgres://u@db.internal:5432/cc",
        REDIS_URL="redis://cache.internal:6379/0",
        TIME_ZONE="Asia/Tehran",
    )
    result = _run([sys.executable, "-c", PRINT_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout.strip().splitlines()[-1])
    assert settings["engine"] == "django.db.backends.postgresql"
    assert settings["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert settings["eager"] is False
    assert settings["broker"] == "redis://cache.internal:6379/0"
    assert settings["tz"] == "Asia/Tehran"


def test_missing_secret_key_with_debug_off_is_refused(tmp_path):
    env = _env(VAR_DIR=str(tmp_path))
    env.pop("SECRET_KEY", None)
    result = _run([sys.executable, "-c", PRINT_SETTINGS], env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_bad_time_zone_is_refused(tmp_path):
    result = _run([sys.executable, "-c", PRINT_SETTINGS], _env(DEBUG="true", TIME_ZONE="Mars/Olympus"))
    assert result.returncode != 0
    assert "TIME_ZONE='Mars/Olympus' is not an IANA time zone" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    env = _env(
        DEBUG="false",
        HTTPS="true",
        SECRET_KEY="k7Qv9-production-style-key-with-enough-length-and-variety-4f8b2c1d9e",
        ALLOWED_HOSTS="callcenter.example.com",
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=os.environ["REDIS_URL"],
    )
    result = _run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_fast_password_hashing_is_refused_in_production():
    result = _run(
        [sys.executable, "-c", "import django; django.setup()"],
        _env(HTTPS="true", FAST_PASSWORD_HASHING="true", SECRET_KEY="x" * 60),
    )
    assert result.returncode != 0
    assert "FAST_PASSWORD_HASHING is for tests only" in result.stderr
