"""Text direction marks, so that mixed Arabic and Latin text reads right in every client.

Telegram lays out each line of a message as a paragraph of its own, in the direction of its
first strong letter, and places punctuation between an Arabic and a Latin run by the
paragraph's direction. Without marks, "أو استخدم /ask." shows the command as "ask/", an
Arabic line that opens with "HIVE Digital" or a command reads left to right, and "هدى: I will
reply in English." reads right to left.
"""

from __future__ import annotations

import re
import unicodedata

LRM = "\u200e"
RLM = "\u200f"
# A Latin run: words and numbers, with the options of a command line ("faqbot kb unanswered
# --days 30" is one run), ending on a letter or digit: a full stop after it is the Arabic
# sentence's.
_LATIN_WORD = r"[A-Za-z0-9](?:[A-Za-z0-9.&'’-]*[A-Za-z0-9])?"
_LTR_RUN = re.compile(rf"(?=[A-Za-z]){_LATIN_WORD}(?:[ ]-{{0,2}}{_LATIN_WORD})*")
# The slash of a bot command ("/ask"), not one inside a word or a path, nor one already marked.
_COMMAND = re.compile(rf"(?<![\w/{LRM}])/(?=[A-Za-z])")
_RTL = frozenset({"R", "AL"})


def bidi_fix(text: str, lang: str) -> str:
    """`text` in `lang` with the marks that keep its lines in that language's direction.

    Arabic: commands as in keep_commands_ltr; a right-to-left mark after each Latin run keeps
    the punctuation that follows on the Arabic side; one at the start of the text, and of
    every later line whose first letter is Latin (or that has none), makes the line
    right-to-left.
    English: a line that opens with an Arabic word (a name) gets a left-to-right mark. Marks
    already in place are kept, not doubled, so a text may be fixed again after more is
    added to it.
    """
    if lang != "ar":
        return "\n".join(LRM + line if _first_strong(line) in _RTL else line
                         for line in text.split("\n"))
    lines = [_LTR_RUN.sub(_closed, _COMMAND.sub(LRM + "/", line)) for line in text.split("\n")]
    if not lines[0].startswith(RLM):
        lines[0] = RLM + lines[0]
    return "\n".join(_right_to_left(lines))


def keep_commands_ltr(text: str) -> str:
    """An Arabic interface text with a left-to-right mark before each command, which keeps
    its slash in front of it, and a right-to-left one opening each line that begins with a
    command: only the marks those need, so that a button's label or a command menu's
    description stays as written."""
    if not _COMMAND.search(text):
        return text
    return "\n".join(_right_to_left([_COMMAND.sub(LRM + "/", line)
                                     for line in text.split("\n")]))


def _right_to_left(lines: list[str]) -> list[str]:
    """The lines, each that would read left to right opened by a right-to-left mark."""
    return [line if not line or _first_strong(line) in _RTL else RLM + line
            for line in lines]


def _closed(run: re.Match[str]) -> str:
    """A Latin run followed by a right-to-left mark, unless one follows it already."""
    follows = run.string[run.end():run.end() + 1]
    return run.group(0) if follows == RLM else run.group(0) + RLM


def _first_strong(line: str) -> str | None:
    """The bidirectional class of the first letter (or mark) that sets a line's direction."""
    for char in line:
        kind = unicodedata.bidirectional(char)
        if kind in ("L", "R", "AL"):
            return kind
    return None
