"""Production settings: `check --deploy` clean with real-looking secrets; refuse to start without them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "k" * 20 + "q8Xz!v3@pL0#rT6^mW9&nB2*yC5(eF7)" + "j" * 10,
    "DJANGO_ALLOWED_HOSTS": "learn.example.com",
    "SITE_URL": "https://learn.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/syllabus",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example",
    "STRIPE_PRICE_MONTHLY": "price_monthly",
    "STRIPE_PRICE_ANNUAL": "price_annual",
    "MUX_TOKEN_ID": "token-id",
    "MUX_TOKEN_SECRET": "token-secret",
    "MUX_WEBHOOK_SECRET": "mux-webhook-secret",
    "MUX_SIGNING_KEY_ID": "signing-key-id",
    "MUX_SIGNING_PRIVATE_KEY": "LS0tLS1CRUdJTi...",
    "AWS_STORAGE_BUCKET_NAME": "syllabus-media",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    prefixes = ("DJANGO_", "STRIPE_", "MUX_", "AWS_", "ALLOW_", "LOG_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_production_settings_pass_check_deploy() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_secrets() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "STRIPE_WEBHOOK_SECRET"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "STRIPE_WEBHOOK_SECRET" in result.stderr


def test_production_refuses_local_file_storage_unless_allowed() -> None:
    """Several web instances share no disk: lesson files live on S3 unless an operator opts out."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "AWS_STORAGE_BUCKET_NAME"}
    refused = _manage("check", env=env)
    assert refused.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME" in refused.stderr
    allowed = _manage("check", env={**env, "ALLOW_LOCAL_MEDIA_STORAGE": "1"})
    assert allowed.returncode == 0, allowed.stderr
