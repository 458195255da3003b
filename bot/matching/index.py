"""The matcher index is derived data: built once per knowledge version and kept in the database.

A restart with unchanged knowledge loads the stored index instead of learning it again;
any change to entries, phrasings or answers changes the knowledge version, and the next
load rebuilds it.
"""

from __future__ import annotations

import logging
import time

import sqlite_utils

from bot.kb.build import now
from bot.kb.store import knowledge_version
from bot.matching.matcher import Matcher

log = logging.getLogger(__name__)


def phrasing_pairs(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(entry_id, normalized phrasing) for every active entry, in a stable order."""
    return [
        (entry_id, normalized)
        for entry_id, normalized in db.execute(
            "SELECT p.entry_id, p.normalized FROM phrasings p JOIN entries e "
            "ON e.id = p.entry_id WHERE e.active ORDER BY p.id")
    ]


def build_index(db: sqlite_utils.Database, version: str | None = None) -> Matcher:
    """Fit the matcher on the current phrasings and store it under the knowledge version."""
    version = version or knowledge_version(db)
    started = time.perf_counter()
    matcher = Matcher.fit(phrasing_pairs(db))
    seconds = time.perf_counter() - started
    with db.atomic():
        db.execute("DELETE FROM matcher_index")
        db["matcher_index"].insert({"version": version, "built_at": now(),
                                    "seconds": round(seconds, 3), "data": matcher.to_bytes()})
    log.info("matcher index built in %.1f s (knowledge version %s)", seconds, version)
    return matcher


def load_index(db: sqlite_utils.Database) -> tuple[Matcher, str]:
    """The stored index if it matches the knowledge, else a freshly built one."""
    version = knowledge_version(db)
    row = db.execute("SELECT data FROM matcher_index WHERE version = ?", [version]).fetchone()
    if row:
        return Matcher.from_bytes(row[0]), version
    return build_index(db, version), version
