"""Babel formatting for the reader's locale, with Arabic-Indic digits where they belong."""

from datetime import date

import pytest

from bot.i18n.formatting import (
    format_day,
    format_fact,
    format_money,
    format_number,
    format_percentage,
    format_quantity,
    numbering_system,
)
from bot.kb.sources import Fact

GW = Fact("miners", "planned power", 30, unit="power-gigawatt")
MONEY = Fact("HIVE Digital", "revenue", 93_100_000, currency="USD")
GROWTH = Fact("HIVE Digital", "growth", 219, unit="percent")
YEAR = Fact("bitcoin", "halving", 2024, unit="year")
COUNT = Fact("miners", "tracked", 14)


@pytest.mark.parametrize(
    ("locale", "digits", "expected"),
    [
        ("en", None, ["30 gigawatts", "93.1 million US dollars", "219%", "2024", "14"]),
        ("ar", None, ["30 غيغا واط", "93.1 مليون دولار أمريكي", "219%", "2024", "14"]),
        ("ar-EG", None, ["٣٠ غيغا واط", "٩٣٫١ مليون دولار أمريكي", "٢١٩٪؜", "٢٠٢٤", "١٤"]),
        ("ar_SA", None, ["٣٠ غيغا واط", "٩٣٫١ مليون دولار أمريكي", "٢١٩٪؜", "٢٠٢٤", "١٤"]),
        ("ar", "arab", ["٣٠ غيغا واط", "٩٣٫١ مليون دولار أمريكي", "٢١٩٪؜", "٢٠٢٤", "١٤"]),
        ("ar-EG", "latn", ["30 غيغا واط", "93.1 مليون دولار أمريكي", "219%", "2024", "14"]),
        ("ar-MA", None, ["30 غيغا واط", "93,1 مليون دولار أمريكي", "219%", "2024", "14"]),
    ],
)
def test_facts_per_locale(locale: str, digits: str | None, expected: list[str]) -> None:
    facts = [GW, MONEY, GROWTH, YEAR, COUNT]
    assert [format_fact(f, locale, digits) for f in facts] == expected


def test_an_unknown_region_keeps_the_language() -> None:
    assert format_fact(GW, "ar-XX") == "30 غيغا واط"
    assert format_fact(GW, "ar-") == "30 غيغا واط"
    assert format_fact(GW, "zz") == "30 gigawatts"


def test_numbering_system_defaults_from_cldr() -> None:
    assert numbering_system("ar") == "latn"
    assert numbering_system("ar-EG") == "arab"
    assert numbering_system("ar-IQ") == "arab"
    assert numbering_system("en") == "latn"
    assert numbering_system("xx-unknown") == "latn"
    assert numbering_system("en", "arab") == "arab"


def test_numbers_and_units() -> None:
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_number(1234.5, "ar-EG") == "١٬٢٣٤٫٥"
    assert format_percentage(12.5, "en") == "12.5%"
    assert format_quantity(1, "power-gigawatt", "en") == "1 gigawatt"
    assert format_quantity(11, "power-gigawatt", "ar", "arab") == "١١ غيغا واط"
    assert format_money(500, "USD", "en") == "500 US dollars"
    assert format_money(2_500_000_000, "USD", "en") == "2.5 billion US dollars"


def test_dates() -> None:
    assert format_day(date(2026, 11, 25), "en") == "November 25, 2026"
    assert format_day(date(2026, 11, 25), "ar") == "25 نوفمبر 2026"
    assert format_day(date(2026, 11, 25), "ar-EG") == "٢٥ نوفمبر ٢٠٢٦"
