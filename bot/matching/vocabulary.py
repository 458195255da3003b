"""Which words a knowledge base knows, and how much of a question it covers.

A question about the weather shares "what is the" with every FAQ and nothing else; what
gives it away is that its informative words were never seen in any phrasing. Coverage is
the share of the question's IDF weight on known words, a misspelt word earning part of its
weight through rapidfuzz.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from rapidfuzz import fuzz, process

from bot.text.dialect import readings

FUZZY_WORD_CUTOFF = 80
MIN_FUZZY_WORD = 3
# A long message of unknown words must not hold the bot up: past this many look-ups the
# rest count as unknown.
MAX_FUZZY_LOOKUPS = 40
# The currencies people name with an amount, in normalized spelling, singular and plural:
# like the number, the unit of an amount tells nothing of the topic ("سحبت 500 درهم", "I
# paid 20 dirhams"), and a knowledge base seldom names every currency its askers use.
CURRENCIES = frozenset({
    "درهم", "دراهم", "ريال", "ريالات", "شيكل", "شيقل", "شواكل", "دينار", "دنانير", "ليره",
    "ليرات", "جنيه", "جنيهات", "دولار", "دولارات", "يورو", "فرنك", "فرنكات", "روبيه", "روبل",
    "يوان", "dirham", "dirhams", "riyal", "riyals", "rial", "rials", "shekel", "shekels",
    "sheqel", "dinar", "dinars", "lira", "liras", "lire", "pound", "pounds", "dollar",
    "dollars", "euro", "euros", "franc", "francs", "rupee", "rupees", "ruble", "rubles",
    "yuan", "yen", "ين",
})
# French articles and prepositions as the Maghreb types them among Arabic words ("la carte",
# "le code PIN", "l'origine des fonds"): like an amount, they tell nothing of the topic, and
# a knowledge base in Arabic and English does not have them (one that does counts them).
FRENCH_FUNCTION_WORDS = frozenset({
    "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "au", "aux", "et", "pour",
    "sur", "avec", "mon", "ma", "mes",
})
# What may stand before a currency's name: a preposition or "and", the article, both.
_UNIT_PREFIXES = ("وبال", "بال", "وال", "فال", "لل", "ال", "و", "ب", "ل", "")
# How the adjective of a country ends in Arabic (nisba, masculine and feminine): "الاردني",
# "التركيه".
_COUNTRY_ENDINGS = ("ي", "يه")


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
        unknown = []
        previous = ""
        for word in normalized.split():
            idf = self.idf.get(word)
            if idf is not None:
                seen += idf
                total += idf
            # an amount tells nothing of the topic, nor do its currency's country and a
            # French article
            elif not (_in_amount(word) or _of_country(word, previous)
                      or word in FRENCH_FUNCTION_WORDS):
                unknown.append(word)
            previous = word
        for match in self._near_misses(unknown):
            if match is None:
                total += self._unknown
                continue
            # A near miss earns part of the word's weight, nothing at the cutoff: with a
            # large vocabulary almost any word is within one letter of something.
            known, score = match
            idf = self.idf[known]
            seen += idf * (score - FUZZY_WORD_CUTOFF) / (100 - FUZZY_WORD_CUTOFF)
            total += idf
        return seen / total if total else 0.0

    def _near_misses(self, unknown: list[str]) -> list[tuple[str, float] | None]:
        """For each unknown word, the known word most like it and its score, or None: the
        first MAX_FUZZY_LOOKUPS words long enough are compared with every known word in one
        batch (rapidfuzz's cdist compares several words at once, half the time of one
        look-up after another)."""
        looked_up = [i for i, word in enumerate(unknown) if len(word) >= MIN_FUZZY_WORD]
        looked_up = looked_up[:MAX_FUZZY_LOOKUPS]
        found: list[tuple[str, float] | None] = [None] * len(unknown)
        if not looked_up or not self._words:
            return found
        scores = process.cdist([unknown[i] for i in looked_up], self._words,
                               scorer=fuzz.ratio, score_cutoff=FUZZY_WORD_CUTOFF,
                               dtype=np.float32, workers=1)
        best = scores.argmax(axis=1)  # the first of equals, as one look-up would find
        for i, column, score in zip(looked_up, best, scores[np.arange(len(best)), best],
                                    strict=True):
            if score >= FUZZY_WORD_CUTOFF:
                found[i] = (self._words[column], float(score))
        return found


def _in_amount(word: str) -> bool:
    """Whether `word` is a number or the name of a currency ("بالدرهم", "dollars")."""
    return word.isdigit() or _currency(word)


def _currency(word: str) -> bool:
    """Whether `word` is the name of a currency, with what may stand before it."""
    return any(word.startswith(prefix) and word[len(prefix):] in CURRENCIES
               for prefix in _UNIT_PREFIXES)


def _of_country(word: str, previous: str) -> bool:
    """Whether `word` is the adjective of a country after the name of its currency, as in
    "الدينار الاردني", "الليره التركيه" (not after a number: "500 اخري")."""
    return word.endswith(_COUNTRY_ENDINGS) and _currency(previous)
