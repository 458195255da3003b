"""Scores a question against every entry's phrasings and says how sure it is.

Evidence comes from two places: TF-IDF over character n-grams (robust to typos, clitics
and dialect spellings) and words (robust to word order), compared by cosine similarity
with every phrasing and aggregated per entry; and rapidfuzz's token-set ratio against the
best candidates' phrasings, which rescues short questions with a misspelt word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer


@dataclass(frozen=True)
class Candidate:
    """An entry the question may be asking for, with a confidence in [0, 1]."""

    entry_id: str
    score: float


class Matcher:
    """A fitted index over the phrasings of a knowledge base."""

    def __init__(self, entry_ids: Sequence[str], phrasings: Sequence[str],
                 owners: np.ndarray) -> None:
        self.entry_ids = list(entry_ids)
        self.phrasings = list(phrasings)
        self.owners = owners
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
                                      sublinear_tf=True, min_df=1)
        self._words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2),
                                      token_pattern=r"(?u)\b\w+\b", sublinear_tf=True)
        if self.phrasings:
            self._matrix = self._stack(
                self._chars.fit_transform(self.phrasings),
                self._words.fit_transform(self.phrasings),
            )

    @classmethod
    def fit(cls, pairs: Sequence[tuple[str, str]]) -> Matcher:
        """Index (entry_id, normalized phrasing) pairs."""
        entry_ids = sorted({entry_id for entry_id, _ in pairs})
        position = {entry_id: i for i, entry_id in enumerate(entry_ids)}
        owners = np.array([position[entry_id] for entry_id, _ in pairs], dtype=np.int32)
        return cls(entry_ids, [text for _, text in pairs], owners)

    @staticmethod
    def _stack(chars: sparse.spmatrix, words: sparse.spmatrix) -> sparse.csr_matrix:
        # Equal weight to both views; rows stay unit length.
        return sparse.hstack([chars * np.sqrt(0.6), words * np.sqrt(0.4)]).tocsr()

    def _vector(self, normalized: str) -> sparse.csr_matrix:
        return self._stack(self._chars.transform([normalized]),
                           self._words.transform([normalized]))

    def rank(self, normalized: str, limit: int = 5) -> list[Candidate]:
        """The best entries for a normalized question, most likely first."""
        if not normalized or not self.phrasings:
            return []
        sims = (self._matrix @ self._vector(normalized).T).toarray().ravel()
        best = np.zeros(len(self.entry_ids))
        np.maximum.at(best, self.owners, sims)
        top = np.argsort(-best)[: max(limit, 8)]
        scored = []
        for index in top:
            if best[index] <= 0:
                continue
            mine = [self.phrasings[i] for i in np.flatnonzero(self.owners == index)]
            fuzzy = process.extractOne(normalized, mine, scorer=fuzz.token_set_ratio)
            fuzzy_score = fuzzy[1] / 100 if fuzzy else 0.0
            scored.append(Candidate(self.entry_ids[index],
                                    float(0.75 * best[index] + 0.25 * fuzzy_score ** 2)))
        scored.sort(key=lambda c: -c.score)
        return scored[:limit]
