"""Compile the checked knowledge sources into the database, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from bot.kb.sources import Knowledge, read_sources
from bot.kb.store import get_meta, knowledge_version, set_meta
from bot.text.normalize import normalize

CURATED = "curated"


def now() -> str:
    """A UTC timestamp for the database."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_knowledge(db: sqlite_utils.Database, knowledge: Knowledge) -> dict[str, int]:
    """Replace the curated entries and summaries with `knowledge` in one transaction.

    Entries that came from elsewhere (imports, admin edits) are kept; so are users and the
    question log. Returns counts of what was written.
    """
    stamp = now()
    counts = {"entries": 0, "phrasings": 0, "facts": 0, "summaries": 0}
    with db.atomic():
        curated = [r[0] for r in db.execute("SELECT id FROM entries WHERE origin = ?", [CURATED])]
        for table in ("phrasings", "answers", "facts"):
            db.execute(
                f"DELETE FROM {table} WHERE entry_id IN "
                "(SELECT id FROM entries WHERE origin = ?)",
                [CURATED],
            )
        db.execute("DELETE FROM entries WHERE origin = ?", [CURATED])
        db.execute("DELETE FROM summaries")
        created = dict.fromkeys(curated, stamp)
        for entry in knowledge.entries:
            db["entries"].insert({
                "id": entry.id, "kind": entry.kind, "origin": CURATED, "source": entry.source,
                "active": 1, "created_at": created.get(entry.id, stamp), "updated_at": stamp,
            })
            counts["entries"] += 1
            phrasings = {}
            for lang, wording in entry.wordings.items():
                db["answers"].insert({"entry_id": entry.id, "lang": lang,
                                      "title": wording.title, "text": wording.answer})
                for text in (wording.title, *wording.phrasings):
                    key = normalize(text)
                    if key and (lang, key) not in phrasings:
                        phrasings[(lang, key)] = {"entry_id": entry.id, "lang": lang,
                                                  "text": text, "normalized": key,
                                                  "origin": CURATED}
            db["phrasings"].insert_all(phrasings.values())
            counts["phrasings"] += len(phrasings)
            if entry.fact:
                fact = entry.fact
                db["facts"].insert({
                    "entry_id": entry.id, "entity": fact.entity, "attribute": fact.attribute,
                    "value": fact.value, "unit": fact.unit, "currency": fact.currency,
                    "period": fact.period, "source": entry.source,
                })
                counts["facts"] += 1
        for summary in knowledge.summaries:
            for lang, text in summary.texts.items():
                db["summaries"].insert({"id": summary.id, "lang": lang, "text": text,
                                        "source": summary.source})
            counts["summaries"] += 1
        set_meta(db, "knowledge_version", knowledge_version(db))
        set_meta(db, "built_at", stamp)
    return counts


def build(db: sqlite_utils.Database, folder: Path | None = None) -> dict[str, int]:
    """Read the sources (raising SourceError before any write) and compile them."""
    return write_knowledge(db, read_sources(folder))


def ensure_built(db: sqlite_utils.Database) -> None:
    """Compile the embedded knowledge into a database that holds no knowledge at all.

    A database that was started by importing other data is left to that data.
    """
    if get_meta(db, "built_at") is None and not db["entries"].count:
        build(db)
