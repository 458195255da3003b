"""Which words a knowledge base knows, and how much of a question it covers.

A question about the weather shares "what is the" with every FAQ and nothing else; what
gives it away is that its informative words were never seen in any phrasing. Coverage is
the share of the question's IDF weight on known words, a misspelt word earning part of its
weight through rapidfuzz.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process

from bot.text.dialect import readings

FUZZY_WORD_CUTOFF = 80
MIN_FUZZY_WORD = 3
# A long message of unknown words must not hold the bot up: past this many look-ups the
# rest count as unknown.
MAX_FUZZY_LOOKUPS = 40


class Vocabulary:
    """The words of a knowledge base, each with its inverse document frequency."""

    def __init__(self, idf: dict[str, float]) -> None:
        self.idf = idf
        self._words = list(idf)
        self._unknown = max(idf.values(), default=1.0) + 1.0

    @classmethod
    def fit(cls, texts: Iterable[str]) -> Vocabulary:
        """Learn the words of normalized phrasings."""
        from sklearn.feature_extraction.text import TfidfVectorizer  # only to learn an index

        texts = list(texts)
        if not texts:
            return cls({})
        counter = TfidfVectorizer(analyzer="word", token_pattern=r"(?u)\b\w+\b").fit(texts)
        return cls(dict(zip(counter.get_feature_names_out().tolist(),
                            counter.idf_.astype(float).tolist(), strict=True)))

    def with_words(self, words: Iterable[str]) -> Vocabulary:
        """A copy that also knows `words` (as rare words: the highest weight seen)."""
        idf = dict(self.idf)
        rare = max(idf.values(), default=1.0)
        for word in words:
            idf.setdefault(word, rare)
        return Vocabulary(idf)

    def known_reading(self, word: str) -> str:
        """`word` if the knowledge base knows it, else the first of its readings it knows
        ("كيقطع": "يقطع", "والعمليه": "العمليه"; see dialect.readings), else `word`."""
        if word in self.idf:
            return word
        return next((reading for reading in readings(word) if reading in self.idf), word)

    def read(self, normalized: str) -> str:
        """A normalized question with its unknown word forms in the knowledge base's words."""
        return " ".join(map(self.known_reading, normalized.split()))

    def coverage(self, normalized: str) -> float:
        """The share of the question's information the knowledge base has seen, in [0, 1]."""
        seen = total = 0.0
        fuzzy_left = MAX_FUZZY_LOOKUPS
        for word in normalized.split():
            idf = self.idf.get(word)
            if idf is not None:
                seen += idf
                total += idf
                continue
            if word.isdigit():  # an amount or a date tells nothing of the topic
                continue
            match = None
            if len(word) >= MIN_FUZZY_WORD and fuzzy_left > 0:
                fuzzy_left -= 1
                match = process.extractOne(word, self._words, scorer=fuzz.ratio,
                                           score_cutoff=FUZZY_WORD_CUTOFF)
            if match:
                # A near miss earns part of the word's weight, nothing at the cutoff: with a
                # large vocabulary almost any word is within one letter of something.
                idf = self.idf[match[0]]
                seen += idf * (match[1] - FUZZY_WORD_CUTOFF) / (100 - FUZZY_WORD_CUTOFF)
                total += idf
            else:
                total += self._unknown
        return seen / total if total else 0.0
