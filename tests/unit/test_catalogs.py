"""Every interface string is translated into Arabic, and the compiled catalogs are current."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import bot
from bot.i18n.catalogs import locales_dir, translator


def _code_messages() -> set[str]:
    package = Path(bot.__file__).parent
    found = extract_from_dir(str(package), method_map=[("**.py", "python")])
    return {message for _file, _line, message, _comments, _context in found}


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_catalog_covers_the_code(lang: str) -> None:
    path = locales_dir() / lang / "LC_MESSAGES" / "messages.po"
    catalog = read_po(path.open("rb"))
    ids = {m.id for m in catalog if m.id}
    assert _code_messages() <= ids
    if lang == "ar":
        untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
        assert untranslated == []


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_compiled_catalog_matches_source(lang: str) -> None:
    folder = locales_dir() / lang / "LC_MESSAGES"
    po = {m.id: m.string for m in read_po((folder / "messages.po").open("rb")) if m.id}
    mo = {m.id: m.string for m in read_mo((folder / "messages.mo").open("rb")) if m.id}
    assert mo == {k: v for k, v in po.items() if v}


def test_arabic_interface() -> None:
    assert translator("ar").gettext("Did you mean one of these?") == "هل تقصد أحد هذه الأسئلة؟"
    # a command inside Arabic keeps its slash in front of it ("help/" without the mark)
    assert translator("ar").gettext(
        "I don't know that command. Send /help to see what I can do.") == (
        "لا أعرف هذا الأمر. أرسل \u200e/help لترى ما يمكنني فعله.")
    assert translator("ar").gettext("/help - this message") == "\u200f\u200e/help - عرض هذه الرسالة"
    assert translator("en").gettext("/help - this message") == "/help - this message"
    assert translator("en").gettext("Did you mean one of these?") == "Did you mean one of these?"
