"""Settings from the environment (and an optional .env file), validated once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
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
    admins: frozenset[int] = field(default_factory=frozenset)

    def require_token(self) -> str:
        """The bot token, or a ConfigError that says how to get one."""
        if not self.token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram, "
                "then run `export TELEGRAM_BOT_TOKEN=<the token it gives you>` "
                "(or put that line in a .env file) and start the bot again."
            )
        return self.token


def _admins(raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(
                f"FAQBOT_ADMINS must be comma-separated Telegram user ids; {part!r} is not one."
            )
        ids.add(int(part))
    return frozenset(ids)


def load_settings(env: dict[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Read the settings; `.env` in the working directory fills what the environment lacks."""
    if env is None:
        if dotenv:
            load_dotenv(Path.cwd() / ".env", override=False)
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
        admins=_admins(env.get("FAQBOT_ADMINS", "")),
    )
