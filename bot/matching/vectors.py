"""Sentence vectors of phrasings, cached in the database.

Encoding is the slow part of learning an index with an encoder (about a millisecond a
phrasing, 18 ms with the second one), and phrasings rarely change: each normalized phrasing
is encoded once per encoder and kept, in half precision, in `phrasing_vectors`, keyed by
what the encoder read: the phrasing as written (see encoder.sentence_text), so a new
spelling is encoded anew. Phrasings that normalize alike share the vector of the first active one.

New phrasings are encoded and stored ENCODE_CHUNK at a time: an import of tens of thousands
takes minutes with the second encoder, and a build stopped halfway keeps what it encoded;
`progress` shows how far it is (see EncodingProgress).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

import numpy as np
import sqlite_utils

from bot.matching.encoder import Encoder, sentence_text

LOOKUP_CHUNK = 500  # SQLite's bound-parameter limit is far above this
ENCODE_CHUNK = 256  # about 4 s of the second encoder


class EncodingProgress(Protocol):
    """Shows the encoding of `total` phrasings by the encoder `name`: the context it returns
    is told each time how many more are done."""

    def __call__(self, name: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
        ...


def phrasing_vectors(db: sqlite_utils.Database, encoder: Encoder, texts: Sequence[str],
                     progress: EncodingProgress | None = None) -> np.ndarray:
    """The vectors of normalized `texts`, one row each: each is encoded as the encoder reads
    its stored phrasing as written; readings already encoded are read from the cache, the
    rest encoded and stored, a chunk at a time, shown by `progress`."""
    written = _written(db, list(dict.fromkeys(texts)))
    readings = {text: sentence_text(written.get(text, text)) for text in texts}
    wanted = list(dict.fromkeys(readings.values()))
    known: dict[str, np.ndarray] = {}
    for reading, blob in _rows_in(
            db, "SELECT reading, vector FROM phrasing_vectors "
                "WHERE encoder = ? AND reading IN ({marks})", wanted, [encoder.name]):
        vector = np.frombuffer(blob, dtype=np.float16)
        if vector.shape == (encoder.dimensions,):
            known[reading] = vector.astype(np.float32)
    missing = [reading for reading in wanted if reading not in known]
    if missing:
        known.update(_encode_and_store(db, encoder, missing, progress))
    if not texts:
        return np.zeros((0, encoder.dimensions), dtype=np.float32)
    return np.vstack([known[readings[text]] for text in texts])


def _encode_and_store(db: sqlite_utils.Database, encoder: Encoder, readings: Sequence[str],
                      progress: EncodingProgress | None) -> dict[str, np.ndarray]:
    """The vector of each of `readings`, encoded and stored ENCODE_CHUNK at a time."""
    vectors: dict[str, np.ndarray] = {}
    with (progress(encoder.name, len(readings)) if progress
          else nullcontext(lambda count: None)) as done:
        for start in range(0, len(readings), ENCODE_CHUNK):
            chunk = readings[start:start + ENCODE_CHUNK]
            # Rounded as stored: a build and a later rebuild learn from the same numbers.
            encoded = encoder.encode(chunk).astype(np.float16)
            with db.atomic():
                db["phrasing_vectors"].upsert_all(
                    ({"encoder": encoder.name, "reading": reading, "vector": vector.tobytes()}
                     for reading, vector in zip(chunk, encoded, strict=True)),
                    pk=("encoder", "reading"))
            vectors.update(zip(chunk, encoded.astype(np.float32), strict=True))
            done(len(chunk))
    return vectors


def _written(db: sqlite_utils.Database, normalized: Sequence[str]) -> dict[str, str]:
    """The first phrasing of an active entry, as written, of each normalized text that has
    one (an inactive entry's when no active one has it)."""
    written: dict[str, str] = {}
    for key, text in _rows_in(
            db, "SELECT p.normalized, p.text FROM phrasings p JOIN entries e "
                "ON e.id = p.entry_id WHERE p.normalized IN ({marks}) "
                "ORDER BY e.active, p.id DESC", normalized):
        written[key] = text  # the wanted one is read last and stays
    return written


def _rows_in(db: sqlite_utils.Database, query: str, values: Sequence[str],
             before: Sequence[str] = ()) -> Iterator[tuple]:
    """The rows of `query` for every value of `values`, asked LOOKUP_CHUNK at a time in
    place of its `{marks}` (after the `before` parameters)."""
    for start in range(0, len(values), LOOKUP_CHUNK):
        chunk = values[start:start + LOOKUP_CHUNK]
        yield from db.execute(query.format(marks=",".join("?" * len(chunk))), [*before, *chunk])
