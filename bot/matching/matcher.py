"""Scores a question against every entry and says how sure it is.

Three kinds of evidence, all over the same normalized text:
- a linear SVM per entry on TF-IDF character n-grams (robust to typos, clitics and dialect
  spellings) and word n-grams, learned from the knowledge base's own phrasings: it weighs
  what distinguishes one entry from the others (see classifier.py);
- the cosine similarity of the question with each phrasing, the best one per entry: close
  paraphrases of a stored phrasing win even when the classifier hesitates;
- coverage: how much of the question the knowledge base's vocabulary knows (see
  vocabulary.py), relative to how much it typically knows of an unseen in-scope question.

confidence = (probability + best cosine) / 2 × min(1, coverage / typical coverage)², in
[0, 1]. Squaring lets one unknown content word weigh: measured on BANKING77, it declines
90% of non-banking questions for under one point of in-scope accuracy.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.matching.classifier import Calibration, calibrate, fit_one_svm, fit_svms, softmax
from bot.matching.vocabulary import Vocabulary

CHAR_WEIGHT = 0.6
WORD_WEIGHT = 0.4
LARGE_KB = 2000
# Everything a stored index depends on besides the knowledge itself: a change here makes
# older stored indexes stale instead of silently misread.
INDEX_FORMAT = f"5 feature-major char_wb2-5 word1-2 {CHAR_WEIGHT}/{WORD_WEIGHT}"


class StaleIndex(ValueError):
    """A stored index this version of the code cannot use; it must be rebuilt."""


@dataclass(frozen=True)
class Candidate:
    """An entry the question may be asking for, with a confidence in [0, 1]."""

    entry_id: str
    score: float


def _char_vectorizer(min_df: int = 1) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                           dtype=np.float32, min_df=min_df)


def _word_vectorizer(min_df: int = 1) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b",
                           sublinear_tf=True, dtype=np.float32, min_df=min_df)


def _restore(vectorizer: TfidfVectorizer, terms: list[str], idf: np.ndarray) -> TfidfVectorizer:
    vectorizer.vocabulary_ = {term: i for i, term in enumerate(terms)}
    vectorizer.idf_ = idf
    return vectorizer


def _terms(vectorizer: TfidfVectorizer) -> list[str]:
    vocabulary = getattr(vectorizer, "vocabulary_", {})  # none in an empty knowledge base
    return sorted(vocabulary, key=vocabulary.get)


def _idf(vectorizer: TfidfVectorizer) -> np.ndarray:
    return vectorizer.idf_ if hasattr(vectorizer, "vocabulary_") else np.zeros(0, np.float32)


def entry_digest(texts: Sequence[str]) -> str:
    """A fingerprint of one entry's phrasings, to tell which entries changed since a build."""
    return hashlib.blake2s("\n".join(sorted(texts)).encode(), digest_size=8).hexdigest()


def by_entry(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """(entry_id, text) pairs grouped per entry, in order."""
    grouped: dict[str, list[str]] = {}
    for entry_id, text in pairs:
        grouped.setdefault(entry_id, []).append(text)
    return grouped


def _digests(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    return {entry_id: entry_digest(texts) for entry_id, texts in by_entry(pairs).items()}


class Matcher:
    """A fitted index over the phrasings of a knowledge base."""

    def __init__(self, *, entry_ids: list[str], chars: TfidfVectorizer, words: TfidfVectorizer,
                 phrasings: sparse.csr_matrix, owners: np.ndarray, coef: np.ndarray | None,
                 intercept: np.ndarray | None, vocabulary: Vocabulary,
                 calibration: Calibration, digests: dict[str, str]) -> None:
        self.entry_ids = entry_ids
        self.chars = chars
        self.words = words
        # Stored by feature: a question's few n-grams then touch only the phrasings that
        # share them (0.4 ms for 30,000 phrasings, against 40 ms row by row).
        self.by_feature = phrasings.T.tocsr()
        self.owners = owners
        self.coef = coef
        self.intercept = intercept
        self.vocabulary = vocabulary
        self.calibration = calibration
        self.digests = digests
        # Each entry's phrasings are consecutive rows, so a question's best match per entry
        # is one reduceat over these starts.
        if len(owners) and np.any(np.diff(owners) < 0):
            raise ValueError("phrasing rows must be grouped by entry")
        self._starts = np.searchsorted(owners, np.arange(len(entry_ids)))

    @classmethod
    def fit(cls, pairs: Sequence[tuple[str, str]]) -> Matcher:
        """Learn from (entry_id, normalized phrasing) pairs."""
        entry_ids = sorted({entry_id for entry_id, _ in pairs})
        position = {entry_id: i for i, entry_id in enumerate(entry_ids)}
        pairs = sorted(pairs, key=lambda pair: position[pair[0]])
        texts = [text for _, text in pairs]
        owners = np.array([position[entry_id] for entry_id, _ in pairs], dtype=np.int32)
        # In a large knowledge base an n-gram seen once is noise that only costs memory; in a
        # small one it may be all an entry has.
        min_df = 2 if len(texts) >= LARGE_KB else 1
        chars, words = _char_vectorizer(min_df), _word_vectorizer(min_df)
        if not texts:
            return cls(entry_ids=[], chars=chars, words=words,
                       phrasings=sparse.csr_matrix((0, 0), dtype=np.float32), owners=owners,
                       coef=None, intercept=None, vocabulary=Vocabulary({}),
                       calibration=Calibration(), digests={})
        matrix = cls._stack(chars.fit_transform(texts), words.fit_transform(texts))
        coef = intercept = None
        calibration = Calibration()
        if len(entry_ids) > 1:
            calibration = calibrate(matrix, owners, texts)
            coef, intercept = fit_svms(matrix, owners)
        return cls(entry_ids=entry_ids, chars=chars, words=words, phrasings=matrix,
                   owners=owners, coef=coef, intercept=intercept,
                   vocabulary=Vocabulary.fit(texts), calibration=calibration,
                   digests=_digests(pairs))

    def updated(self, changed: dict[str, list[str]]) -> Matcher:
        """A copy with some entries' phrasings replaced (an empty list removes the entry).

        Only what those entries touch is recomputed: their rows of the phrasing matrix, and
        for each one its own one-against-the-rest SVM, learned against every current
        phrasing. The n-gram vocabulary, the other entries' SVMs and the calibration stay as
        they were, so a full rebuild is still due once many entries have changed.
        """
        gone = {self.entry_ids.index(e) for e in changed if e in self.digests}
        kept = [i for i in range(len(self.entry_ids)) if i not in gone]
        renumber = np.full(len(self.entry_ids), -1, dtype=np.int32)
        renumber[kept] = np.arange(len(kept), dtype=np.int32)
        rows = np.flatnonzero(renumber[self.owners] >= 0)
        entry_ids = [self.entry_ids[i] for i in kept]
        blocks, owners = [self.by_feature.T.tocsr()[rows]], [renumber[self.owners[rows]]]
        added = [(entry_id, texts) for entry_id, texts in changed.items() if texts]
        for entry_id, texts in added:
            entry_ids.append(entry_id)
            blocks.append(self.vectors(texts))
            owners.append(np.full(len(texts), len(entry_ids) - 1, dtype=np.int32))
        matrix = sparse.vstack(blocks, format="csr").astype(np.float32)
        owner = np.concatenate(owners)
        coef = self.coef[kept] if self.coef is not None else None
        intercept = self.intercept[kept] if self.intercept is not None else None
        if added and coef is not None:
            fitted = [fit_one_svm(matrix, owner == entry_ids.index(e)) for e, _ in added]
            coef = np.vstack([coef, *[weights for weights, _ in fitted]])
            intercept = np.concatenate([intercept, [bias for _, bias in fitted]])
            intercept = intercept.astype(np.float32)
        digests = {e: d for e, d in self.digests.items() if e not in changed}
        digests.update({e: entry_digest(texts) for e, texts in added})
        vocabulary = self.vocabulary.with_words(
            word for _, texts in added for text in texts for word in text.split())
        return Matcher(entry_ids=entry_ids, chars=self.chars, words=self.words,
                       phrasings=matrix, owners=owner, coef=coef, intercept=intercept,
                       vocabulary=vocabulary, calibration=self.calibration, digests=digests)

    @staticmethod
    def _stack(chars: sparse.spmatrix, words: sparse.spmatrix) -> sparse.csr_matrix:
        # Rows stay unit length: each view is unit length, weighted by sqrt of its share.
        return sparse.hstack(
            [chars * np.sqrt(CHAR_WEIGHT), words * np.sqrt(WORD_WEIGHT)], format="csr"
        ).astype(np.float32)

    def vectors(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """TF-IDF vectors of normalized texts."""
        return self._stack(self.chars.transform(texts), self.words.transform(texts))

    def coverage(self, normalized: str) -> float:
        """Coverage of the question relative to a typical in-scope question, in [0, 1]."""
        typical = max(self.calibration.typical_coverage, 1e-6)
        return min(1.0, self.vocabulary.coverage(normalized) / typical)

    def probabilities(self, vectors: sparse.csr_matrix) -> np.ndarray:
        """The classifier's probability of each entry, one row per question."""
        if self.coef is None:
            return np.ones((vectors.shape[0], len(self.entry_ids)), dtype=np.float32)
        return softmax((vectors @ self.coef.T + self.intercept) * self.calibration.temperature)

    def similarities(self, vectors: sparse.csr_matrix) -> np.ndarray:
        """The best cosine similarity with each entry's phrasings, one row per question."""
        sims = (vectors @ self.by_feature).toarray()
        return np.maximum.reduceat(sims, self._starts, axis=1)

    def rank(self, normalized: str, limit: int = 5) -> list[Candidate]:
        """The best entries for a normalized question, most likely first."""
        return self.rank_many([normalized], limit)[0]

    def rank_many(self, questions: Sequence[str], limit: int = 5) -> list[list[Candidate]]:
        """rank() for many questions at once (one matrix product for all of them)."""
        if not self.entry_ids:
            return [[] for _ in questions]
        vectors = self.vectors(questions)
        scores = (self.probabilities(vectors) + self.similarities(vectors)) / 2
        ranked = []
        for row, question in enumerate(questions):
            weight = self.coverage(question) ** 2
            top = np.argsort(-scores[row])[:limit]
            ranked.append([Candidate(self.entry_ids[i], float(scores[row, i] * weight))
                           for i in top if scores[row, i] * weight > 0])
        return ranked

    def to_bytes(self) -> bytes:
        """The fitted index as one blob (numpy arrays, no pickle) for the database."""
        meta = {"format": INDEX_FORMAT, "entry_ids": self.entry_ids, "digests": self.digests,
                "chars": _terms(self.chars), "words": _terms(self.words),
                "word_idf": self.vocabulary.idf,
                "temperature": self.calibration.temperature,
                "typical_coverage": self.calibration.typical_coverage}
        arrays = {"meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8),
                  "char_idf": _idf(self.chars), "word_view_idf": _idf(self.words),
                  "data": self.by_feature.data, "indices": self.by_feature.indices,
                  "indptr": self.by_feature.indptr,
                  "shape": np.array(self.by_feature.shape), "owners": self.owners}
        if self.coef is not None:
            # Half precision halves the blob; the scores it gives are the same to 3 decimals.
            arrays.update(coef=self.coef.astype(np.float16), intercept=self.intercept)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes | BinaryIO) -> Matcher:
        """An index saved by to_bytes() (the bytes, or a file to read them from); StaleIndex
        if an older version of the code saved it."""
        arrays = np.load(io.BytesIO(blob) if isinstance(blob, bytes) else blob,
                         allow_pickle=False)
        meta = json.loads(arrays["meta"].tobytes().decode())
        if meta.get("format") != INDEX_FORMAT:
            raise StaleIndex(f"index format {meta.get('format')}, this code reads {INDEX_FORMAT}")
        return cls(
            entry_ids=meta["entry_ids"],
            chars=_restore(_char_vectorizer(), meta["chars"], arrays["char_idf"]),
            words=_restore(_word_vectorizer(), meta["words"], arrays["word_view_idf"]),
            phrasings=sparse.csr_matrix(
                (arrays["data"], arrays["indices"], arrays["indptr"]),
                shape=tuple(arrays["shape"])).T,
            owners=arrays["owners"],
            coef=arrays["coef"].astype(np.float32) if "coef" in arrays else None,
            intercept=arrays.get("intercept", None),
            vocabulary=Vocabulary(meta["word_idf"]),
            calibration=Calibration(meta["temperature"], meta["typical_coverage"]),
            digests=meta["digests"],
        )
