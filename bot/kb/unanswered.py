"""What people asked that the bot could not answer: the question log read back for admins,
so that they can add the missing phrasing or entry.

A question counts while the knowledge still does not answer it: each distinct question
(the same after normalization: case, diacritics, Arabic letter variants, spacing) is asked
again of the current knowledge, and one it now answers is left out, so that a fix shows at
once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import sqlite_utils

from bot.answering import ANSWERED, Answerer, Asker, Outcome
from bot.kb.build import days_ago
from bot.text.normalize import normalize

# What the bot did with a question it could not answer: declined it, only offered "did you
# mean" choices, or found an entry with no answer written.
NOT_ANSWERED = (Outcome.FALLBACK.value, Outcome.SUGGEST.value, Outcome.UNWRITTEN.value)


@dataclass(frozen=True)
class Unanswered:
    """One question as people asked it (`text`: its latest wording), how often and when
    last (UTC, ISO 8601), and the entry the current knowledge finds likeliest (None if
    none, or not asked again yet)."""

    text: str
    lang: str
    asked: int
    last_asked: str
    guess: str | None = None


def logged(db: sqlite_utils.Database, days: int) -> list[Unanswered]:
    """Each distinct question of the last `days` days the bot did not answer, as logged."""
    rows = db.execute(
        "SELECT text, lang, asked_at FROM questions "
        f"WHERE outcome IN ({', '.join('?' * len(NOT_ANSWERED))}) AND asked_at >= ? "
        "ORDER BY asked_at, id", [*NOT_ANSWERED, days_ago(days)]).fetchall()
    grouped: dict[str, list[tuple[str, str, str]]] = {}
    for row in rows:
        grouped.setdefault(normalize(row[0]), []).append(row)
    questions = []
    for group in grouped.values():
        text, lang, asked_at = group[-1]
        questions.append(Unanswered(text, lang, len(group), asked_at))
    return questions


def still_unanswered(answerer: Answerer, question: Unanswered) -> Unanswered | None:
    """`question` with the entry the current knowledge finds closest, or None if the
    knowledge answers it now. Tens of milliseconds where the sentence encoders read it:
    asked one at a time, so that a bot can let other updates through between two, and a
    terminal can show how far it is (see tg/handlers/admin.py, cli.py)."""
    reply = answerer.answer(question.text, Asker())
    return None if reply.outcome in ANSWERED else replace(question, guess=reply.guess)


def report(results: Iterable[Unanswered | None]) -> tuple[list[Unanswered], int]:
    """What still_unanswered found: the questions still not answered, most asked first
    (then latest first), and how many the knowledge answers now."""
    results = list(results)
    questions = sorted((q for q in results if q is not None),
                       key=lambda q: (q.asked, q.last_asked), reverse=True)
    return questions, len(results) - len(questions)
