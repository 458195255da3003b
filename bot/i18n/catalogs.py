"""Interface strings from the gettext catalogs in `locales/`, one translator per language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from bot.paths import data_dir

DOMAIN = "messages"


def locales_dir() -> Path:
    """The compiled catalogs that ship inside the package."""
    return data_dir("locales")


@lru_cache(maxsize=8)
def translator(lang: str) -> NullTranslations:
    """The translations for `lang`; English source strings where a catalog is missing."""
    return Translations.load(str(locales_dir()), locales=[lang], domain=DOMAIN)
