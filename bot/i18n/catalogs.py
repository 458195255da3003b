"""Interface strings from the gettext catalogs in `locales/`, one translator per language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from bot.i18n.direction import keep_commands_ltr
from bot.paths import data_dir

DOMAIN = "messages"


class Catalog:
    """A language's interface strings. Arabic ones keep their commands left to right ("أرسل
    /help" would show "help/"), so that neither translators nor callers add the marks."""

    def __init__(self, translations: NullTranslations, lang: str) -> None:
        self._translations = translations
        self._right_to_left = lang == "ar"

    def gettext(self, message: str) -> str:
        """`message` in the catalog's language, the English source where it has none."""
        text = self._translations.gettext(message)
        return keep_commands_ltr(text) if self._right_to_left else text


def locales_dir() -> Path:
    """The compiled catalogs that ship inside the package."""
    return data_dir("locales")


@lru_cache(maxsize=8)
def translator(lang: str) -> Catalog:
    """The interface strings for `lang`; English source strings where a catalog is missing."""
    return Catalog(Translations.load(str(locales_dir()), locales=[lang], domain=DOMAIN), lang)
