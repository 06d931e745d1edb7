import base64
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from courses.mux import playback_tokens


@pytest.fixture
def signing_key(settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    settings.MUX_SIGNING_KEY_ID = "key-123"
    settings.MUX_SIGNING_PRIVATE_KEY = base64.b64encode(pem).decode()  # as Mux hands it out
    return key.public_key()


def test_tokens_are_rs256_with_sub_aud_exp_and_kid(signing_key):
    tokens = playback_tokens("play-abc", ttl_seconds=600)
    for token, aud in [(tokens.playback, "v"), (tokens.thumbnail, "t"), (tokens.storyboard, "s")]:
        assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": "key-123", "typ": "JWT"}
        claims = jwt.decode(token, signing_key, algorithms=["RS256"], audience=aud)
        assert claims["sub"] == "play-abc"
        assert time.time() + 590 < claims["exp"] <= time.time() + 600


def test_a_token_for_one_audience_is_refused_for_another(signing_key):
    tokens = playback_tokens("play-abc")
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(tokens.thumbnail, signing_key, algorithms=["RS256"], audience="v")


def test_missing_signing_key_is_a_configuration_error(settings):
    settings.MUX_SIGNING_KEY_ID = ""
    with pytest.raises(ImproperlyConfigured):
        playback_tokens("play-abc")


def test_garbage_private_key_is_a_configuration_error(settings):
    settings.MUX_SIGNING_KEY_ID = "key"
    settings.MUX_SIGNING_PRIVATE_KEY = "not a key!"
    with pytest.raises(ImproperlyConfigured):
        playback_tokens("play-abc")
