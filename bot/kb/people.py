"""What users chose (reply language, digits) and what they asked."""

from __future__ import annotations

import sqlite_utils

from bot.kb.build import days_ago, now


def user_settings(db: sqlite_utils.Database, user_id: int) -> tuple[str | None, str | None]:
    """The (language, digits) a user chose, None where they have not chosen."""
    row = db.execute("SELECT lang, digits FROM users WHERE id = ?", [user_id]).fetchone()
    return (row[0], row[1]) if row else (None, None)


def choose(db: sqlite_utils.Database, user_id: int, **choice: str | None) -> None:
    """Remember a user's choice of `lang` or `digits` (None forgets it)."""
    db["users"].upsert({"id": user_id, **choice, "updated_at": now()}, pk="id")


def record_question(db: sqlite_utils.Database, *, text: str, lang: str, chat_type: str,
                    outcome: str, entry_id: str | None, score: float) -> None:
    """Log a question with what the bot did (its text, language, outcome, entry and
    score), so that what the bot could not answer can be read back from the database."""
    db["questions"].insert({
        "asked_at": now(), "chat_type": chat_type, "lang": lang, "text": text[:4096],
        "outcome": outcome, "entry_id": entry_id, "score": round(score, 4),
    })


def forget_questions(db: sqlite_utils.Database, days: int) -> int:
    """Delete the questions asked more than `days` days ago; how many were deleted. The log
    is there to show admins what the bot could not answer lately, not to keep what people
    typed for ever (see FAQBOT_KEEP_QUESTIONS_DAYS)."""
    with db.atomic():
        return db.execute("DELETE FROM questions WHERE asked_at < ?",
                          [days_ago(days)]).rowcount
