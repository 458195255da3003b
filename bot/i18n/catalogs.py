"""Interface strings from the gettext catalogs in `locales/`, one translator per language."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from babel.support import NullTranslations, Translations

DOMAIN = "messages"


def locales_dir() -> Path:
    """The compiled catalogs that ship inside the package."""
    return Path(str(resources.files("bot.locales")))


@lru_cache(maxsize=8)
def translator(lang: str) -> NullTranslations:
    """The translations for `lang`; English source strings where a catalog is missing."""
    return Translations.load(str(locales_dir()), locales=[lang], domain=DOMAIN)
