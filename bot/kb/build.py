"""Compile the checked knowledge sources into the database, all or nothing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from bot.kb.sources import (
    SOURCE_FILES,
    Knowledge,
    Problem,
    SourceError,
    default_sources,
    read_sources,
)
from bot.kb.store import get_meta, knowledge_version, set_meta
from bot.matching.thresholds import save_thresholds
from bot.text.normalize import normalize

CURATED = "curated"


def now() -> str:
    """A UTC timestamp for the database."""
    return datetime.now(UTC).isoformat(timespec="seconds")


MAX_DAYS = 36_525  # a century: further back than any log, and a date Python can reach


def days_ago(days: int) -> str:
    """The database's timestamp of this moment `days` days ago."""
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


def write_knowledge(db: sqlite_utils.Database, knowledge: Knowledge) -> dict[str, int]:
    """Replace the curated entries and summaries with `knowledge` in one transaction.

    Entries that came from elsewhere (`faqbot kb import`) are kept; so are users and the
    question log. Returns counts of what was written.
    """
    stamp = now()
    counts = {"entries": 0, "phrasings": 0, "facts": 0, "summaries": 0}
    wanted = {entry.id for entry in knowledge.entries}
    with db.atomic():
        existing = {row[0]: row[1:] for row in db.execute(
            "SELECT id, origin, created_at FROM entries")}
        taken = sorted(e for e in wanted if e in existing and existing[e][0] != CURATED)
        if taken:
            raise SourceError([Problem("knowledge", 0, "id", f"{e!r} is already an entry "
                                       f"added by {existing[e][0]}; rename one of them")
                               for e in taken])
        # Curated rows are replaced; phrasings others added to curated entries stay.
        for table in ("answers", "facts"):
            db.execute(f"DELETE FROM {table} WHERE entry_id IN "
                       "(SELECT id FROM entries WHERE origin = ?)", [CURATED])
        db.execute("DELETE FROM phrasings WHERE origin = ?", [CURATED])
        dropped = [e for e, (origin, _) in existing.items()
                   if origin == CURATED and e not in wanted]
        for entry_id in dropped:
            db.execute("DELETE FROM phrasings WHERE entry_id = ?", [entry_id])
            db.execute("DELETE FROM entries WHERE id = ?", [entry_id])
        db.execute("DELETE FROM summaries")
        for entry in knowledge.entries:
            created = existing[entry.id][1] if entry.id in existing else stamp
            db["entries"].upsert({
                "id": entry.id, "kind": entry.kind, "origin": CURATED, "source": entry.source,
                "active": 1, "created_at": created, "updated_at": stamp,
            }, pk="id")
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
            db["phrasings"].insert_all(phrasings.values(), ignore=True)
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


def sources_digest(folder: Path) -> str:
    """A fingerprint of the YAML sources in `folder`."""
    digest = hashlib.sha256()
    for name in SOURCE_FILES:
        path = folder / name
        digest.update(name.encode() + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()[:16]


def build(db: sqlite_utils.Database, folder: Path | None = None) -> dict[str, int]:
    """Read the sources (raising SourceError before any write) and compile them, with the
    thresholds they ship, if any."""
    knowledge = read_sources(folder)
    counts = write_knowledge(db, knowledge)
    if knowledge.thresholds is not None:
        save_thresholds(db, knowledge.thresholds, shipped=True)
    set_meta(db, "sources", "embedded" if folder is None else str(folder))
    set_meta(db, "sources_digest", sources_digest(folder or default_sources()))
    return counts


def ensure_built(db: sqlite_utils.Database) -> None:
    """Compile the embedded knowledge into a database that holds no knowledge at all.

    A database that was started by importing other data is left to that data; one built
    from the embedded knowledge follows it when an upgrade ships a new version of it.
    """
    never_built = get_meta(db, "built_at") is None
    if never_built and not db["entries"].count:
        build(db)
    elif (get_meta(db, "sources") == "embedded"
          and get_meta(db, "sources_digest") != sources_digest(default_sources())):
        build(db)  # a new version of the bot ships new knowledge
