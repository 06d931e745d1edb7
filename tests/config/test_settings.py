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


def _base_settings(monkeypatch, **environ: str) -> dict:
    """config/settings/base.py evaluated afresh under these variables (nothing else of the suite changes)."""
    import runpy

    for name in ("EMAIL_URL", "DJANGO_ALLOWED_HOSTS", "DJANGO_SECRET_KEY", "DJANGO_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config" / "settings" / "base.py"))


def test_email_url_schemes_select_their_backend(monkeypatch) -> None:
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    assert _base_settings(monkeypatch)["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    file = _base_settings(monkeypatch, EMAIL_URL="file:///var/mail/syllabus")
    assert (file["EMAIL_BACKEND"], file["EMAIL_FILE_PATH"]) == (
        "django.core.mail.backends.filebased.EmailBackend",
        "/var/mail/syllabus",
    )
    starttls = _base_settings(monkeypatch, EMAIL_URL="smtp+tls://me%40example.com:p%2Fss@mail.example.com:2525")
    assert {k: starttls[k] for k in ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER")} == {
        "EMAIL_BACKEND": smtp,
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "me@example.com",
    }
    assert (starttls["EMAIL_HOST_PASSWORD"], starttls["EMAIL_USE_TLS"], starttls["EMAIL_USE_SSL"]) == (
        "p/ss",
        True,
        False,
    )
    implicit = _base_settings(monkeypatch, EMAIL_URL="smtps://mail.example.com")
    assert (implicit["EMAIL_PORT"], implicit["EMAIL_USE_TLS"], implicit["EMAIL_USE_SSL"]) == (587, False, True)
    esp = _base_settings(monkeypatch, EMAIL_URL="anymail://postmark")
    assert (esp["EMAIL_BACKEND"], esp["EMAIL_ESP"]) == ("anymail.backends.postmark.EmailBackend", "postmark")


def test_values_are_taken_literally_and_lists_trimmed(monkeypatch) -> None:
    # A generated secret key may start with "$": it is the key, not a reference to another variable.
    loaded = _base_settings(
        monkeypatch, DJANGO_SECRET_KEY="$ecret-key", DJANGO_ALLOWED_HOSTS=" a.example , b.example,,", DJANGO_DEBUG="on"
    )
    assert loaded["SECRET_KEY"] == "$ecret-key"
    assert loaded["ALLOWED_HOSTS"] == ["a.example", "b.example"]
    assert loaded["DEBUG"] is True
