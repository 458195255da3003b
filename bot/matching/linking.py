"""Entries that ask the same thing in two languages.

A knowledge base imported one file per language has an Arabic entry and an English entry
for each question (BANKING77's "card_arrival" and ArBanking77's "وصول البطاقة"). The
multilingual encoder maps the phrasings of both near each other, so the sentence model can
learn the two as one meaning from the phrasings of both languages: an entry with ten Arabic
phrasings borrows the ten English ones. Which of the two answers is the one in the
question's language (see `twins`): the character and word models, which never cross
scripts, would mostly tell so too, but not for a question whose only known word is in the
other script.

Entries are paired one to one (the assignment with the highest total similarity of entry
centroids), and a pair is kept only if each side is among the other's closest entries and
their centroids are similar enough, so two lists about different things stay apart. In a
small knowledge base an entry whose twin is missing may still be paired with its closest
relative in the other language (English "card arrival" with Arabic "lost card"): they then
share the sentence model's label, and the character and word models still tell them apart.
Entries written in both languages already learn from both and are never paired.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.text.language import script_language

# An entry is in one language when this share of its phrasings is.
ONE_LANGUAGE_SHARE = 0.9
# A pair is kept when each side is among the other's closest entries, as many as a tenth of
# the smaller side (at least 1, at most 5), and its centroids' cosine is at least
# MIN_SIMILARITY. Measured on BANKING77: with 10 phrasings per intent and language 71 of 77
# pairs are kept, all right; with every phrasing 76 of 77, all right.
CLOSEST_SHARE = 10
MAX_CLOSEST = 5
MIN_SIMILARITY = 0.4


def entry_languages(texts: Sequence[str], owners: np.ndarray, n_entries: int) -> list[str | None]:
    """The one language each entry's phrasings are written in, or None (both, or neither)."""
    counts: list[dict[str | None, int]] = [{} for _ in range(n_entries)]
    for text, owner in zip(texts, owners, strict=True):
        lang = script_language(text)
        counts[owner][lang] = counts[owner].get(lang, 0) + 1
    languages: list[str | None] = []
    for entry_counts in counts:
        total = sum(entry_counts.values())
        lang, count = max(entry_counts.items(), key=lambda item: item[1], default=(None, 0))
        languages.append(lang if total and count >= ONE_LANGUAGE_SHARE * total else None)
    return languages


def linked_groups(vectors: np.ndarray, owners: np.ndarray,
                  languages: Sequence[str | None]) -> np.ndarray:
    """A group number per entry: an Arabic-only and an English-only entry that ask the same
    thing share one; every other entry has its own. Numbers are 0..groups-1."""
    n_entries = len(languages)
    partner = np.arange(n_entries)
    arabic = np.array([i for i, lang in enumerate(languages) if lang == "ar"], dtype=int)
    english = np.array([i for i, lang in enumerate(languages) if lang == "en"], dtype=int)
    if len(arabic) and len(english):
        from scipy.optimize import linear_sum_assignment

        centroids = np.zeros((n_entries, vectors.shape[1]), dtype=np.float64)
        np.add.at(centroids, owners, vectors)
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
        similarity = centroids[arabic] @ centroids[english].T
        closest = int(np.clip(min(len(arabic), len(english)) // CLOSEST_SHARE, 1, MAX_CLOSEST))
        for row, column in zip(*linear_sum_assignment(-similarity), strict=True):
            pair = similarity[row, column]
            row_rank = int((similarity[row] > pair).sum())
            column_rank = int((similarity[:, column] > pair).sum())
            if pair >= MIN_SIMILARITY and row_rank < closest and column_rank < closest:
                partner[arabic[row]] = english[column]
    _, groups = np.unique(partner, return_inverse=True)
    return groups.astype(np.int32)


def twins(groups: np.ndarray, languages: Sequence[str | None]) -> np.ndarray:
    """The pairs linked in `groups` (see linked_groups), a row each: the Arabic entry, then
    the English one."""
    groups = np.asarray(groups)
    linked = np.flatnonzero(np.bincount(groups, minlength=1)[groups] == 2)
    pairs = linked[np.argsort(groups[linked], kind="stable")].reshape(-1, 2).astype(np.int32)
    swapped = np.array([languages[entry] == "ar" for entry in pairs[:, 1]], dtype=bool)
    pairs[swapped] = pairs[swapped][:, ::-1]
    return pairs
