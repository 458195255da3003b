"""Sentence vectors of phrasings, cached in the database.

Encoding is the slow part of learning an index with the encoder (about a millisecond a
phrasing), and phrasings rarely change: each normalized phrasing is encoded once per
encoder and kept, in half precision, in `phrasing_vectors`. The encoder reads the phrasing
as it was written (see encoder.sentence_text); phrasings that normalize alike share the
vector of the first one stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sqlite_utils

from bot.matching.encoder import DIMENSIONS, Encoder, sentence_text

LOOKUP_CHUNK = 500  # SQLite's bound-parameter limit is far above this


def phrasing_vectors(db: sqlite_utils.Database, encoder: Encoder,
                     texts: Sequence[str]) -> np.ndarray:
    """The vectors of normalized `texts`, one row each: cached ones read, the rest encoded
    and stored."""
    wanted = list(dict.fromkeys(texts))
    known: dict[str, np.ndarray] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start:start + LOOKUP_CHUNK]
        marks = ",".join("?" * len(chunk))
        for text, blob in db.execute(
                f"SELECT normalized, vector FROM phrasing_vectors "
                f"WHERE encoder = ? AND normalized IN ({marks})", [encoder.name, *chunk]):
            vector = np.frombuffer(blob, dtype=np.float16)
            if vector.shape == (DIMENSIONS,):
                known[text] = vector.astype(np.float32)
    missing = [text for text in wanted if text not in known]
    if missing:
        written = _written(db, missing)
        # Rounded as stored, so that a build and a later rebuild learn from the same numbers.
        encoded = encoder.encode([sentence_text(written.get(text, text))
                                  for text in missing]).astype(np.float16)
        with db.atomic():
            db["phrasing_vectors"].upsert_all(
                ({"encoder": encoder.name, "normalized": text, "vector": vector.tobytes()}
                 for text, vector in zip(missing, encoded, strict=True)),
                pk=("encoder", "normalized"))
        known.update(zip(missing, encoded.astype(np.float32), strict=True))
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.vstack([known[text] for text in texts])


def _written(db: sqlite_utils.Database, normalized: Sequence[str]) -> dict[str, str]:
    """The first stored phrasing, as written, of each normalized text that has one."""
    written: dict[str, str] = {}
    for start in range(0, len(normalized), LOOKUP_CHUNK):
        chunk = normalized[start:start + LOOKUP_CHUNK]
        marks = ",".join("?" * len(chunk))
        for key, text in db.execute(
                f"SELECT normalized, text FROM phrasings WHERE normalized IN ({marks}) "
                f"ORDER BY id DESC", chunk):
            written[key] = text  # the lowest id is read last and stays
    return written
