"""Settings from the environment (and an optional .env file), validated once at start-up."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import load_dotenv
from dotenv.parser import parse_stream

from bot.kb.build import MAX_DAYS

TELEGRAM_API = "https://api.telegram.org/bot"
DEFAULT_DB = "faqbot.db"
# How long the question log keeps a question: a year shows admins what the bot could not
# answer, and how often, across every season of a community's questions.
KEEP_QUESTIONS_DAYS = 365


class ConfigError(ValueError):
    """A setting is missing or malformed; the message tells the user how to fix it."""


@dataclass(frozen=True)
class Settings:
    """What the bot needs to know about its surroundings."""

    token: str | None = None
    api_base_url: str = TELEGRAM_API
    db_path: Path = Path(DEFAULT_DB)
    admins: frozenset[int] = frozenset()  # Telegram user ids
    keep_questions_days: int = KEEP_QUESTIONS_DAYS

    def require_token(self) -> str:
        """The bot token, or a ConfigError that says how to get one."""
        if not self.token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram, "
                "then run `export TELEGRAM_BOT_TOKEN=<the token it gives you>` "
                "(or put that line in a .env file) and start the bot again."
            )
        if any(char.isspace() for char in self.token):  # shown in the URL httpx refused
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is malformed: it has a space or a line break inside. Copy "
                "it again from @BotFather, as one line.")
        return self.token


def load_env_file() -> None:
    """Fill what the environment lacks from `.env` in the working directory, before any
    setting is read: the database, the encoders (FAQBOT_ENCODER) and their threads
    (GOMP_SPINCOUNT) read theirs from the environment."""
    path = Path.cwd() / ".env"
    if not path.is_file():
        return
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(".env in this folder is not UTF-8 text: save it as UTF-8, one "
                          "NAME=value a line.") from None
    except OSError as exc:
        raise ConfigError(f".env in this folder cannot be read: {exc.strerror}.") from None
    _check_env_lines(text)
    load_dotenv(stream=io.StringIO(text), override=False)


def _check_env_lines(text: str) -> None:
    """ConfigError naming the first line of .env that python-dotenv cannot parse: it only
    warns and skips it, so its setting would be silently ignored. The line is not quoted,
    since it may hold the token."""
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise ConfigError(f".env:{binding.original.line}: cannot be read: write "
                              "NAME=value, and close any quote the value opens.")


SWITCH = {"on": True, "1": True, "yes": True, "true": True,
          "off": False, "0": False, "no": False, "false": False}


def encoder_wanted(env: Mapping[str, str] | None = None) -> bool:
    """Whether FAQBOT_ENCODER (in `env`, by default the environment) leaves the sentence
    encoders on, as they are when it is unset; ConfigError for a value that is neither on
    nor off: anything but off read as on, so a typo for off went unnoticed."""
    value = (os.environ if env is None else env).get("FAQBOT_ENCODER", "").strip()
    if not value:
        return True
    if value.lower() not in SWITCH:
        raise ConfigError("FAQBOT_ENCODER must be on or off (or 1/0, yes/no, true/false), "
                          f"got {value!r}.")
    return SWITCH[value.lower()]


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from `env`, by default the environment (which the command line
    has filled from `.env` first, see load_env_file)."""
    if env is None:
        env = dict(os.environ)
    return Settings(
        token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
        api_base_url=_api_base_url(env),
        db_path=Path(env.get("FAQBOT_DB", "").strip() or DEFAULT_DB),
        admins=_admins(env.get("FAQBOT_ADMINS", "")),
        keep_questions_days=_keep_questions_days(env.get("FAQBOT_KEEP_QUESTIONS_DAYS", "")),
    )


def _keep_questions_days(value: str) -> int:
    """FAQBOT_KEEP_QUESTIONS_DAYS: a whole number of days, from 1 to a century."""
    value = value.strip()
    if not value:
        return KEEP_QUESTIONS_DAYS
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_DAYS:
        raise ConfigError(
            "FAQBOT_KEEP_QUESTIONS_DAYS must be a whole number of days from 1 to "
            f"{MAX_DAYS}, such as 90, got {value!r}.")
    return int(value)


def _admins(value: str) -> frozenset[int]:
    """FAQBOT_ADMINS: Telegram user ids, separated by commas or spaces. Ids, not @names:
    a name can be changed, and then taken by someone else."""
    admins = set()
    for item in value.replace(",", " ").split():
        if not item.isascii() or not item.isdigit() or int(item) == 0:
            raise ConfigError(
                f"FAQBOT_ADMINS must be Telegram user ids separated by commas, such as "
                f"123456789,987654321; {item!r} is not one (a user id is a positive number, "
                "not an @name, which its owner can change).")
        admins.add(int(item))
    return frozenset(admins)


def _api_base_url(env: dict[str, str]) -> str:
    """TELEGRAM_API_BASE_URL, refused here if it cannot reach a server: the token is appended
    to it, so without a host, or without a path to end in, its secret half would be read as
    a port, and shown in the error."""
    base_url = env.get("TELEGRAM_API_BASE_URL", "").strip() or TELEGRAM_API
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"TELEGRAM_API_BASE_URL must start with http:// or https://, got {base_url!r}."
        )
    if not _names_a_host(base_url):
        raise ConfigError(
            "TELEGRAM_API_BASE_URL must be a URL with a host (and a port from 1 to 65535, if "
            f"any), such as http://127.0.0.1:8081/bot, got {base_url!r}."
        )
    if not urlsplit(base_url).path:
        raise ConfigError(
            "TELEGRAM_API_BASE_URL must end in a path, as in http://127.0.0.1:8081/bot (the "
            f"token is appended to it), got {base_url!r}."
        )
    return base_url


def _names_a_host(url: str) -> bool:
    """Whether `url` has a host, and a port that can be connected to if it has one."""
    try:
        parts = urlsplit(url)
        return bool(parts.hostname) and parts.port != 0
    except ValueError:  # a bracket left open, a port that is no number or out of range
        return False
