"""Scores a question against every entry and says how sure it is.

Three kinds of evidence, all over the same normalized text:
- a linear classifier (multinomial logistic regression) on TF-IDF character n-grams (robust
  to typos, clitics and dialect spellings) and word n-grams, learned from the knowledge
  base's own phrasings: it weighs what distinguishes one entry from the others;
- the cosine similarity of the question with each phrasing, aggregated per entry (the best
  one): close paraphrases of a stored phrasing win even when the classifier hesitates;
- coverage: how much of the question (weighted by how informative each word is) the knowledge
  base has ever seen, a word with a typo counting through rapidfuzz. A question about the
  weather shares "what is the" with everything and nothing else, so its coverage is low.

confidence = (classifier probability + best cosine) / 2 × coverage², in [0, 1]. Squaring
coverage lets one unknown content word weigh: measured on BANKING77 it declines 90% of
non-banking questions at under one point of in-scope accuracy.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

CHAR_WEIGHT = 0.6
WORD_WEIGHT = 0.4
FUZZY_WORD_CUTOFF = 80
MIN_FUZZY_WORD = 3
CLASSIFIER_C = 1.0
LARGE_KB = 2000
INDEX_FORMAT = 2
DEFAULT_TEMPERATURE = 5.0
TEMPERATURES = np.geomspace(0.5, 50, 40)


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


def _word_vectorizer(ngrams: tuple[int, int] = (1, 2)) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="word", ngram_range=ngrams, token_pattern=r"(?u)\b\w+\b",
                           sublinear_tf=True, dtype=np.float32)


def _restore(vectorizer: TfidfVectorizer, terms: list[str], idf: np.ndarray) -> TfidfVectorizer:
    vectorizer.vocabulary_ = {term: i for i, term in enumerate(terms)}
    vectorizer.idf_ = idf
    return vectorizer


def entry_digest(texts: Sequence[str]) -> str:
    """A fingerprint of one entry's phrasings, to tell which entries changed since a build."""
    return hashlib.blake2s("\n".join(sorted(texts)).encode(), digest_size=8).hexdigest()


def digests_of(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """entry_digest() of every entry in (entry_id, normalized phrasing) pairs."""
    grouped: dict[str, list[str]] = {}
    for entry_id, text in pairs:
        grouped.setdefault(entry_id, []).append(text)
    return {entry_id: entry_digest(texts) for entry_id, texts in grouped.items()}


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def _fit_classifier(matrix: sparse.csr_matrix, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A linear SVM per entry (one against the rest): weights and intercepts, one row each."""
    model = LinearSVC(C=CLASSIFIER_C)
    model.fit(matrix, owners)
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:  # two entries: scikit-learn keeps one side of the margin
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return coef.astype(np.float32), intercept.astype(np.float32)


def _temperature(matrix: sparse.csr_matrix, owners: np.ndarray) -> float:
    """How sharply SVM margins turn into probabilities, calibrated on the knowledge base itself.

    One phrasing in five of every entry that has at least three is held out; the classifier
    learns from the rest, and the temperature that gives the held-out phrasings the highest
    likelihood of their own entry is kept.
    """
    rng = np.random.default_rng(0)
    held = np.zeros(len(owners), dtype=bool)
    for entry in np.unique(owners):
        rows = np.flatnonzero(owners == entry)
        if len(rows) >= 3:
            held[rng.choice(rows, size=max(1, len(rows) // 5), replace=False)] = True
    if held.sum() < 10:
        return DEFAULT_TEMPERATURE
    coef, intercept = _fit_classifier(matrix[~held], owners[~held])
    margins = matrix[held] @ coef.T + intercept
    truth = owners[held]
    best, best_loss = DEFAULT_TEMPERATURE, np.inf
    for temperature in TEMPERATURES:
        probabilities = _softmax(margins * temperature)
        loss = -np.log(probabilities[np.arange(len(truth)), truth] + 1e-12).mean()
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


class Matcher:
    """A fitted index over the phrasings of a knowledge base."""

    def __init__(self, *, entry_ids: list[str], chars: TfidfVectorizer, words: TfidfVectorizer,
                 phrasings: sparse.csr_matrix, owners: np.ndarray, coef: np.ndarray | None,
                 intercept: np.ndarray | None, word_idf: dict[str, float],
                 temperature: float = 1.0, digests: dict[str, str] | None = None) -> None:
        self.entry_ids = entry_ids
        self.chars = chars
        self.words = words
        self.phrasings = phrasings
        self.owners = owners
        self.coef = coef
        self.intercept = intercept
        self.word_idf = word_idf
        self.temperature = temperature
        self.digests = digests or {}
        # Each entry's phrasings are consecutive rows, so a row's best match per entry is one
        # reduceat over these starts.
        if len(owners) and np.any(np.diff(owners) < 0):
            raise ValueError("phrasing rows must be grouped by entry")
        self._starts = np.searchsorted(owners, np.arange(len(entry_ids)))
        self._vocabulary = list(word_idf)
        self._unknown_idf = max(word_idf.values(), default=1.0) + 1.0

    @classmethod
    def fit(cls, pairs: Sequence[tuple[str, str]]) -> Matcher:
        """Learn from (entry_id, normalized phrasing) pairs."""
        entry_ids = sorted({entry_id for entry_id, _ in pairs})
        position = {entry_id: i for i, entry_id in enumerate(entry_ids)}
        pairs = sorted(pairs, key=lambda pair: position[pair[0]])  # each entry's rows together
        texts = [text for _, text in pairs]
        owners = np.array([position[entry_id] for entry_id, _ in pairs], dtype=np.int32)
        # In a large knowledge base an n-gram seen once is noise that only costs memory; in a
        # small one it may be all an entry has.
        chars = _char_vectorizer(min_df=2 if len(texts) >= LARGE_KB else 1)
        words = _word_vectorizer()
        if not texts:
            return cls(entry_ids=[], chars=chars, words=words,
                       phrasings=sparse.csr_matrix((0, 0), dtype=np.float32), owners=owners,
                       coef=None, intercept=None, word_idf={})
        matrix = cls._stack(chars.fit_transform(texts), words.fit_transform(texts))
        coef = intercept = None
        temperature = DEFAULT_TEMPERATURE
        if len(entry_ids) > 1:
            temperature = _temperature(matrix, owners)
            coef, intercept = _fit_classifier(matrix, owners)
        counter = _word_vectorizer((1, 1)).fit(texts)
        word_idf = dict(zip(counter.get_feature_names_out().tolist(),
                            counter.idf_.astype(float).tolist(), strict=True))
        return cls(entry_ids=entry_ids, chars=chars, words=words, phrasings=matrix,
                   owners=owners, coef=coef, intercept=intercept, word_idf=word_idf,
                   temperature=temperature, digests=digests_of(pairs))

    def updated(self, changed: dict[str, list[str]]) -> Matcher:
        """A copy with some entries' phrasings replaced (an empty list removes the entry).

        Only what those entries touch is recomputed: their rows of the phrasing matrix, and
        for each one its own one-against-the-rest SVM, learned against every current
        phrasing. The vocabulary, the other entries' SVMs and the temperature stay as they
        were, so a full rebuild is still due once many entries have changed.
        """
        gone = {self.entry_ids.index(e) for e in changed if e in self.digests}
        keep_entries = [i for i in range(len(self.entry_ids)) if i not in gone]
        entry_ids = [self.entry_ids[i] for i in keep_entries]
        renumber = np.full(len(self.entry_ids), -1, dtype=np.int32)
        renumber[keep_entries] = np.arange(len(keep_entries), dtype=np.int32)
        keep_rows = np.flatnonzero(renumber[self.owners] >= 0)
        matrix, owners = self.phrasings[keep_rows], renumber[self.owners[keep_rows]]
        coef = self.coef[keep_entries] if self.coef is not None else None
        intercept = self.intercept[keep_entries] if self.intercept is not None else None
        word_idf = dict(self.word_idf)
        new_idf = max(word_idf.values(), default=1.0)
        added = [(e, texts) for e, texts in changed.items() if texts]
        for entry_id, texts in added:
            entry_ids.append(entry_id)
            matrix = sparse.vstack([matrix, self.vectors(texts)], format="csr")
            owners = np.concatenate([owners, np.full(len(texts), len(entry_ids) - 1, np.int32)])
            for word in {w for text in texts for w in text.split()}:
                word_idf.setdefault(word, new_idf)
        if added and coef is not None and len(entry_ids) > 1:
            rows, biases = [], []
            for entry_id, _ in added:
                svm = LinearSVC(C=CLASSIFIER_C).fit(matrix, owners == entry_ids.index(entry_id))
                rows.append(svm.coef_[0])
                biases.append(svm.intercept_[0])
            coef = np.vstack([coef, np.array(rows, dtype=np.float32)])
            intercept = np.concatenate([intercept, np.array(biases, dtype=np.float32)])
        digests = {e: d for e, d in self.digests.items() if e not in changed}
        digests.update({e: entry_digest(texts) for e, texts in added})
        return Matcher(entry_ids=entry_ids, chars=self.chars, words=self.words,
                       phrasings=matrix.astype(np.float32), owners=owners, coef=coef,
                       intercept=intercept, word_idf=word_idf, temperature=self.temperature,
                       digests=digests)

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
        """The share of the question's information the knowledge base has seen, in [0, 1]."""
        words = normalized.split()
        if not words:
            return 0.0
        seen = total = 0.0
        for word in words:
            idf = self.word_idf.get(word)
            if idf is not None:
                seen += idf
                total += idf
                continue
            match = None
            if len(word) >= MIN_FUZZY_WORD:
                match = process.extractOne(word, self._vocabulary, scorer=fuzz.ratio,
                                           score_cutoff=FUZZY_WORD_CUTOFF)
            if match:
                # A near miss earns part of the word's weight, nothing at the cutoff: with a
                # large vocabulary almost any word is within one letter of something.
                idf = self.word_idf[match[0]]
                seen += idf * (match[1] - FUZZY_WORD_CUTOFF) / (100 - FUZZY_WORD_CUTOFF)
                total += idf
            else:
                total += self._unknown_idf
        return seen / total

    def probabilities(self, vectors: sparse.csr_matrix) -> np.ndarray:
        """The classifier's probability of each entry, one row per question."""
        if self.coef is None:
            return np.ones((vectors.shape[0], len(self.entry_ids)), dtype=np.float32)
        return _softmax((vectors @ self.coef.T + self.intercept) * self.temperature)

    def similarities(self, vectors: sparse.csr_matrix) -> np.ndarray:
        """The best cosine similarity with each entry's phrasings, one row per question."""
        sims = (vectors @ self.phrasings.T).toarray()
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
            coverage = self.coverage(question) ** 2
            top = np.argsort(-scores[row])[:limit]
            ranked.append([Candidate(self.entry_ids[i], float(scores[row, i] * coverage))
                           for i in top if scores[row, i] * coverage > 0])
        return ranked

    def to_bytes(self) -> bytes:
        """The fitted index as one blob (numpy arrays, no pickle) for the database."""
        meta = {"format": INDEX_FORMAT, "entry_ids": self.entry_ids, "digests": self.digests,
                "chars": self.chars.get_feature_names_out().tolist(),
                "words": self.words.get_feature_names_out().tolist(),
                "word_idf": self.word_idf}
        arrays = {"meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8),
                  "char_idf": self.chars.idf_, "word_view_idf": self.words.idf_,
                  "data": self.phrasings.data, "indices": self.phrasings.indices,
                  "indptr": self.phrasings.indptr,
                  "shape": np.array(self.phrasings.shape), "owners": self.owners}
        if self.coef is not None:
            # Half precision halves the blob; the scores it gives are the same to 3 decimals.
            arrays.update(coef=self.coef.astype(np.float16), intercept=self.intercept,
                          temperature=np.array([self.temperature]))
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Matcher:
        """An index saved by to_bytes(); StaleIndex if an older version of the code saved it."""
        arrays = np.load(io.BytesIO(blob), allow_pickle=False)
        meta = json.loads(arrays["meta"].tobytes().decode())
        if meta.get("format") != INDEX_FORMAT:
            raise StaleIndex(f"index format {meta.get('format')}, this code reads {INDEX_FORMAT}")
        coef = arrays["coef"].astype(np.float32) if "coef" in arrays else None
        return cls(
            entry_ids=meta["entry_ids"],
            chars=_restore(_char_vectorizer(), meta["chars"], arrays["char_idf"]),
            words=_restore(_word_vectorizer(), meta["words"], arrays["word_view_idf"]),
            phrasings=sparse.csr_matrix(
                (arrays["data"], arrays["indices"], arrays["indptr"]),
                shape=tuple(arrays["shape"])),
            owners=arrays["owners"],
            coef=coef,
            intercept=arrays.get("intercept", None),
            word_idf=meta["word_idf"],
            temperature=float(arrays["temperature"][0]) if "temperature" in arrays else 1.0,
            digests=meta["digests"],
        )
