"""Settings from the environment, with messages a person can act on."""

from pathlib import Path

import pytest

from bot.config import TELEGRAM_API, ConfigError, encoder_wanted, load_settings


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


@pytest.mark.parametrize("url", ["http://", "https://:8081/bot", "http:///bot", "http://[::1",
                                 "http://127.0.0.1:99999/bot", "http://127.0.0.1:bot/",
                                 "http://127.0.0.1:0/bot"])
def test_an_api_url_without_a_usable_host_is_named(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"TELEGRAM_API_BASE_URL": url})
    assert str(refused.value) == (
        "TELEGRAM_API_BASE_URL must be a URL with a host (and a port from 1 to 65535, if any), "
        f"such as http://127.0.0.1:8081/bot, got {url!r}.")


@pytest.mark.parametrize("url", ["http://[::1]:8081/bot", "https://api.telegram.org/bot",
                                 "http://localhost/bot"])
def test_an_api_url_with_a_host_is_kept(url: str) -> None:
    assert load_settings({"TELEGRAM_API_BASE_URL": url}).api_base_url == url


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "https://api.example.org",
                                 "http://127.0.0.1:8081?x=1"])
def test_an_api_url_without_a_path_is_named(url: str) -> None:
    """The token is appended to it: without a path such as /bot, it was read as part of
    the port or the host, and shown in the error."""
    with pytest.raises(ConfigError) as refused:
        load_settings({"TELEGRAM_API_BASE_URL": url})
    assert str(refused.value) == (
        "TELEGRAM_API_BASE_URL must end in a path, as in http://127.0.0.1:8081/bot (the "
        f"token is appended to it), got {url!r}.")


@pytest.mark.parametrize("token", ["123:abc def", "123:abc\ndef", "123:abc\tdef"])
def test_a_token_with_a_space_inside_is_refused_unshown(token: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"TELEGRAM_BOT_TOKEN": f" {token}\n"}).require_token()
    assert str(refused.value) == (
        "TELEGRAM_BOT_TOKEN is malformed: it has a space or a line break inside. Copy it "
        "again from @BotFather, as one line.")


@pytest.mark.parametrize(("value", "wanted"), [
    ("", True), ("on", True), (" YES ", True), ("1", True), ("true", True),
    ("off", False), ("Off", False), ("0", False), ("no", False), ("false", False),
])
def test_the_encoder_switch(value: str, wanted: bool) -> None:
    assert encoder_wanted({"FAQBOT_ENCODER": value}) is wanted
    assert encoder_wanted({}) is True


@pytest.mark.parametrize("value", ["of", "disabled", "2"])
def test_an_encoder_switch_that_is_neither_on_nor_off_is_named(value: str) -> None:
    """Anything but off, 0, no or false read as on, typos included."""
    with pytest.raises(ConfigError) as refused:
        encoder_wanted({"FAQBOT_ENCODER": value})
    assert str(refused.value) == (
        "FAQBOT_ENCODER must be on or off (or 1/0, yes/no, true/false), got "
        f"{value!r}.")


@pytest.mark.parametrize("value, admins", [
    ("", frozenset()), ("  ", frozenset()), ("123456789", frozenset({123456789})),
    ("123456789, 987654321", frozenset({123456789, 987654321})),
    ("123456789 987654321,", frozenset({123456789, 987654321})),
])
def test_admins_are_user_ids(value: str, admins: frozenset[int]) -> None:
    assert load_settings({"FAQBOT_ADMINS": value}).admins == admins


@pytest.mark.parametrize("value, item", [
    ("@sam", "@sam"), ("123, abc", "abc"), ("-100777", "-100777"), ("0", "0"),
    ("١٢٣", "١٢٣"), ("12.5", "12.5"),
])
def test_admins_that_are_no_user_ids_are_refused(value: str, item: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"FAQBOT_ADMINS": value})
    assert str(refused.value) == (
        "FAQBOT_ADMINS must be Telegram user ids separated by commas, such as "
        f"123456789,987654321; {item!r} is not one (a user id is a positive number, not an "
        "@name, which its owner can change).")


@pytest.mark.parametrize("value, days", [("", 365), (" ", 365), ("90", 90), (" 7 ", 7),
                                         ("36525", 36525)])
def test_the_question_log_keeps_questions_for_days(value: str, days: int) -> None:
    assert load_settings({"FAQBOT_KEEP_QUESTIONS_DAYS": value}).keep_questions_days == days


@pytest.mark.parametrize("value", ["0", "-5", "a year", "1.5", "36526", "٩٠"])
def test_a_question_log_period_that_is_no_number_of_days_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"FAQBOT_KEEP_QUESTIONS_DAYS": value})
    assert str(refused.value) == (
        "FAQBOT_KEEP_QUESTIONS_DAYS must be a whole number of days from 1 to 36525, such as "
        f"90, got {value!r}.")
