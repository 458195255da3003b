"""Questions that name nothing to look up: "why?", "ليش؟", "and then?", "والله؟".

In a chat, people answer the bot's reply with a word: "ليش؟", "وبعدين؟", "really?". Such a
message asks, but not about anything: matched as it is, its one word leads to whichever
entry has it ("ليش" to why mining profits are low, "والله" to the greeting). The bot asks
for the whole question instead. The words are in normalized spelling, dialect question
words already in their standard form ("ليش" is read "لماذا", see normalize.py).
"""

from __future__ import annotations

from bot.text.dialect import CONJUNCTIONS

VAGUE_WORDS = frozenset({
    # question words, and "and" written apart
    "ماذا", "لماذا", "اين", "كيف", "كم", "بكم", "متي", "اي", "هل", "من", "ما", "ايه", "و", "ف",
    # "and then", "so", "that is", "really", "this": what follows up without a topic
    "ثم", "بعدين", "بعد", "يعني", "والله", "بجد", "حقا", "فعلا", "صح", "صحيح", "معقول",
    "طيب", "اه", "ها", "هاه", "هذا", "هذه", "ذلك", "كذا", "كدا", "هيك", "هكذا", "اذن",
    "what", "why", "how", "when", "where", "who", "whom", "whose", "which", "is", "are",
    "was", "were", "do", "does", "did", "can", "could", "will", "would", "should", "and",
    "then", "so", "really", "seriously", "huh", "eh", "hm", "hmm", "come", "about", "it",
    "this", "that", "not", "mean",
})


def is_vague(normalized: str) -> bool:
    """Whether a normalized question is made of question words and such alone."""
    words = normalized.split()
    return bool(words) and all(map(_vague, words))


def _vague(word: str) -> bool:
    return word in VAGUE_WORDS or (word[:1] in CONJUNCTIONS and word[1:] in VAGUE_WORDS)
