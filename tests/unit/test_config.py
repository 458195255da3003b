"""Settings from the environment, with messages a person can act on."""

from pathlib import Path

import pytest

from bot.config import TELEGRAM_API, ConfigError, load_settings


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.api_base_url == TELEGRAM_API
    assert settings.db_path == Path("faqbot.db")
    assert settings.token is None


def test_values() -> None:
    settings = load_settings({
        "TELEGRAM_BOT_TOKEN": " 123:abc ",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
        "FAQBOT_DB": "/srv/kb.db",
    })
    assert settings.require_token() == "123:abc"
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.db_path == Path("/srv/kb.db")


def test_missing_token_says_how_to_get_one() -> None:
    with pytest.raises(ConfigError, match="@BotFather"):
        load_settings({}).require_token()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TELEGRAM_API_BASE_URL": "127.0.0.1:8081"}, "must start with http"),
    ],
)
def test_bad_values(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env)
