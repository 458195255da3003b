"""Which language a text is written in, and which language a reply should use."""

from __future__ import annotations

import unicodedata

LANGUAGES = ("ar", "en")
DEFAULT_LANGUAGE = "en"


def script_language(text: str) -> str | None:
    """Return "ar" or "en" by the letters that dominate `text`, or None if it has no letters.

    Arabic needs only a third of the letters: a question with an English company name in an
    Arabic sentence is Arabic. Styled letters (𝐇𝐈𝐕𝐄, fullwidth) count as what they are.
    Without letters, Arabic-Indic digits or Arabic punctuation ("٢٠٢٤؟") say Arabic.
    """
    arabic = latin = arabic_signs = 0
    for char in unicodedata.normalize("NFKC", text):
        name = unicodedata.name(char, "")
        if not char.isalpha():
            arabic_signs += "ARABIC" in name
            continue
        if name.startswith("ARABIC"):
            arabic += 1
        elif name.startswith("LATIN"):
            latin += 1
    if not arabic and not latin:
        return "ar" if arabic_signs else None
    return "ar" if arabic * 2 >= latin else "en"


def language_of_locale(locale: str | None) -> str | None:
    """Map a Telegram `language_code` such as "ar-EG" or "en" to a supported language."""
    if not locale:
        return None
    lang = locale.replace("-", "_").split("_")[0].lower()
    return lang if lang in LANGUAGES else None


def reply_language(text: str, *, chosen: str | None = None, locale: str | None = None) -> str:
    """The reply follows the user's choice, else the question's script, else their client."""
    if chosen in LANGUAGES:
        return chosen
    return script_language(text) or language_of_locale(locale) or DEFAULT_LANGUAGE


def reading_locale(lang: str, locale: str | None) -> str:
    """The locale to format numbers in: the client's own when it speaks `lang` (ar-EG keeps
    Egypt's digits), else the plain language."""
    return locale if locale and language_of_locale(locale) == lang else lang
