"""TF-IDF features of normalized text: character n-grams inside words, and word n-grams.

Character n-grams (2 to 5, each word padded with a space) survive typos, clitics and dialect
spellings; word unigrams and bigrams keep what the words say. scikit-learn learns the
vocabulary and the IDF weights when an index is built; a question is turned into features
here, with the same analyzers, because the bot must start and answer without loading
scikit-learn (two thirds of a second at start-up, and input checks costing over a
millisecond a question).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

WORD = re.compile(r"\b\w+\b")
CHAR_SIZES = range(2, 6)
WORD_SIZES = range(1, 3)
# A knowledge base of this many phrasings is large: an n-gram seen once there is noise, and
# its common n-grams (see `common`) are left out of the similarity with every phrasing.
LARGE_KB = 2000
# In a large knowledge base, n-grams in more than this share of the phrasings (the "ال" and
# "the" of most of them) weigh little in a cosine for their low idf, yet touch most
# phrasings: the similarity of a question with every phrasing leaves them out. BANKING77:
# 201 of 70,223 n-grams, a quarter of the phrasings' values but most of a question's work
# (1.2 ms a question with them, 0.5 without), and as many questions ranked first and
# answered right.
COMMON_SHARE = 0.1


def char_ngrams(text: str) -> list[str]:
    """Character n-grams within each space-padded word (scikit-learn's char_wb)."""
    grams = []
    for word in text.split():
        padded = f" {word} "
        for n in CHAR_SIZES:
            grams += [padded[i:i + n] for i in range(max(1, len(padded) - n + 1))]
            if len(padded) <= n:  # a short word counts once
                break
    return grams


def word_ngrams(text: str) -> list[str]:
    """Words, then pairs of neighbouring words."""
    words = WORD.findall(text)
    grams = list(words)
    for n in WORD_SIZES[1:]:
        grams += [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]
    return grams


class View:
    """One kind of feature with its learned vocabulary and IDF weights, scaled by `weight`
    (the views' weights squared add up to one, so a question's vector has unit length)."""

    def __init__(self, analyze: Callable[[str], list[str]], terms: Sequence[str],
                 idf: np.ndarray, weight: float) -> None:
        self.analyze = analyze
        self.terms = list(terms)
        self.vocabulary = {term: i for i, term in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.weight = weight

    @classmethod
    def fit(cls, analyze: Callable[[str], list[str]], texts: Sequence[str], min_df: int,
            weight: float) -> tuple[View, sparse.csr_matrix]:
        """Learn the vocabulary and IDF of `texts`; also returns their weighted vectors."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, min_df=min_df,
                                     dtype=np.float32)
        matrix = vectorizer.fit_transform(texts) * np.float32(weight)
        return cls(analyze, vectorizer.get_feature_names_out(), vectorizer.idf_,
                   weight), matrix.tocsr()

    def weighted(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Columns and values of one text: sublinear tf x idf, unit length x the weight."""
        counts = Counter(column for column in map(self.vocabulary.get, self.analyze(text))
                         if column is not None)
        columns = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
        values = np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts))) + 1
        values *= self.idf[columns]
        norm = np.sqrt(values @ values)
        if norm:
            values *= self.weight / norm
        return columns, values


def vectors(views: Sequence[View], texts: Sequence[str]) -> sparse.csr_matrix:
    """The views' features of each text side by side, one row per text."""
    indptr, indices, data = [0], [], []
    for text in texts:
        offset = count = 0
        for view in views:
            columns, values = view.weighted(text)
            indices.append(columns + offset)
            data.append(values)
            offset += len(view.terms)
            count += len(columns)
        indptr.append(indptr[-1] + count)
    width = sum(len(view.terms) for view in views)
    if not data:
        return sparse.csr_matrix((len(texts), width), dtype=np.float32)
    return sparse.csr_matrix((np.concatenate(data), np.concatenate(indices), np.array(indptr)),
                             shape=(len(texts), width), dtype=np.float32)


def common(document_counts: np.ndarray, documents: int) -> np.ndarray:
    """Whether each n-gram, in `document_counts` of the `documents` phrasings, is common in a
    large knowledge base (see COMMON_SHARE); a smaller one has no common n-grams."""
    if documents < LARGE_KB:
        return np.zeros(len(document_counts), dtype=bool)
    return np.asarray(document_counts) > COMMON_SHARE * documents


def without(vectors: sparse.csr_matrix, columns: np.ndarray) -> sparse.csr_matrix:
    """A copy of `vectors` without their values in the `columns` (a mask), not rescaled: a
    product with it touches only the other columns."""
    kept = vectors.copy()
    kept.data[columns[kept.indices]] = 0
    kept.eliminate_zeros()
    return kept
