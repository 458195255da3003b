"""Numbers, money, units and dates for the reader's locale, through Babel.

Babel formats with CLDR data but keeps Latin digits even in the Arabic numbering system
(it only swaps the separators), and keeps a pattern's literal "%". Where the reader's
numbering system is `arab` (CLDR's default for ar-EG, ar-SA, ar-IQ..., or the user's
choice), the digits and the percent sign are mapped after Babel has done the rest.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.numbers import format_compact_decimal, format_decimal, format_percent, get_currency_name
from babel.units import format_unit

from bot.kb.sources import Fact

DIGITS = ("latn", "arab")
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def is_known_locale(locale: str) -> bool:
    """Whether Babel reads `locale` (ar, ar-EG, en_GB): _locale falls back silently, right
    for a Telegram client's language code, not for a locale a person typed."""
    try:
        Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


@lru_cache(maxsize=64)
def _locale(locale: str) -> Locale:
    for candidate in (locale.replace("-", "_"), locale.replace("-", "_").split("_")[0], "en"):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def numbering_system(locale: str, digits: str | None = None) -> str:
    """`latn` or `arab`: the user's choice if any, else the locale's CLDR default."""
    if digits in DIGITS:
        return digits
    system = _locale(locale).default_numbering_system
    return system if system in DIGITS else "latn"


def _finish(text: str, locale: str, system: str) -> str:
    """Map what Babel left Latin into the numbering system."""
    if system != "arab":
        return text
    symbols = _locale(locale).number_symbols.get("arab", {})
    return text.replace("%", symbols.get("percentSign", "٪")).translate(_ARABIC_INDIC)


def format_number(value: float, locale: str, digits: str | None = None) -> str:
    """A plain number: 1,234.5 / 1٬234٫5 / ١٬٢٣٤٫٥."""
    system = numbering_system(locale, digits)
    text = format_decimal(value, locale=_locale(locale), numbering_system=system)
    return _finish(text, locale, system)


def format_percentage(percent: float, locale: str, digits: str | None = None) -> str:
    """`percent` is in percent points: 219 -> 219% / ٢١٩٪؜."""
    system = numbering_system(locale, digits)
    text = format_percent(percent / 100, locale=_locale(locale), numbering_system=system,
                          decimal_quantization=False)
    return _finish(text, locale, system)


def format_money(value: float, currency: str, locale: str, digits: str | None = None) -> str:
    """Money in words, compact: "93.1 million US dollars" / "93.1 مليون دولار أمريكي"."""
    system = numbering_system(locale, digits)
    loc = _locale(locale)
    if abs(value) >= 1_000_000:
        amount = format_compact_decimal(value, format_type="long", locale=loc,
                                        fraction_digits=2, numbering_system=system)
    else:
        amount = format_decimal(value, locale=loc, numbering_system=system)
    name = get_currency_name(currency, count=value, locale=loc)
    return _finish(f"{amount} {name}", locale, system)


def format_quantity(value: float, unit: str, locale: str, digits: str | None = None) -> str:
    """A measurement with a CLDR unit, spelled out: "30 gigawatts" / "30 غيغا واط"."""
    system = numbering_system(locale, digits)
    text = format_unit(value, unit, length="long", locale=_locale(locale),
                       numbering_system=system)
    return _finish(text, locale, system)


def format_year(year: int, locale: str, digits: str | None = None) -> str:
    """A calendar year as the locale writes it (no grouping: 2024, not 2,024)."""
    system = numbering_system(locale, digits)
    text = format_skeleton("y", date(int(year), 1, 1), locale=_locale(locale))
    return _finish(text, locale, system)


def format_day(day: date, locale: str, digits: str | None = None) -> str:
    """A date in the locale's long form: "November 25, 2026" / "25 نوفمبر 2026"."""
    system = numbering_system(locale, digits)
    return _finish(format_date(day, format="long", locale=_locale(locale)), locale, system)


def format_fact(fact: Fact, locale: str, digits: str | None = None) -> str:
    """A fact's value with its unit or currency, as an answer quotes it."""
    value = int(fact.value) if float(fact.value).is_integer() else fact.value
    if fact.currency:
        return format_money(value, fact.currency, locale, digits)
    if fact.unit == "percent":
        return format_percentage(value, locale, digits)
    if fact.unit == "year":
        return format_year(int(value), locale, digits)
    if fact.unit:
        return format_quantity(value, fact.unit, locale, digits)
    return format_number(value, locale, digits)
