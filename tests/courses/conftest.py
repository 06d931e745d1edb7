"""Fixtures for the courses tests."""

from __future__ import annotations

import base64
from typing import Any

import pytest


@pytest.fixture
def mux_signing(settings: Any) -> Any:
    """A fresh RSA signing key configured as the Mux signing key, so signed playback works."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    settings.MUX_SIGNING_KEY_ID = "key-123"
    settings.MUX_SIGNING_PRIVATE_KEY = base64.b64encode(pem).decode()
    return key.public_key()
