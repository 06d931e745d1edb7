"""Security headers: a Content-Security-Policy on every page (django-csp), scripts from the site only,
inline scripts only with the response's nonce, media and connections only to the providers used."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {d[0]: d[1:] for d in directives}


def test_every_page_has_a_policy_that_refuses_inline_and_foreign_scripts(client: Any) -> None:
    for url in ["/", "/pricing/", "/accounts/login/", "/no-such-page/"]:
        policy = _policy(client.get(url))
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"], url
        assert policy["default-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"]


def test_media_and_connections_go_only_to_the_site_and_mux(client: Any) -> None:
    policy = _policy(client.get("/"))
    assert policy["media-src"] == ["'self'", "blob:", "https://stream.mux.com", "https://image.mux.com"]
    assert set(policy["connect-src"]) == {
        "'self'",
        "https://stream.mux.com",
        "https://image.mux.com",
        "https://*.litix.io",  # Mux Data
        "https://storage.googleapis.com",  # the admin's direct upload PUT
    }
    # Stripe Checkout, the portal and Google sign-in are redirects after our own form posts.
    assert "https://checkout.stripe.com" in policy["form-action"]
    assert not any("stripe" in host for host in policy["script-src"] + policy["connect-src"])


def test_an_inline_script_carries_the_nonce_of_its_response(client: Any, user: Any) -> None:
    client.force_login(user)
    response = client.get("/billing/success/?session_id=cs_test_x")
    [nonce] = [v.removeprefix("'nonce-").removesuffix("'") for v in _policy(response)["script-src"] if "nonce" in v]
    scripts = re.findall(r"<script([^>]*)>", response.content.decode())
    inline = [attrs for attrs in scripts if "src=" not in attrs]
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    # A fresh nonce per response.
    assert (
        _policy(client.get("/billing/success/?session_id=cs_test_x"))["script-src"] != _policy(response)["script-src"]
    )


def test_the_admin_works_under_the_policy(client: Any, admin_user: Any) -> None:
    client.force_login(admin_user)
    response = client.get("/admin/courses/lesson/add/")
    assert response.status_code == 200
    assert "Content-Security-Policy" in response
    # The admin's own pages have no inline executable scripts (their data blocks are JSON, not run).
    for attrs in re.findall(r"<script([^>]*)>", response.content.decode()):
        assert "src=" in attrs or 'type="application/json"' in attrs or "nonce=" in attrs, attrs
