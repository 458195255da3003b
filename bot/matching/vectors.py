"""Sentence vectors of phrasings, cached in the database.

Encoding is the slow part of learning an index with an encoder (about a millisecond a
phrasing, 18 ms with the second one), and phrasings rarely change: each normalized phrasing
is encoded once per encoder and kept, in half precision, in `phrasing_vectors`, keyed by
what the encoder read: the phrasing as written (see encoder.sentence_text), so a new
spelling is encoded anew. Phrasings that normalize alike share the vector of the first active one.
A sparse encoder's vector (see encoder.TERMS_NAME) is kept as its non-zero dimensions,
16-bit, then their values in half precision.

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
from scipy import sparse

from bot.matching.encoder import Encoder, Vectors, sentence_text

LOOKUP_CHUNK = 500  # SQLite's bound-parameter limit is far above this
ENCODE_CHUNK = 256  # about 4 s of the second encoder


class EncodingProgress(Protocol):
    """Shows the encoding of `total` phrasings by the encoder `name`: the context it returns
    is told each time how many more are done."""

    def __call__(self, name: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
        ...


def phrasing_vectors(db: sqlite_utils.Database, encoder: Encoder, texts: Sequence[str],
                     progress: EncodingProgress | None = None) -> Vectors:
    """The vectors of normalized `texts`, one row each: each is encoded as the encoder reads
    its stored phrasing as written; readings already encoded are read from the cache, the
    rest encoded and stored, a chunk at a time, shown by `progress`."""
    written = _written(db, list(dict.fromkeys(texts)))
    readings = {text: sentence_text(written.get(text, text)) for text in texts}
    wanted = list(dict.fromkeys(readings.values()))
    known: dict[str, Vectors] = {}
    for reading, blob in _rows_in(
            db, "SELECT reading, vector FROM phrasing_vectors "
                "WHERE encoder = ? AND reading IN ({marks})", wanted, [encoder.name]):
        vector = _from_blob(encoder, blob)
        if vector is not None:
            known[reading] = vector
    missing = [reading for reading in wanted if reading not in known]
    if missing:
        known.update(_encode_and_store(db, encoder, missing, progress))
    rows = [known[readings[text]] for text in texts]
    if encoder.sparse:
        return sparse.vstack(rows or [sparse.csr_matrix((0, encoder.dimensions))],
                             format="csr", dtype=np.float32)
    if not texts:
        return np.zeros((0, encoder.dimensions), dtype=np.float32)
    return np.vstack(rows)


def _encode_and_store(db: sqlite_utils.Database, encoder: Encoder, readings: Sequence[str],
                      progress: EncodingProgress | None) -> dict[str, Vectors]:
    """The vector of each of `readings`, encoded and stored ENCODE_CHUNK at a time."""
    vectors: dict[str, Vectors] = {}
    with (progress(encoder.name, len(readings)) if progress
          else nullcontext(lambda count: None)) as done:
        for start in range(0, len(readings), ENCODE_CHUNK):
            chunk = readings[start:start + ENCODE_CHUNK]
            encoded = encoder.encode(chunk)
            blobs = [_to_blob(encoder, encoded[i]) for i in range(len(chunk))]
            with db.atomic():
                db["phrasing_vectors"].upsert_all(
                    ({"encoder": encoder.name, "reading": reading, "vector": blob}
                     for reading, blob in zip(chunk, blobs, strict=True)),
                    pk=("encoder", "reading"))
            # Read back as stored: a build and a later rebuild learn from the same numbers.
            vectors.update((reading, _from_blob(encoder, blob))
                           for reading, blob in zip(chunk, blobs, strict=True))
            done(len(chunk))
    return vectors


def _to_blob(encoder: Encoder, vector: Vectors) -> bytes:
    """One vector as stored: in half precision, a sparse one as its non-zero dimensions
    (16-bit) and then their values."""
    if not encoder.sparse:
        return vector.astype(np.float16).tobytes()
    return (vector.indices.astype(np.uint16).tobytes()
            + vector.data.astype(np.float16).tobytes())


def _from_blob(encoder: Encoder, blob: bytes) -> Vectors | None:
    """A stored vector as the encoder gives it (a one-row matrix if sparse), or None if it
    was stored for other dimensions."""
    if not encoder.sparse:
        vector = np.frombuffer(blob, dtype=np.float16)
        return vector.astype(np.float32) if vector.shape == (encoder.dimensions,) else None
    count = len(blob) // 4
    indices = np.frombuffer(blob, dtype=np.uint16, count=count)
    if len(blob) != 4 * count or (count and indices.max() >= encoder.dimensions):
        return None
    values = np.frombuffer(blob, dtype=np.float16, offset=2 * count).astype(np.float32)
    return sparse.csr_matrix((values, indices.astype(np.int32), [0, count]),
                             shape=(1, encoder.dimensions))


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
