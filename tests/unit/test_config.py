"""Configuration parsing: each bad value names its variable (unit tests, no services)."""

from __future__ import annotations

import pytest

from app.lib.settings import ConfigError, load_settings

SECRET = "s" * 32


def test_defaults_are_the_embedded_mode() -> None:
    settings = load_settings({})
    assert settings.embedded
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.rate_limit == "10/minute"
    assert settings.access_token_ttl == 3600
    assert settings.allowed_origins is None


def test_full_configuration() -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "postgresql://u:p@db:5432/chat",
            "REDIS_URL": "redis://cache:6379/0",
            "CHAT_HOST": "0.0.0.0",
            "CHAT_PORT": "9000",
            "CHAT_WORKERS": "4",
            "CHAT_JWT_SECRET": SECRET,
            "CHAT_ACCESS_TOKEN_TTL": "60",
            "CHAT_RATE_LIMIT": "100/second",
            "CHAT_ALLOWED_ORIGINS": "https://a.example, https://b.example",
        }
    )
    assert not settings.embedded
    assert settings.workers == 4
    assert settings.allowed_origins == frozenset({"https://a.example", "https://b.example"})


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "mysql://x/y", "CHAT_JWT_SECRET": SECRET}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://h:notaport/db", "CHAT_JWT_SECRET": SECRET}, "DATABASE_URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"CHAT_PORT": "eighty"}, "CHAT_PORT"),
        ({"CHAT_PORT": "70000"}, "CHAT_PORT"),
        ({"CHAT_WORKERS": "0"}, "CHAT_WORKERS"),
        ({"CHAT_WORKERS": "2"}, "CHAT_WORKERS"),
        ({"CHAT_JWT_SECRET": "short"}, "CHAT_JWT_SECRET"),
        ({"DATABASE_URL": "postgresql://h/db"}, "CHAT_JWT_SECRET"),
        ({"CHAT_ACCESS_TOKEN_TTL": "-5"}, "CHAT_ACCESS_TOKEN_TTL"),
        ({"CHAT_RATE_LIMIT": "lots"}, "CHAT_RATE_LIMIT"),
    ],
)
def test_bad_values_name_their_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(env)
    assert raised.value.variable == variable
    assert str(raised.value).startswith(f"{variable}: ")
    assert "\n" not in str(raised.value)
