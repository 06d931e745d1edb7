import base64
import time

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from courses.mux import TOKEN_REUSE_SECONDS, playback_tokens


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


def test_tokens_are_reused_for_a_minute_and_still_expire(signing_key):
    """Signing is the costly part of a lesson page: a token set is reused for up to TOKEN_REUSE_SECONDS,
    then minted afresh; every token handed out still expires `ttl` after it was minted."""
    start = 1_900_000_000
    with time_machine.travel(start, tick=False):
        first = playback_tokens("play-reuse", ttl_seconds=600)
        assert playback_tokens("play-other", ttl_seconds=600) != first  # per playback id
    with time_machine.travel(start + TOKEN_REUSE_SECONDS - 1, tick=False):
        assert playback_tokens("play-reuse", ttl_seconds=600) == first
    with time_machine.travel(start + TOKEN_REUSE_SECONDS, tick=False):
        fresh = playback_tokens("play-reuse", ttl_seconds=600)
        assert fresh != first
        assert fresh.expires_at == start + TOKEN_REUSE_SECONDS + 600
    with time_machine.travel(start + 599, tick=False):
        jwt.decode(first.playback, signing_key, algorithms=["RS256"], audience="v")  # still valid
    with time_machine.travel(start + 601, tick=False), pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(first.playback, signing_key, algorithms=["RS256"], audience="v")
    with time_machine.travel(start - 30, tick=False):  # a clock set back never gets tokens from "the future"
        assert playback_tokens("play-reuse", ttl_seconds=600).expires_at == start - 30 + 600
