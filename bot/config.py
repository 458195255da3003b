"""Settings from the environment (and an optional .env file), validated once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

TELEGRAM_API = "https://api.telegram.org/bot"
DEFAULT_DB = "faqbot.db"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message tells the user how to fix it."""


@dataclass(frozen=True)
class Settings:
    """What the bot needs to know about its surroundings."""

    token: str | None = None
    api_base_url: str = TELEGRAM_API
    db_path: Path = Path(DEFAULT_DB)

    def require_token(self) -> str:
        """The bot token, or a ConfigError that says how to get one."""
        if not self.token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram, "
                "then run `export TELEGRAM_BOT_TOKEN=<the token it gives you>` "
                "(or put that line in a .env file) and start the bot again."
            )
        return self.token


def load_env_file() -> None:
    """Fill what the environment lacks from `.env` in the working directory, before any
    setting is read: the database, the encoders (FAQBOT_ENCODER) and their threads
    (GOMP_SPINCOUNT) read theirs from the environment."""
    try:
        load_dotenv(Path.cwd() / ".env", override=False)
    except UnicodeDecodeError:
        raise ConfigError(".env in this folder is not UTF-8 text: save it as UTF-8, one "
                          "NAME=value a line.") from None


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from `env`, by default the environment (which the command line
    has filled from `.env` first, see load_env_file)."""
    if env is None:
        env = dict(os.environ)
    base_url = env.get("TELEGRAM_API_BASE_URL", "").strip() or TELEGRAM_API
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"TELEGRAM_API_BASE_URL must start with http:// or https://, got {base_url!r}."
        )
    return Settings(
        token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
        api_base_url=base_url,
        db_path=Path(env.get("FAQBOT_DB", "").strip() or DEFAULT_DB),
    )
