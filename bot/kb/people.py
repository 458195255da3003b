"""What users chose (reply language, digits) and what they asked."""

from __future__ import annotations

import sqlite_utils

from bot.kb.build import now


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
