"""The matcher index is derived data: built once per knowledge version and kept in the database.

A restart with unchanged knowledge loads the stored index instead of learning it again.
When a few entries changed (an import of one intent, say), only those entries
are brought up to date; when many have changed since the last full build, or the stored
index is missing, the whole index is learned again.
"""

from __future__ import annotations

import io
import logging
import sqlite3
import time

import sqlite_utils

from bot.kb.build import now
from bot.kb.store import knowledge_version
from bot.matching.encoder import (
    Encoder,
    encoder_enabled,
    second_encoder,
    second_encoder_enabled,
    shared_encoder,
    terms_encoder,
)
from bot.matching.matcher import Matcher, PhrasingVectors, StaleIndex, by_entry, entry_digest
from bot.matching.vectors import EncodingProgress, phrasing_vectors

log = logging.getLogger(__name__)

# Entry-by-entry updates drift from what a full build would learn (the vocabulary and the
# other entries' classifiers stay as they were): rebuild once this share has changed.
MAX_CHANGED_SHARE = 0.1
MIN_CHANGED_ALLOWED = 3


def phrasing_pairs(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(entry_id, normalized phrasing) for every active entry, in a stable order."""
    return [
        (entry_id, normalized)
        for entry_id, normalized in db.execute(
            "SELECT p.entry_id, p.normalized FROM phrasings p JOIN entries e "
            "ON e.id = p.entry_id WHERE e.active ORDER BY p.id")
    ]


def _encoder() -> Encoder | None:
    """The sentence encoder indexes are learned with in this process, if any."""
    return shared_encoder() if encoder_enabled() else None


def _second_encoder() -> Encoder | None:
    """The second encoder indexes may be learned with in this process, if any."""
    return second_encoder() if second_encoder_enabled() else None


def _terms_encoder() -> Encoder | None:
    """The latent-terms reader indexes may be learned with in this process, if any (it
    runs on the second encoder's model)."""
    return terms_encoder() if second_encoder_enabled() else None


def _cached_vectors(db: sqlite_utils.Database,
                   progress: EncodingProgress | None = None) -> PhrasingVectors:
    """Phrasing vectors read from (and added to) the database's cache (see vectors.py), the
    encoding of new ones shown by `progress`."""
    return lambda encoder, texts: phrasing_vectors(db, encoder, texts, progress)


def _store(db: sqlite_utils.Database, matcher: Matcher, version: str, seconds: float,
           changed_entries: int) -> None:
    with db.atomic():
        db.execute("DELETE FROM matcher_index")
        db["matcher_index"].insert({"version": version, "built_at": now(),
                                    "seconds": round(seconds, 3),
                                    "changed_entries": changed_entries,
                                    "data": matcher.to_bytes()})


def build_index(db: sqlite_utils.Database, version: str | None = None,
                progress: EncodingProgress | None = None) -> Matcher:
    """Learn the matcher from every current phrasing and store it under the knowledge
    version; `progress` shows the encoding of phrasings not encoded before."""
    version = version or knowledge_version(db)
    started = time.perf_counter()
    encoder = _encoder()
    matcher = Matcher.fit(phrasing_pairs(db), encoder, _cached_vectors(db, progress),
                          _second_encoder(), _terms_encoder())
    seconds = time.perf_counter() - started
    _store(db, matcher, version, seconds, 0)
    log.info("matcher index built in %.1f s (knowledge version %s)", seconds, version)
    return matcher


class _BlobFile(io.RawIOBase):
    """A SQLite blob as a seekable file, to read the arrays from (see blob.py)."""

    def __init__(self, blob: sqlite3.Blob) -> None:
        self.blob = blob

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.blob.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.blob.seek(offset, whence)
        return self.blob.tell()

    def tell(self) -> int:
        return self.blob.tell()


def _read(db: sqlite_utils.Database, rowid: int, encoder: Encoder | None) -> Matcher:
    # Streamed from the database: the blob is never held in memory beside the arrays.
    with db.conn.blobopen("matcher_index", "data", rowid, readonly=True) as blob:
        return Matcher.from_bytes(io.BufferedReader(_BlobFile(blob), buffer_size=1 << 20),
                                  encoder.name if encoder else None)


def load_index(db: sqlite_utils.Database,
               progress: EncodingProgress | None = None) -> tuple[Matcher, str]:
    """The index for the current knowledge: stored, updated entry by entry, or rebuilt
    (`progress` shows the encoding of new phrasings)."""
    version = knowledge_version(db)
    encoder = _encoder()
    row = db.execute("SELECT version, changed_entries, rowid FROM matcher_index").fetchone()
    try:
        stored = _read(db, row[2], encoder) if row else None
    except (StaleIndex, ValueError, KeyError, OSError) as exc:
        log.warning("stored matcher index not usable (%s); rebuilding", exc)
        stored = None
    if stored and row[0] == version:
        return stored, version
    # An index of fewer than two entries has no classifier to extend: learn it afresh.
    if stored and stored.coef is not None:
        current = by_entry(phrasing_pairs(db))
        changed = {e: texts for e, texts in current.items()
                   if stored.digests.get(e) != entry_digest(texts)}
        changed.update({e: [] for e in stored.digests if e not in current})
        allowed = max(MIN_CHANGED_ALLOWED, int(MAX_CHANGED_SHARE * len(current)))
        if row[1] + len(changed) <= allowed and all(map(stored.reads, changed.values())):
            started = time.perf_counter()
            matcher = (stored.updated(changed, _cached_vectors(db, progress))
                       if changed else stored)
            seconds = time.perf_counter() - started
            _store(db, matcher, version, seconds, row[1] + len(changed))
            log.info("matcher index updated for %d entries in %.1f s", len(changed), seconds)
            return matcher, version
    return build_index(db, version, progress), version
