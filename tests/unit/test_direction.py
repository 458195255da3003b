"""Direction marks: mixed Arabic and Latin text, and commands, read right in every client."""

import pytest

from bot.i18n.direction import bidi_fix, keep_commands_ltr

LRM = "\u200e"
RLM = "\u200f"


def test_latin_runs_in_arabic_are_closed_on_the_arabic_side() -> None:
    assert bidi_fix("أعلنت HIVE Digital عن نتائج.", "ar") == (
        f"{RLM}أعلنت HIVE Digital{RLM} عن نتائج.")
    assert bidi_fix("HIVE Digital أعلنت", "ar") == f"{RLM}HIVE Digital{RLM} أعلنت"
    # the full stop that ends the Arabic sentence stays on its side
    assert bidi_fix("سجلت HIVE Digital.", "ar") == f"{RLM}سجلت HIVE Digital{RLM}."
    assert bidi_fix("HIVE Digital reported.", "en") == "HIVE Digital reported."


def test_a_command_keeps_its_slash_in_front_in_arabic() -> None:
    # without the mark, "/ask" between Arabic words shows as "ask/"
    assert bidi_fix("أو استخدم /ask.", "ar") == f"{RLM}أو استخدم {LRM}/ask{RLM}."
    # a command line with its options is one left-to-right run
    assert bidi_fix("بالأمر: faqbot kb unanswered --days 30", "ar") == (
        f"{RLM}بالأمر: faqbot kb unanswered --days 30{RLM}")


def test_every_arabic_line_that_opens_left_to_right_is_turned() -> None:
    assert bidi_fix("سطر أول\nHIVE أولًا\n/help هنا\nسطر عربي", "ar") == (
        f"{RLM}سطر أول\n{RLM}HIVE{RLM} أولًا\n{RLM}{LRM}/help{RLM} هنا\nسطر عربي")


def test_an_english_line_that_opens_with_an_arabic_name_reads_left_to_right() -> None:
    assert bidi_fix("هدى: I will reply in English.", "en") == (
        f"{LRM}هدى: I will reply in English.")
    assert bidi_fix("Huda: I will reply in English.\nهدى", "en") == (
        f"Huda: I will reply in English.\n{LRM}هدى")


@pytest.mark.parametrize("text", [
    "أو استخدم /ask.", "سطر أول\nHIVE أولًا\n/help هنا", "بالأمر: faqbot kb unanswered --days 30",
    "هدى: I will reply in English.",
])
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_marks_are_not_doubled_when_a_text_is_fixed_again(text: str, lang: str) -> None:
    once = bidi_fix(text, lang)
    assert bidi_fix(once, lang) == once


def test_interface_strings_get_only_the_marks_their_commands_need() -> None:
    assert keep_commands_ltr("/ask سؤالك - اطرح سؤالًا") == f"{RLM}{LRM}/ask سؤالك - اطرح سؤالًا"
    assert keep_commands_ltr("أرسل /help لترى ما يمكنني فعله.") == (
        f"أرسل {LRM}/help لترى ما يمكنني فعله.")
    # a button's label, a fraction or a path is left as written
    for text in ("العربية", "ابدأ", "1/2", "km/h", "كم/ساعة"):
        assert keep_commands_ltr(text) == text
    marked = keep_commands_ltr("/ask سؤالك")
    assert keep_commands_ltr(marked) == marked
