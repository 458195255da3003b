"""The SQLite knowledge base: connection settings and the schema, changed only by migrations.

Entries are what the bot can answer (kind `faq`, `fact` or `smalltalk`); phrasings are the
ways people ask for an entry; answers hold the reply text and the short title per language;
facts hold the numbers that answers quote. Users, questions and meta are the bot's own
runtime data and survive rebuilding the curated knowledge.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.text.normalize import NORMALIZE_VERSION, normalize

migrations = Migrations("faqbot")


@migrations()
def m001_knowledge(db: sqlite_utils.Database) -> None:
    """Entries, phrasings, answers, facts, summaries, users, questions and meta."""
    db["entries"].create(
        {"id": str, "kind": str, "origin": str, "source": str, "active": int,
         "created_at": str, "updated_at": str},
        pk="id",
        defaults={"active": 1, "origin": "curated"},
        not_null={"kind", "origin"},
    )
    db["phrasings"].create(
        {"id": int, "entry_id": str, "lang": str, "text": str, "normalized": str, "origin": str},
        pk="id",
        foreign_keys=[("entry_id", "entries", "id")],
        not_null={"entry_id", "lang", "text", "normalized"},
    )
    db["phrasings"].create_index(["entry_id", "lang", "normalized"], unique=True)
    db["answers"].create(
        {"entry_id": str, "lang": str, "title": str, "text": str},
        pk=("entry_id", "lang"),
        foreign_keys=[("entry_id", "entries", "id")],
    )
    db["facts"].create(
        {"entry_id": str, "entity": str, "attribute": str, "value": float, "unit": str,
         "currency": str, "period": str, "source": str},
        pk="entry_id",
        foreign_keys=[("entry_id", "entries", "id")],
    )
    db["summaries"].create(
        {"id": str, "lang": str, "text": str, "source": str}, pk=("id", "lang")
    )
    db["users"].create(
        {"id": int, "lang": str, "digits": str, "updated_at": str}, pk="id"
    )
    db["questions"].create(
        {"id": int, "asked_at": str, "chat_type": str, "lang": str, "text": str,
         "outcome": str, "entry_id": str, "score": float},
        pk="id",
    )
    db["questions"].create_index(["outcome"])
    db["meta"].create({"key": str, "value": str}, pk="key")


@migrations()
def m002_matcher_index(db: sqlite_utils.Database) -> None:
    """Derived data: the fitted matcher, keyed by the knowledge version it was built from."""
    db["matcher_index"].create(
        {"version": str, "built_at": str, "seconds": float, "changed_entries": int,
         "data": bytes},
        pk="version",
    )



@migrations()
def m003_phrasing_vectors(db: sqlite_utils.Database) -> None:
    """Derived data: sentence vectors of normalized phrasings, per encoder, so a rebuild
    encodes only the phrasings it has not seen."""
    db["phrasing_vectors"].create(
        {"encoder": str, "normalized": str, "vector": bytes},
        pk=("encoder", "normalized"),
    )


@migrations()
def m004_phrasings_by_normalized(db: sqlite_utils.Database) -> None:
    """Phrasings found by their normalized text, to encode each as it was written."""
    db["phrasings"].create_index(["normalized"])


@migrations()
def m005_phrasing_vectors_by_reading(db: sqlite_utils.Database) -> None:
    """Sentence vectors keyed by what the encoder read (a phrasing as written), not by the
    normalized phrasing: vectors of the old key are dropped and encoded again."""
    db["phrasing_vectors"].drop()
    db["phrasing_vectors"].create(
        {"encoder": str, "reading": str, "vector": bytes},
        pk=("encoder", "reading"),
    )


@migrations()
def m006_questions_by_day(db: sqlite_utils.Database) -> None:
    """Questions found by when they were asked: the admins' reports read the last days, and
    the bot forgets those older than it keeps (see people.forget_questions)."""
    db["questions"].create_index(["asked_at"])


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path` with the schema up to date.

    WAL lets the bot read while `faqbot kb` writes; the busy timeout makes a second
    writer wait instead of failing; foreign keys keep phrasings from outliving entries.
    A database of another program is refused (ForeignDatabase) before any of that is written.
    """
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    # One connection, used by one thread at a time: the bot's event loop, or the console's
    # bot thread after the main thread opened it.
    db = sqlite_utils.Database(sqlite3.connect(path, check_same_thread=False))
    _refuse_foreign(db)
    db.execute("PRAGMA busy_timeout = 5000")
    db.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        db.enable_wal()
    migrations.apply(db)
    renormalize(db)
    return db


class ForeignDatabase(sqlite3.DatabaseError):
    """A SQLite file of another program: faqbot writes nothing to it, not even its migrations
    table or WAL mode, which would change the file before its tables clashed with faqbot's."""

    def __init__(self, tables: list[str]) -> None:
        super().__init__(f"it has the table{'s' if len(tables) > 1 else ''} {_some(tables)}")
        self.tables = tables


def _refuse_foreign(db: sqlite_utils.Database) -> None:
    """Raise ForeignDatabase, having closed `db`, if it has tables but no faqbot migrations;
    an empty file, or one without tables, becomes a new faqbot database."""
    tables = sorted(db.table_names())
    if tables and not migrations.applied(db):
        db.close()
        raise ForeignDatabase(tables)


def _some(names: list[str], shown: int = 3) -> str:
    """`names` in a line ("a, b and c"): the first `shown`, then how many more."""
    if len(names) > shown:
        return f"{', '.join(names[:shown])} and {len(names) - shown} more"
    return " and ".join(filter(None, [", ".join(names[:-1]), names[-1]]))


def renormalize(db: sqlite_utils.Database) -> None:
    """Bring stored phrasings to the current normalize() if an older one wrote them.

    Variants that now normalize alike merge into the first of them.
    """
    if get_meta(db, "normalize_version") == str(NORMALIZE_VERSION):
        return
    with db.atomic():
        rows = db.execute("SELECT id, entry_id, lang, text, normalized, origin FROM phrasings "
                          "ORDER BY id").fetchall()
        kept, seen = [], set()
        for phrasing_id, entry_id, lang, text, _, origin in rows:
            key = (entry_id, lang, normalize(text))
            if key[2] and key not in seen:
                seen.add(key)
                kept.append({"id": phrasing_id, "entry_id": entry_id, "lang": lang,
                             "text": text, "normalized": key[2], "origin": origin})
        if rows:
            db.execute("DELETE FROM phrasings")
            db["phrasings"].insert_all(kept)
        set_meta(db, "normalize_version", str(NORMALIZE_VERSION))


def get_meta(db: sqlite_utils.Database, key: str) -> str | None:
    """A value from the meta table, or None."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    """Store a value in the meta table."""
    db["meta"].upsert({"key": key, "value": value}, pk="key")


def knowledge_version(db: sqlite_utils.Database) -> str:
    """A digest of every active entry, phrasing, answer and fact: changes whenever they do.

    Derived data (the matching index) is keyed by it, so it is rebuilt only when stale.
    """
    digest = hashlib.sha256()
    queries = (
        "SELECT id, kind FROM entries WHERE active ORDER BY id",
        "SELECT p.entry_id, p.lang, p.normalized FROM phrasings p JOIN entries e "
        "ON e.id = p.entry_id WHERE e.active ORDER BY p.entry_id, p.lang, p.normalized",
        "SELECT entry_id, lang, title, text FROM answers ORDER BY entry_id, lang",
        "SELECT entry_id, value, unit, currency FROM facts ORDER BY entry_id",
    )
    for sql in queries:
        for row in db.execute(sql):
            digest.update(repr(row).encode())
    return digest.hexdigest()[:16]
