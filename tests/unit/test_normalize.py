"""Normalization makes spelling variants of the same question meet."""

import pytest

from bot.text.normalize import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("كَمْ جيجاواطٍ؟", "كم جيجاواط"),  # diacritics and Arabic question mark
        ("الطاقـــة", "الطاقه"),  # tatweel, taa marbuta
        ("أإآٱا", "ا"),  # alef forms meet (and the stretch collapses)
        ("إلى مستشفى", "الي مستشفي"),  # alef maqsura
        ("مسؤول شاطئ", "مسوول شاطي"),  # hamza on waw and yaa
        ("٣٠ جيجا واط", "30 جيجا واط"),  # Arabic-Indic digits
        ("۳۰ گیگاوات", "30 كيكاوات"),  # Persian digits and letters
        ("٩٣٫١ مليون", "93 1 مليون"),  # Arabic decimal separator is punctuation here
        ("HIVE's   Revenue!!", "hive s revenue"),
        ("30GW?", "30 gw"),
        ("شكراااااا", "شكرا"),  # stretched letters
        ("1000 or 30000 GW", "1000 or 30000 gw"),  # but never stretched digits
        ("\u200fمرحبا\u200b بك\u2067", "مرحبا بك"),  # bidi marks and zero-width space
        ("ﻻ ﷲ", "لا الله"),  # presentation forms through NFKC
        ("<b>hi</b> *there*", "b hi b there"),
        ("😀🚀", ""),
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_idempotent() -> None:
    text = "هَلْ الـ 30 جيجاواط تعمل فعلاً؟ Is it OPERATIONAL"
    assert normalize(normalize(text)) == normalize(text)
