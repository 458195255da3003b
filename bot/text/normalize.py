"""One normalization for phrasings and questions, so spelling variants meet before matching.

Arabic is written with optional diacritics, several alef and hamza forms, taa marbuta or haa,
alef maqsura or yaa, Arabic-Indic or Persian digits, tatweel for emphasis and letters
stretched for feeling ("شكراااا"). English arrives in any case with any punctuation. All of
that is noise for intent matching, and the same function must run on both sides. Common
dialect words are folded into their standard form last (see dialect.py).
"""

from __future__ import annotations

import re
import unicodedata

from bot.text.dialect import standard_words

# Zero-width characters and bidi controls: invisible, but they split words for a matcher.
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0xFEFF, 0x2060,
     *range(0x202A, 0x202F), *range(0x2066, 0x206A)],
    None,
)
# Harakat, tanween, shadda, sukun, superscript alef, Quranic marks, tatweel.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
# Arabic-Indic and Persian digits as Latin ones, for matching and for the sentence
# encoders, which read "٢٠٢٤" as letters, not as the year (see tidy).
_DIGIT_MAP = dict(zip("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789", strict=True))
_DIGITS = str.maketrans(_DIGIT_MAP)
_LETTERS = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
        "ؤ": "و", "ئ": "ي", "ى": "ي", "ة": "ه",
        "ی": "ي", "ے": "ي", "ک": "ك", "ڪ": "ك", "گ": "ك", "ڭ": "ك",
        "ڤ": "ف", "ڨ": "ق", "پ": "ب", "چ": "ج", "ژ": "ز", "ھ": "ه", "ۀ": "ه",
        **_DIGIT_MAP,
        "٫": ".", "٬": ",", "،": ",", "؛": ";", "؟": "?",
    }
)
_NOT_WORD = re.compile(r"[^\w]+")
_STRETCH = re.compile(r"([^\W\d_])\1{2,}")  # letters only: "1000" stays a thousand
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
# A word in Latin letters typed onto an Arabic article or one-letter clitic ("الATM",
# "بالvirement") is that word: the article goes. Any other change of script within a word
# ("بطاقتيvisa") parts two words.
_LATIN = "a-zà-öø-ÿœæ"
_GLUED_LATIN = re.compile(rf"\b(?:[وف]?[بلك]?ال|[وف]?لل|[وفبلك]{{1,2}})(?=[{_LATIN}])")
_SCRIPT_CHANGE = re.compile(rf"(?<=[ء-ي])(?=[{_LATIN}])|(?<=[{_LATIN}])(?=[ء-ي])")


# Stored phrasings carry the normalized form of the version that wrote them; bump this when
# normalize() changes so they are normalized again (see kb/store.py).
NORMALIZE_VERSION = 21


def normalize(text: str) -> str:
    """Return `text` folded for matching: lowercase words separated by single spaces.

    >>> normalize("كَمْ جيجاواطٍ؟")
    'كم جيجاواط'
    >>> normalize("HIVE's   revenue!!")
    'hive s revenue'
    >>> normalize("بغيت نعرف فين وصلات لاكارط ديالي")
    'اريد نعرف اين وصلات البطاقه خاصتي'
    """
    return " ".join(word for word in standard_words(fold(text).split()) if word)


def shows_dialect(text: str) -> bool:
    """Whether `text` has a word of everyday dialect (see dialect.py): "فين", "ديالي",
    "ماوصلتش" do, as do English words typed among Arabic ones; "أين بطاقتي" does not."""
    words = fold(text).split()
    return standard_words(words) != words


def tidy(text: str) -> str:
    """`text` with its spelling kept but its noise gone: invisible characters, diacritics,
    tatweel, stretched letters, case and extra spaces; its digits are Latin ones."""
    return " ".join(_STRETCH.sub(r"\1", _unmarked(text).translate(_DIGITS)).split())


def fold(text: str) -> str:
    """normalize() without folding dialect words into their standard form."""
    text = _STRETCH.sub(r"\1", _unmarked(text).translate(_LETTERS))
    text = _NOT_WORD.sub(" ", text.replace("_", " "))
    text = _SCRIPT_CHANGE.sub(" ", _GLUED_LATIN.sub("", text))
    return " ".join(_DIGIT_LETTER.sub(" ", text).split())


def _unmarked(text: str) -> str:
    """NFKC, without invisible characters, case, diacritics or tatweel."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    return _ARABIC_MARKS.sub("", text)

