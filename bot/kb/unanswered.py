"""What people asked that the bot could not answer: the question log read back for admins,
so that they can add the missing phrasing or entry.

A question counts while the knowledge still does not answer it: each distinct question
(the same after normalization: case, diacritics, Arabic letter variants, spacing) is asked
again of the current knowledge, and one it now answers is left out, so that a fix shows at
once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.answering import Answerer, Asker, Outcome
from bot.text.normalize import normalize

# What the bot did with a question it could not answer: declined it, or only offered
# "did you mean" choices.
NOT_ANSWERED = (Outcome.FALLBACK.value, Outcome.SUGGEST.value)
ANSWERED = (Outcome.ANSWER, Outcome.SMALLTALK)
MAX_DAYS = 36_525  # a century: further back than any log, and a date Python can reach


@dataclass(frozen=True)
class Unanswered:
    """One question as people asked it (`text`: its latest wording), how often and when
    last (UTC, ISO 8601), and the entry the current knowledge finds likeliest (None if
    none)."""

    text: str
    lang: str
    asked: int
    last_asked: str
    guess: str | None


def unanswered(answerer: Answerer, days: int) -> Iterator[Unanswered | None]:
    """Each distinct question of the last `days` days the bot did not answer: what it
    still does not answer, or None where the current knowledge answers it now. One at a
    time, each asked again of the knowledge (tens of milliseconds where the encoders read
    it), so that a bot can let other updates through between two (see
    tg/handlers/admin.py); `report` puts them in order."""
    since = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
    rows = answerer.db.execute(
        "SELECT text, lang, asked_at FROM questions "
        f"WHERE outcome IN ({', '.join('?' * len(NOT_ANSWERED))}) AND asked_at >= ? "
        "ORDER BY asked_at, id", [*NOT_ANSWERED, since]).fetchall()
    grouped: dict[str, list[tuple[str, str, str]]] = {}
    for row in rows:
        grouped.setdefault(normalize(row[0]), []).append(row)
    for group in grouped.values():
        text, lang, asked_at = group[-1]
        reply = answerer.answer(text, Asker())
        yield (None if reply.outcome in ANSWERED
               else Unanswered(text, lang, len(group), asked_at, reply.guess))


def report(results: Iterable[Unanswered | None]) -> tuple[list[Unanswered], int]:
    """What `unanswered` found: the questions still not answered, most asked first (then
    latest first), and how many the knowledge answers now."""
    results = list(results)
    questions = sorted((q for q in results if q is not None),
                       key=lambda q: (q.asked, q.last_asked), reverse=True)
    return questions, len(results) - len(questions)
