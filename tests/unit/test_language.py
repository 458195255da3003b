"""The reply language follows the user's choice, then the question's script, then the client."""

import pytest

from bot.text.language import reading_locale, reply_language, script_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("كم جيجاواط؟", "ar"),
        ("how many gigawatts", "en"),
        ("ما هي إيرادات HIVE Digital", "ar"),  # a Latin name inside Arabic
        ("what does تنصيف mean in english please", "en"),
        ("𝐇𝐈𝐕𝐄 𝐃𝐢𝐠𝐢𝐭𝐚𝐥 revenue", "en"),
        ("ＨＩＶＥ revenue", "en"),
        ("123 ?!", None),
        ("😀", None),
        ("٢٠٢٤؟", "ar"),  # Arabic-Indic digits and question mark, no letters
        ("۲۰۲۴", "ar"),  # the Persian forms of the digits
        ("2024؟", "ar"),
        ("2024, 93.1%", None),
    ],
)
def test_script_language(text: str, expected: str | None) -> None:
    assert script_language(text) == expected


def test_reply_language_order() -> None:
    assert reply_language("hello", chosen="ar") == "ar"
    assert reply_language("مرحبا", locale="en-US") == "ar"
    assert reply_language("😀", locale="ar-EG") == "ar"
    assert reply_language("😀", locale="fr") == "en"
    assert reply_language("😀") == "en"
    assert reply_language("٢٠٢٤؟", locale="en-US") == "ar"


def test_reading_locale_keeps_the_clients_region_only_for_its_language() -> None:
    assert reading_locale("ar", "ar-EG") == "ar-EG"
    assert reading_locale("en", "ar-EG") == "en"
    assert reading_locale("ar", None) == "ar"
