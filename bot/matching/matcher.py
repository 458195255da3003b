"""Scores a question against every entry and says how sure it is.

Three kinds of evidence, all over the same normalized text (the encoder alone reads the
text as written, see encoder.sentence_text):
- a linear SVM per entry on TF-IDF character n-grams (robust to typos, clitics and dialect
  spellings) and word n-grams, learned from the knowledge base's own phrasings: it weighs
  what distinguishes one entry from the others (see classifier.py); when the sentence
  encoder is on (encoder.py), a network of one hidden layer over sentence vectors adds
  what the words do not share (an Arabic entry and its English twin learn it together, see
  linking.py), and both together give the probability of each entry;
- the cosine similarity of the question with each phrasing, the best one per entry: close
  paraphrases of a stored phrasing win even when the classifier hesitates; with the
  encoder, where entries have many phrasings, the best sentence similarity too, for the
  entries likeliest by the rest (see classifier.MEANING_FROM);
- coverage: how much of the question the knowledge base's vocabulary knows (see
  vocabulary.py), relative to how much it typically knows of an unseen in-scope question;
  with the encoder, at least what the question's meaning vouches for (its best sentence
  similarity with the entry's phrasings, see classifier.vouch).

confidence = (probability + best cosine + weight × best meaning) / (2 + weight) × coverage²,
in [0, 1] (see classifier.confidence). Squaring lets one unknown content word weigh:
measured on BANKING77, it declines 90% of non-banking questions for under one point of
in-scope accuracy, and the meaning keeps dialect questions in.

Words first: a fully covered question whose words alone name an entry surely (see `sure`)
is answered without encoding it, which halves the time of most in-scope questions; every
other question is encoded and weighed with the sentence model, by the second encoder too
where the first leaves it in doubt, sooner for a question in dialect (see Reading).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import BinaryIO

import numpy as np
from scipy import sparse

from bot.matching.blob import pack, unpack
from bot.matching.classifier import (
    CLASSIFIER_C,
    FEW_SENTENCE_WEIGHT,
    FEW_WEIGHT_BELOW,
    MEANING_FROM,
    MEANING_SPAN,
    MEANING_SURE,
    MEANING_VOUCHES,
    MEANING_WEIGHT,
    NEARNESS_HALVING,
    NEARNESS_QUANTILE,
    SENTENCE_ALPHA,
    SENTENCE_NOISE,
    SENTENCE_NOISE_BELOW,
    SENTENCE_ROWS_PER_UNIT,
    SENTENCE_STEPS,
    SENTENCE_UNITS,
    SENTENCE_WEIGHTS,
    WEIGHT_GAIN,
    WEIGHT_SIGNIFICANCE,
    Calibration,
    SentenceNetwork,
    calibrate,
    confidence,
    fit_one_svm,
    fit_sentence_model,
    fit_svms,
    scoped,
    softmax,
    vouch,
)
from bot.matching.encoder import (
    SECOND_NAME,
    TERMS_NAME,
    Encoder,
    Vectors,
    second_encoder,
    second_encoder_enabled,
    sentence_text,
    shared_encoder,
    terms_encoder,
)
from bot.matching.features import (
    COMMON_SHARE,
    LARGE_KB,
    View,
    char_ngrams,
    common,
    vectors,
    word_ngrams,
)
from bot.matching.linking import (
    CLOSEST_SHARE,
    MAX_CLOSEST,
    MIN_SIMILARITY,
    entry_languages,
    linked_groups,
    twins,
)
from bot.matching.threads import one_blas_thread
from bot.matching.vocabulary import Vocabulary
from bot.text.language import script_language
from bot.text.normalize import shows_dialect

CHAR_WEIGHT = 0.6
WORD_WEIGHT = 0.4
# An update (see Matcher.updated) keeps the n-grams the index was learned with: it can learn
# phrasings only where most of their character n-grams are among them. Below this share
# they are written in another script or vocabulary than the rest (Arabic intents imported
# after English ones), and the new entries would have almost no features: a full build is
# due. A new entry of this bot's own knowledge typically has nine in ten of its n-grams.
MIN_KNOWN_NGRAMS = 0.5
# Meaning is weighed for this many entries of a question, the likeliest by words and
# probability: enough for every right answer measured, and a fraction of the cost of
# comparing the question with every phrasing.
VOUCHED = 8
# Words alone settle a question they answer with this confidence (before any boost), this
# far ahead of the runner-up (see `sure`). The lead tells more than the confidence: on the
# BANKING77 benchmark's knowledge base, 0.5 with a lead of 0.3 settles 71% of in-scope
# questions (0.6 with 0.2: 66%) and no out-of-scope one, and encoding them all would
# change 1 of the 4,462 replies (at 0.6 with 0.2, 2); a lower confidence with a lead of
# 0.2 loses right answers instead (0.45: 76%, 8 lost). On Arabic questions without a near
# paraphrase among the phrasings it settles 33% instead of 20% (a sixth fewer questions
# read by the first encoder), none answered worse; this bot's own questions, 41% instead
# of 36%, the same replies.
SURE = 0.5
SURE_LEAD = 0.3
ROUNDING = 1e-9  # 0.7 - 0.4 is a hair under 0.3 in floating point
# The typical confidence (lower quartile, see classifier.CONFIDENCE_QUANTILE) of unseen
# in-scope questions in a knowledge base with about a hundred phrasings per entry (BANKING77:
# 0.72 English, 0.69 Arabic). Questions in a language whose typical confidence is lower get
# their confidences raised in proportion, up to MAX_BOOST times.
REFERENCE_CONFIDENCE = 0.7
MAX_BOOST = 2.5
# A question in everyday dialect (see normalize.shows_dialect) has its confidences raised
# this much: knowledge is written in one or two varieties of Arabic, many words of the
# others are unknown to it, and such a question scores lower when it is in scope too.
# Measured on BANKING77 with 191 Moroccan, 80 Egyptian and 111 Gulf and Levantine questions
# and 391 out-of-scope ones (60 of them in Moroccan Arabic, 30 in Egyptian): Moroccan 48.7
# to 55.0 % and 46.3 to 48.7 %, Egyptian 67.5 to 70.0 % and 77.5 to 87.5 %, the Arabic
# validation file 93.6 to 93.7 %, the others as they were; one out-of-scope question of the
# 391 more was answered (this bot's own: none). Weighing the unknown words of such a
# question less as well let one of this bot's own in. Since the dialect list learned the
# Maghrebi banking loanwords, 1.25 against 1.15: Moroccan 72.3 to 73.3 %, Palestinian 87.5
# to 90.0 %, this bot's own Arabic questions 96.9 to 97.7 %, two of the 391 out-of-scope
# questions more answered (this bot's own: none; at 1.4 three of its 90 were).
DIALECT_BOOST = 1.25
# Both sentence encoders (see encoder.SECOND_NAME) learn a network over the phrasings, and
# a question's probabilities take the mean of the networks of the encoders that read it.
# Where entries have fewer phrasings than EVERY_ENCODER_BELOW on average, both read every
# question the words leave unsure: few phrasings rarely hold a near paraphrase of a
# question, and meaning is then most of the evidence (BANKING77, ten phrasings an intent
# and language: English 82.1 to 82.9 %, Arabic 69.4 to 73.8 %, before the noise and the
# twins; with 20 and 30 alike). With more, the second encoder (12 ms a question against the
# first's 2) reads only a question the first encoder's network leaves doubtful: not sure of
# its entry by MEANT_SURE, MEANT_SURE_LEAD ahead (see `sure`). BANKING77 with every
# phrasing: the second network then lifts Arabic from 93.9 to 94.6 %, English 94.1 to
# 94.2 %, Saudi 88.7 to 93.0 %, Egyptian 80.0 to 83.8 %, Moroccan 74.9 to 75.4 %, one
# out-of-scope question of the 391 more answered; e5 reads 6 % of in-scope questions (4 %
# for their scope alone before), and eval answers 274 questions a second instead of 298
# (at 0.6 / 0.2: 11 % and 211, for the same answers). With ten phrasings an intent the
# same gate costs 0.8 points of Arabic questions: there the first network is too often
# sure and wrong.
EVERY_ENCODER_BELOW = 50
MEANT_SURE = 0.4
MEANT_SURE_LEAD = 0.1
# A question in dialect (see normalize.shows_dialect) has the sentence model weigh at
# least this much in its probabilities (see classifier.SENTENCE_WEIGHTS), and with many
# phrasings an entry it is read by every encoder unless the first encoder's network is sure
# of its entry by DIALECT_MEANT_SURE, DIALECT_MEANT_SURE_LEAD ahead (surer than MEANT_SURE):
# its words are often unknown to knowledge written in standard Arabic, or spelt otherwise,
# so its n-grams tell less than its meaning. BANKING77 with every phrasing, where the
# calibrated weight is 0.15: of 6,800 Saudi, Palestinian and Moroccan questions written
# apart (616 of them translations of Arabic validation questions), 77.9 % answered right,
# 78.2 % read by both encoders whenever the words leave them unsure, 78.7 % with this
# weight too (0.225: 78.8 %, 0.375: 78.6 %, 0.6: 77.8 %; the weight only where the second
# encoder reads anyway: 78.2 %), the Arabic validation file 94.6 to 94.7 %. Reading all
# of those by e5 cost speed: 60 questions a second through bench's dialect questions (p50
# 19 ms), about 120 through the Arabic validation file's rows in dialect. With the gate at
# 0.6 / 0.3, 78.5 % (0.5 / 0.3: 78.2 %; 0.7 / 0.4: 78.8 %, e5 reading 63 % of bench's
# dialect questions): e5 reads 48 % of bench's dialect questions instead of 66 % (79 a
# second, p50 5.9 ms) and 12 % of the validation rows in dialect instead of 28 % (about
# 180 a second); the out-of-scope questions as before. With few phrasings an entry the
# calibrated weight is higher already (0.6) and every encoder reads every unsure question.
DIALECT_SENTENCE_WEIGHT = 0.3
DIALECT_MEANT_SURE = 0.6
DIALECT_MEANT_SURE_LEAD = 0.3
# Where entries have fewer phrasings than this on average, a third network reads the
# second encoder's latent terms (see encoder.TERMS_NAME) and joins the mean. BANKING77
# with ten phrasings an intent and language, three samples (English / Arabic): 84.3, 84.7,
# 84.6 to 84.5, 85.4, 83.9 % and 75.9, 74.7, 74.3 to 76.4, 74.9, 75.2 %; with the weight
# of classifier.FEW_SENTENCE_WEIGHT, 84.9, 85.4, 84.4 and 76.4, 74.9, 75.3 %, and as
# many questions on other topics declined. With every phrasing it adds at most 0.15
# points for another 20 ms a question, so a knowledge base with many phrasings an entry
# does without it. Its network learns in about 35 s for a thousand phrasings.
TERMS_BELOW = EVERY_ENCODER_BELOW
# Everything a stored index depends on besides the knowledge itself: a change here makes
# older stored indexes stale instead of silently misread.
INDEX_FORMAT = (f"20 feature-major char_wb2-5 word1-2 {CHAR_WEIGHT}/{WORD_WEIGHT} C {CLASSIFIER_C} "
                f"common {COMMON_SHARE}>={LARGE_KB} "
                f"sentence {SENTENCE_UNITS}/{SENTENCE_ROWS_PER_UNIT}/{SENTENCE_ALPHA}/"
                f"{SENTENCE_STEPS}/{SENTENCE_NOISE}<{SENTENCE_NOISE_BELOW} centred "
                f"weights {SENTENCE_WEIGHTS}+{WEIGHT_GAIN}/{WEIGHT_SIGNIFICANCE} "
                f"few {FEW_SENTENCE_WEIGHT}<{FEW_WEIGHT_BELOW} "
                f"vouch {MEANING_VOUCHES}/{MEANING_SPAN} "
                f"meaning {MEANING_WEIGHT}>={MEANING_FROM}/{VOUCHED} "
                f"twins {MIN_SIMILARITY}/{CLOSEST_SHARE}/{MAX_CLOSEST} in language "
                f"second networks averaged terms<{TERMS_BELOW} "
                f"scope {NEARNESS_QUANTILE}/{NEARNESS_HALVING} unless {MEANING_SURE}")

# An encoder's vectors of normalized phrasings, one row each: by default its reading of the
# normalized text; the index reads them from the database as written (see vectors.py).
PhrasingVectors = Callable[[Encoder, Sequence[str]], Vectors]


# A sentence network's arrays, stored under these names (see to_bytes).
NETWORK_PARTS = tuple(part.name for part in fields(SentenceNetwork))


def own_vectors(encoder: Encoder, texts: Sequence[str]) -> Vectors:
    """The encoder's vectors of the texts as they are (see PhrasingVectors)."""
    return encoder.encode(texts)


class StaleIndex(ValueError):
    """A stored index this version of the code cannot use; it must be rebuilt."""


@dataclass(frozen=True)
class Candidate:
    """An entry the question may be asking for, and how sure the matcher is of it.

    `evidence` is the confidence as raised for the question (see Matcher.boost): where a
    knowledge base's confidences are raised, several entries may pass 1.0, and their
    evidence still tells which one leads and by how much (BANKING77 with ten phrasings an
    intent, Arabic raised 2.5 times: 0.9 points of Arabic questions more answered right,
    where tied at 1.0 they were offered as "did you mean"). `score` is the confidence a
    maintainer reads and sets thresholds in, in [0, 1]."""

    entry_id: str
    evidence: float

    @property
    def score(self) -> float:
        return min(1.0, self.evidence)


def _views(char_terms: Sequence[str], char_idf: np.ndarray, word_terms: Sequence[str],
           word_idf: np.ndarray) -> list[View]:
    """The character and word views of a learned vocabulary, weighted as in fit()."""
    return [View(char_ngrams, char_terms, char_idf, np.sqrt(CHAR_WEIGHT)),
            View(word_ngrams, word_terms, word_idf, np.sqrt(WORD_WEIGHT))]


def _joined(texts: Sequence[str]) -> np.ndarray:
    # Normalized text has no newlines (normalize() collapses all whitespace).
    return np.frombuffer("\n".join(texts).encode(), np.uint8)


def _split(array: np.ndarray) -> list[str]:
    return array.tobytes().decode().split("\n") if array.size else []


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


def _appended(coef: np.ndarray, intercept: np.ndarray,
              rows: Sequence[tuple[np.ndarray, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Weights and intercepts with one more row per (weights, intercept) in `rows`."""
    return (np.vstack([coef, *[weights for weights, _ in rows]]).astype(np.float16),
            np.concatenate([intercept, [bias for _, bias in rows]]).astype(np.float32))


@dataclass(frozen=True)
class SentenceModel:
    """What the sentence encoders know of the knowledge base: for each encoder, a network
    over its sentence vectors (see classifier.SentenceNetwork), all with the same labels,
    groups of entries that ask the same thing (see linking.py); and the first encoder's
    vectors of the phrasings themselves (a row per matcher row). The second encoder's
    network reads the questions the first leaves in doubt, or every question where entries
    have few phrasings (see EVERY_ENCODER_BELOW), and a question's log-probabilities are
    the mean of those that read it; where entries have few phrasings, a third network
    reads the second encoder's latent terms (see TERMS_BELOW), with every question too.
    The second encoder (`near`) also tells the scope of a
    question whose words the knowledge base does not all know, by its nearest phrasing
    among `nearby`, the second encoder's vectors of the phrasings in half precision (see
    classifier.NEARNESS_QUANTILE). `twins` are the entries linked across languages (see
    linking.py), an Arabic and an English one a row: of two, the question's language
    picks (see in_language).
    """

    encoders: tuple[Encoder, ...]
    networks: tuple[SentenceNetwork, ...]
    groups: np.ndarray  # the label of each entry
    phrasings: np.ndarray
    near: Encoder | None = None
    nearby: np.ndarray | None = None
    twins: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int32))

    @classmethod
    def fit(cls, encoders: Sequence[Encoder], vectors: Sequence[Vectors],
            texts: Sequence[str], owners: np.ndarray, n_entries: int,
            start: Sequence[SentenceNetwork] | None = None, near: Encoder | None = None,
            nearby: np.ndarray | None = None) -> SentenceModel:
        """Learn from the phrasings' vectors (a matrix per encoder); `start` continues from
        earlier networks with an output row per entry (see fit_sentence_model); `nearby`
        are the `near` encoder's vectors of the phrasings."""
        languages = entry_languages(texts, owners, n_entries)
        groups = linked_groups(vectors[0], owners, languages)
        n_groups = int(groups.max()) + 1 if len(groups) else 0
        if n_groups < 2:  # two entries, twins: nothing to tell apart by meaning alone
            groups, n_groups = np.arange(n_entries, dtype=np.int32), n_entries
        firsts = np.unique(groups, return_index=True)[1]
        # Each group continues from the weights of its first entry.
        starts = [None] * len(encoders) if start is None else [s.rows(firsts) for s in start]
        networks = tuple(fit_sentence_model(matrix, groups[owners], n_groups, begin)
                         for matrix, begin in zip(vectors, starts, strict=True))
        # Rounded to half precision as they are stored, then kept in single precision for
        # speed: the same numbers whether the index was just learned or read back.
        return cls(tuple(encoders), networks, groups,
                   vectors[0].astype(np.float16).astype(np.float32), near,
                   None if nearby is None else nearby.astype(np.float16),
                   twins(groups, languages))

    @property
    def names(self) -> list[str]:
        """The encoders' names, the first one first."""
        return [encoder.name for encoder in self.encoders]

    def in_language(self, scores: np.ndarray, lang: str | None) -> np.ndarray:
        """`scores` (one per entry) with the better score of each pair of `twins` given to
        the one in the question's language `lang`. Twins share their sentence probability
        and only the words tell them apart, and a few words in the other language's script,
        or none the entry knows, can leave an Arabic question's best entry the English twin
        (BANKING77, ten phrasings an intent and language: one test question in 4,462)."""
        if lang not in ("ar", "en") or not len(self.twins):
            return scores
        own, other = self.twins.T if lang == "ar" else self.twins.T[::-1]
        scores = scores.copy()
        scores[own], scores[other] = (np.maximum(scores[own], scores[other]),
                                      np.minimum(scores[own], scores[other]))
        return scores

    def encode(self, questions: Sequence[str], start: int = 0,
               stop: int | None = None) -> list[Vectors]:
        """The questions' sentence vectors (unit length) by each encoder (those from
        `start` to `stop`), a row each."""
        return [encoder.encode(questions) for encoder in self.encoders[start:stop]]

    def entry_networks(self) -> list[SentenceNetwork]:
        """The networks with an output row per entry (its group's)."""
        return [network.rows(self.groups) for network in self.networks]

    def log_probabilities(self, encoded: Sequence[Vectors]) -> np.ndarray:
        """log P(entry | question) by sentence meaning alone, one row per encoded question
        (an entry shares the probability of its group): the mean of the networks of the
        encoders that read it, the first len(encoded), so that it weighs as much however
        many have read it."""
        if len(encoded) > len(self.networks):
            raise ValueError(f"{len(encoded)} encodings for {len(self.networks)} networks")
        return sum(network.log_probabilities(matrix) for network, matrix
                   in zip(self.networks[:len(encoded)], encoded, strict=True)
                   )[:, self.groups] / len(encoded)


def sure(confidences: np.ndarray, best_at: float = SURE, lead: float = SURE_LEAD) -> bool:
    """Whether words alone settle a fully covered question: its best entry's confidence is
    at least `best_at` and `lead` ahead of the runner-up's. The sentence model would seldom
    change the answer (BANKING77: for one question of the seven in ten in-scope ones so
    settled), and encoding is about half the time of a question.
    The same test, with its own bounds, tells whether the first sentence network settles
    a question without the second (see EVERY_ENCODER_BELOW)."""
    if len(confidences) < 2:
        return bool(len(confidences) and confidences[0] >= best_at)
    runner_up, best = np.partition(confidences, -2)[-2:]
    return bool(best >= best_at and best - runner_up >= lead - ROUNDING)


def meant_sure_bounds(dialect: bool) -> tuple[float, float]:
    """How sure the first sentence network must be of a question's entry, and how far
    ahead, for the second encoder to leave it alone: surer for a question in dialect
    (see DIALECT_SENTENCE_WEIGHT)."""
    return (DIALECT_MEANT_SURE, DIALECT_MEANT_SURE_LEAD) if dialect else (MEANT_SURE,
                                                                          MEANT_SURE_LEAD)


class Reading:
    """A question as the sentence encoders read it: by the first encoder at once (by all of
    them where entries have few phrasings, see EVERY_ENCODER_BELOW); by the others, which
    cost most of a question's time (e5: 12 ms against 2), only when asked.

    A question the first encoder's network leaves `doubtful` (not `sure` of its entry,
    whatever its coverage: the coverage does not change which entry leads; surer for one
    in dialect, see DIALECT_SENTENCE_WEIGHT) is read by all of them for its probabilities,
    with the sentence model's `weight` (BANKING77 with every phrasing: e5 then reads seven
    in-scope questions in a hundred, six of them not in dialect, where reading every
    question the words leave unsure would be one in three); the second encoder's vector
    also tells its scope (see Matcher._weighed), read once for both."""

    def __init__(self, matcher: Matcher, text: str, vectors: list[Vectors],
                 margins: np.ndarray, doubtful: bool, weight: float) -> None:
        self.matcher = matcher
        self.text = text
        self.vectors = vectors  # a one-row matrix per encoder that has read it, in order
        self.margins = margins
        self.doubtful = doubtful
        self.weight = weight  # of the sentence model (see Matcher.sentence_weight)

    @property
    def first(self) -> np.ndarray:
        """The first encoder's vector of the question."""
        return self.vectors[0][0]

    def _read_by(self, count: int) -> list[Vectors]:
        sentence = self.matcher.sentence
        if len(self.vectors) < count:
            self.vectors += sentence.encode([self.text], start=len(self.vectors), stop=count)
        return self.vectors

    def probabilities(self, so_far: np.ndarray) -> np.ndarray:
        """The question's probabilities by every network where it is doubtful, else
        `so_far` (by the SVMs and the networks that have read it)."""
        if not self.doubtful:
            return so_far
        vectors = self._read_by(len(self.matcher.sentence.encoders))
        return self.matcher.meant_probabilities(self.margins[None, :], vectors, self.weight)[0]

    def near(self) -> np.ndarray:
        """The question's vector by the encoder that tells its scope."""
        sentence = self.matcher.sentence
        if sentence.near not in sentence.encoders:
            return sentence.near.encode([self.text])[0]
        at = sentence.encoders.index(sentence.near)
        return self._read_by(at + 1)[at][0]


class Matcher:
    """A fitted index over the phrasings of a knowledge base."""

    def __init__(self, *, entry_ids: list[str], views: list[View],
                 phrasings: sparse.csr_matrix, texts: list[str], owners: np.ndarray,
                 coef: np.ndarray | None,
                 intercept: np.ndarray | None, vocabulary: Vocabulary,
                 calibration: Calibration, digests: dict[str, str],
                 sentence: SentenceModel | None = None) -> None:
        self.entry_ids = entry_ids
        self.views = views  # characters, then words
        # Stored by feature: a question's few n-grams then touch only the phrasings that
        # share them (0.4 ms for 30,000 phrasings, against 40 ms row by row).
        self.by_feature = phrasings.T.tocsr()
        self.texts = texts  # the normalized phrasing of each row
        self.owners = owners
        # The SVM weights, a row per entry, in half precision: a question reads only the
        # columns of its own n-grams, so the rest may stay small.
        self.coef = None if coef is None else coef.astype(np.float16, copy=False)
        self.intercept = intercept
        self.vocabulary = vocabulary
        self.calibration = calibration
        self.digests = digests
        self.sentence = sentence
        # Each entry's phrasings are consecutive rows, so a question's best match per entry
        # is one reduceat over these starts.
        if len(owners) and np.any(np.diff(owners) < 0):
            raise ValueError("phrasing rows must be grouped by entry")
        self._starts = np.searchsorted(owners, np.arange(len(entry_ids)))
        self._common = common(np.diff(self.by_feature.indptr), len(owners))
        self._ends = np.append(self._starts[1:], len(owners)).astype(self._starts.dtype)

    @property
    def encoder_name(self) -> str | None:
        """The sentence encoder this index was learned with, if any (the first one)."""
        return self.sentence.names[0] if self.sentence else None

    @classmethod
    def fit(cls, pairs: Sequence[tuple[str, str]], encoder: Encoder | None = None,
            phrasing_vectors: PhrasingVectors = own_vectors,
            second: Encoder | None = None, terms: Encoder | None = None) -> Matcher:
        """Learn from (entry_id, normalized phrasing) pairs; with an encoder, from the
        phrasings' sentence vectors too (`phrasing_vectors`, by default the encoder's), and
        with the `second` encoder's as well, which also tell the scope of questions (see
        classifier.NEARNESS_QUANTILE), and with their latent `terms` where entries have few
        phrasings (see TERMS_BELOW)."""
        entry_ids = sorted({entry_id for entry_id, _ in pairs})
        position = {entry_id: i for i, entry_id in enumerate(entry_ids)}
        pairs = sorted(pairs, key=lambda pair: position[pair[0]])
        texts = [text for _, text in pairs]
        owners = np.array([position[entry_id] for entry_id, _ in pairs], dtype=np.int32)
        # In a large knowledge base an n-gram seen once is noise that only costs memory; in a
        # small one it may be all an entry has.
        min_df = 2 if len(texts) >= LARGE_KB else 1
        if not texts:
            empty = np.zeros(0, np.float32)
            return cls(entry_ids=[], views=_views([], empty, [], empty),
                       phrasings=sparse.csr_matrix((0, 0), dtype=np.float32), texts=[],
                       owners=owners,
                       coef=None, intercept=None, vocabulary=Vocabulary({}),
                       calibration=Calibration(), digests={})
        chars, char_matrix = View.fit(char_ngrams, texts, min_df, np.sqrt(CHAR_WEIGHT))
        words, word_matrix = View.fit(word_ngrams, texts, min_df, np.sqrt(WORD_WEIGHT))
        matrix = sparse.hstack([char_matrix, word_matrix], format="csr").astype(np.float32)
        coef = intercept = sentence = None
        calibration = Calibration()
        if len(entry_ids) > 1:
            vectors = groups = nearby = None
            if encoder is not None:
                encoders = [encoder]
                if second is not None:
                    encoders.append(second)
                    if terms is not None and len(texts) < TERMS_BELOW * len(entry_ids):
                        encoders.append(terms)
                vectors = [phrasing_vectors(each, texts) for each in encoders]
                if second is not None:
                    nearby = vectors[encoders.index(second)]
                sentence = SentenceModel.fit(encoders, vectors, texts, owners, len(entry_ids),
                                             near=second, nearby=nearby)
                groups = sentence.groups
            calibration = calibrate(matrix, owners, texts, vectors, groups, nearby)
            coef, intercept = fit_svms(matrix, owners)
        return cls(entry_ids=entry_ids, views=[chars, words], phrasings=matrix,
                   texts=texts, owners=owners, coef=coef, intercept=intercept,
                   vocabulary=Vocabulary.fit(texts), calibration=calibration,
                   digests=_digests(pairs), sentence=sentence)

    def updated(self, changed: dict[str, list[str]],
                phrasing_vectors: PhrasingVectors = own_vectors) -> Matcher:
        """A copy with some entries' phrasings replaced (an empty list removes the entry).

        Only what those entries touch is recomputed: their rows of the phrasing matrix, and
        for each one its own one-against-the-rest SVM learned against every current
        phrasing; the sentence model continues from where it was, so the optimizer mostly
        moves the changed entries. The n-gram vocabulary, the other entries' SVMs and the
        calibration stay as they were, so a full rebuild is still due once many entries
        have changed, or for phrasings the vocabulary does not read (see `reads`).
        """
        gone = {self.entry_ids.index(e) for e in changed if e in self.digests}
        kept = [i for i in range(len(self.entry_ids)) if i not in gone]
        renumber = np.full(len(self.entry_ids), -1, dtype=np.int32)
        renumber[kept] = np.arange(len(kept), dtype=np.int32)
        rows = np.flatnonzero(renumber[self.owners] >= 0)
        entry_ids = [self.entry_ids[i] for i in kept]
        blocks, owners = [self.by_feature.T.tocsr()[rows]], [renumber[self.owners[rows]]]
        texts = [self.texts[i] for i in rows]
        added = [(entry_id, phrasings) for entry_id, phrasings in changed.items() if phrasings]
        for entry_id, phrasings in added:
            entry_ids.append(entry_id)
            blocks.append(self.vectors(phrasings))
            owners.append(np.full(len(phrasings), len(entry_ids) - 1, dtype=np.int32))
            texts += phrasings
        matrix = sparse.vstack(blocks, format="csr").astype(np.float32)
        owner = np.concatenate(owners)
        positives = [owner == entry_ids.index(entry_id) for entry_id, _ in added]
        coef = intercept = sentence = None
        if self.coef is not None:
            coef, intercept = _appended(self.coef[kept], self.intercept[kept],
                                        [fit_one_svm(matrix, p) for p in positives])
        if self.sentence is not None:
            rows = np.concatenate([kept, np.full(len(added), -1)]).astype(int)
            start = [network.rows(rows) for network in self.sentence.entry_networks()]
            encoders, near = self.sentence.encoders, self.sentence.near
            sentence = SentenceModel.fit(
                encoders, [phrasing_vectors(encoder, texts) for encoder in encoders], texts,
                owner, len(entry_ids), start, near,
                None if near is None else phrasing_vectors(near, texts))
        digests = {e: d for e, d in self.digests.items() if e not in changed}
        digests.update({e: entry_digest(phrasings) for e, phrasings in added})
        vocabulary = self.vocabulary.with_words(
            word for _, phrasings in added for text in phrasings for word in text.split())
        return Matcher(entry_ids=entry_ids, views=self.views,
                       phrasings=matrix, texts=texts, owners=owner, coef=coef,
                       intercept=intercept, vocabulary=vocabulary,
                       calibration=self.calibration, digests=digests, sentence=sentence)

    def reads(self, phrasings: Sequence[str]) -> bool:
        """Whether an update can learn normalized `phrasings`: at least MIN_KNOWN_NGRAMS of
        their character n-grams are features of the index."""
        chars = self.views[0]
        grams = [gram for text in phrasings for gram in chars.analyze(text)]
        known = sum(gram in chars.vocabulary for gram in grams)
        return known >= MIN_KNOWN_NGRAMS * len(grams)

    def warm(self) -> None:
        """Wait for the sentence encoder's weights (they load in the background, see
        encoder.py), so that a first question is timed like any other."""
        if self.sentence is not None:
            self.sentence.encode([""])

    def twin_ids(self) -> dict[str, str]:
        """Each entry linked across languages and its twin, both ways (see linking.py)."""
        if self.sentence is None:
            return {}
        ids = self.entry_ids
        return {ids[one]: ids[other] for pair in self.sentence.twins.tolist()
                for one, other in (pair, pair[::-1])}

    def vectors(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """TF-IDF vectors of normalized texts (character and word views side by side)."""
        return vectors(self.views, texts)

    def coverage(self, normalized: str, lang: str | None) -> float:
        """Coverage of the question (in `lang`) relative to a typical in-scope question in
        that language, in [0, 1]."""
        typical = max(self.calibration.coverage_of(lang), 1e-6)
        return min(1.0, self.vocabulary.coverage(normalized) / typical)

    def margins(self, vectors: sparse.csr_matrix) -> np.ndarray:
        """The SVMs' margin for each entry, one row per question (`vectors` are the
        questions' TF-IDF vectors); all equal when there is no classifier."""
        if self.coef is None:
            return np.zeros((vectors.shape[0], len(self.entry_ids)), dtype=np.float32)
        columns = np.unique(vectors.indices)
        return vectors[:, columns] @ self.coef[:, columns].T.astype(np.float32) + self.intercept

    def probabilities(self, margins: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of each entry from margins, one row per question."""
        return softmax(margins * self.calibration.temperature)

    def sentence_weight(self, dialect: bool = False) -> float:
        """The weight of the sentence model's log-probabilities beside the SVMs' margins:
        as calibrated, and at least DIALECT_SENTENCE_WEIGHT for a question in dialect."""
        weight = self.calibration.sentence_weight
        return max(weight, DIALECT_SENTENCE_WEIGHT) if dialect else weight

    def meant_probabilities(self, margins: np.ndarray, encoded: Sequence[Vectors],
                            weights: float | np.ndarray) -> np.ndarray:
        """Calibrated probabilities from margins and the sentence model's reading of the
        same questions (`encoded`: a matrix per encoder that read them, see
        SentenceModel.log_probabilities) with the sentence model's weight (a column, a row
        per question, or one for all), one row per question."""
        return self.probabilities(margins + weights * self.sentence.log_probabilities(encoded))

    def similarities(self, vectors: sparse.csr_matrix) -> np.ndarray:
        """The best cosine similarity with each entry's phrasings, one row per question
        (without the n-grams common in a large knowledge base, see features.COMMON_SHARE)."""
        # The phrasings' rows of the questions' few n-grams, times those n-grams' weights as a
        # dense block: the sums are written straight into dense rows, where a sparse product
        # first counts, then builds, a sparse result (0.20 ms against 0.41 for a question,
        # 26,000 phrasings).
        kept = ~self._common[vectors.indices]
        columns, at = np.unique(vectors.indices[kept], return_inverse=True)
        rows = np.repeat(np.arange(vectors.shape[0]), np.diff(vectors.indptr))[kept]
        weights = np.zeros((len(columns), vectors.shape[0]), dtype=np.float32)
        weights[at, rows] = vectors.data[kept]
        sims = np.ascontiguousarray((self.by_feature[columns].T @ weights).T)
        return np.maximum.reduceat(sims, self._starts, axis=1)

    def meanings(self, encoded: np.ndarray, entries: np.ndarray,
                 rows: np.ndarray | None = None) -> np.ndarray:
        """The best sentence similarity of an encoded question with the phrasings of each
        of `entries`: by the first encoder, or by the encoder whose vectors of the phrasings
        are `rows` (the second encoder's `nearby`, in half precision, a slice at a time in
        single)."""
        rows = self.sentence.phrasings if rows is None else rows
        # Slices are views: no copy of the phrasings' vectors in single precision.
        return np.array([(rows[self._starts[e]:self._ends[e]].astype(np.float32, copy=False)
                          @ encoded).max() for e in entries])

    def _weighed(self, probabilities: np.ndarray, similarities: np.ndarray, coverage: float,
                 reading: Reading, lang: str | None = None, least: float = 0.0,
                 ) -> np.ndarray:
        """The confidences of an encoded question (in `lang`): the VOUCHED entries likeliest
        by words and probability have their best sentence similarity weighed in. A question
        whose words the knowledge base does not all know gets for those entries a coverage
        of at least what its meaning vouches for (see classifier.vouch); where its meaning
        is surely near none of them (classifier.MEANING_SURE), its coverage is weighed with
        its scope instead, by its nearest phrasing among those entries' by the second
        encoder (see classifier.scoped), unless even a full scope would leave every entry
        below the confidence `least`: the entries then have the most they could score by
        what the first encoder read, and no other encoder is asked (BANKING77: four in five
        out-of-scope questions). Neither applies to a fully covered question where meaning
        has no weight: its phrasings are not compared. A question the first encoder left
        unsure is read by the others as well (see Reading) unless so declined."""
        weight = self.calibration.meaning_weight
        if coverage >= 1 and not weight:
            return confidence(reading.probabilities(probabilities), similarities, coverage)
        scope = (coverage < 1 and self.sentence.near is not None
                 and self.calibration.least_nearness is not None)
        likely = meaning = None
        if scope:
            likely, meaning = self._meaning(probabilities, similarities, reading.first)
            if meaning[likely].max() < MEANING_SURE:
                # The scope is at most 1, so no entry can score more than with this cover.
                most = confidence(probabilities, similarities, np.sqrt(coverage), meaning,
                                  weight)
                if most.max() < least:
                    return most
        if likely is None or reading.doubtful:
            probabilities = reading.probabilities(probabilities)
            likely, meaning = self._meaning(probabilities, similarities, reading.first)
        cover = np.full(len(probabilities), coverage)
        if scope and meaning[likely].max() < MEANING_SURE:
            nearness = self.meanings(reading.near(), likely, self.sentence.nearby).max()
            cover[:] = scoped(coverage, self.calibration.scope(nearness, lang))
        elif coverage < 1:
            cover[likely] = np.maximum(coverage, vouch(meaning[likely]))
        return confidence(probabilities, similarities, cover, meaning, weight)

    def _meaning(self, probabilities: np.ndarray, similarities: np.ndarray,
                 encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The VOUCHED entries likeliest by words and probability, and the best sentence
        similarity of the question with each entry's phrasings, for those entries only."""
        likely = np.argsort(-(probabilities + similarities), kind="stable")[:VOUCHED]
        meaning = np.zeros(len(probabilities))
        meaning[likely] = self.meanings(encoded, likely)
        return likely, meaning

    def rank(self, normalized: str, limit: int = 5, written: str | None = None,
             floor: float = 0.0) -> list[Candidate]:
        """The best entries for a normalized question, most likely first; the encoder reads
        the question as `written` (by default, its normalized form); see rank_many for
        `floor`."""
        return self.rank_many([normalized], limit, None if written is None else [written],
                              floor)[0]

    def rank_many(self, questions: Sequence[str], limit: int = 5,
                  written: Sequence[str] | None = None, floor: float = 0.0,
                  ) -> list[list[Candidate]]:
        """rank() for many questions at once (one matrix product for all of them).

        Unknown word forms are first read as the knowledge base's words ("كيقطع" as
        "يقطع", see Vocabulary.read). The words decide alone when they are sure (see
        `sure`); the other questions are encoded and the sentence model's probabilities
        join the SVMs'.
        For an encoded question, each of the VOUCHED likeliest entries has its best sentence
        similarity with the question weighed in, and a coverage at least what that
        similarity vouches for (see classifier.vouch), or, where that similarity is not
        surely near, the coverage weighed with the question's scope by the second encoder
        (see `_weighed`),
        so that a dialect question whose words the knowledge base does not know is not taken
        for one on another topic, nor a question on another topic for one in dialect.
        A caller with no use for candidates scoring below `floor` (the answerer: below its
        "did you mean" threshold a question is declined) says so, and a question that could
        score no higher is spared the second encoder: its candidates then score the most
        they could, all below the floor."""
        if written is not None and len(written) != len(questions):
            raise ValueError(f"{len(written)} written forms for {len(questions)} questions")
        if not self.entry_ids:
            return [[] for _ in questions]
        with one_blas_thread():
            return self._rank_many(questions, limit, written, floor)

    def _rank_many(self, questions: Sequence[str], limit: int,
                   written: Sequence[str] | None, floor: float) -> list[list[Candidate]]:
        """rank_many() of a non-empty index, with one BLAS thread (see threads.py)."""
        questions = [self.vocabulary.read(question) for question in questions]
        vectors = self.vectors(questions)
        margins = self.margins(vectors)
        probabilities = self.probabilities(margins)
        similarities = self.similarities(vectors)
        languages = [script_language(question) for question in questions]
        dialects = ([False] * len(questions) if written is None
                    else [shows_dialect(text) for text in written])
        covers = [self.coverage(question, lang)
                  for question, lang in zip(questions, languages, strict=True)]
        readings: dict[int, Reading] = {}
        if self.sentence is not None:
            unsure = [row for row, cover in enumerate(covers)
                      if cover < 1 or not sure(confidence(probabilities[row],
                                                          similarities[row], 1.0))]
            if unsure:
                read = [questions[row] if written is None else sentence_text(written[row])
                        for row in unsure]
                every = len(self.owners) < EVERY_ENCODER_BELOW * len(self.entry_ids)
                meant = self.sentence.encode(read, stop=None if every else 1)
                weights = np.array([self.sentence_weight(dialects[row]) for row in unsure],
                                   dtype=np.float32)  # single precision, as the margins
                probabilities[unsure] = self.meant_probabilities(margins[unsure], meant,
                                                                 weights[:, None])
                more = not every and len(self.sentence.encoders) > 1
                for i, row in enumerate(unsure):
                    readings[row] = Reading(
                        self, read[i], [each[i:i + 1] for each in meant], margins[row],
                        doubtful=more and not sure(
                            confidence(probabilities[row], similarities[row], 1.0),
                            *meant_sure_bounds(dialects[row])),
                        weight=float(weights[i]))
        ranked = []
        for row, cover in enumerate(covers):
            boost = self.boost(languages[row], dialects[row])
            if row in readings:
                scores = self._weighed(probabilities[row], similarities[row], cover,
                                       readings[row], languages[row], floor / boost)
            else:
                scores = confidence(probabilities[row], similarities[row], cover)
            if self.sentence is not None:
                scores = self.sentence.in_language(scores, languages[row])
            # Ranked before the cap: entries raised past 1.0 keep the order of their evidence.
            scores = scores * boost
            ranked.append([Candidate(self.entry_ids[i], float(scores[i]))
                           for i in np.argsort(-scores, kind="stable")[:limit] if scores[i] > 0])
        return ranked

    def boost(self, lang: str | None, dialect: bool = False) -> float:
        """How much to raise the confidences of a question in `lang` so that a typical
        unseen in-scope question scores about what it would in a well-populated knowledge
        base (and thresholds keep their meaning when every entry has only a few phrasings),
        and more for a question in dialect (see DIALECT_BOOST)."""
        typical = self.calibration.confidence_of(lang)
        raised = 1.0 if not typical else float(
            np.clip(REFERENCE_CONFIDENCE / typical, 1.0, MAX_BOOST))
        return raised * (DIALECT_BOOST if dialect else 1.0)

    def to_bytes(self) -> bytes:
        """The fitted index as one blob (numpy arrays, no pickle) for the database."""
        meta = {"format": INDEX_FORMAT, "entry_ids": self.entry_ids, "digests": self.digests,
                "chars": self.views[0].terms, "words": self.views[1].terms,
                "word_idf": self.vocabulary.idf,
                "calibration": asdict(self.calibration),
                "encoders": self.sentence.names if self.sentence else [],
                "near": self.sentence.near.name if self.sentence and self.sentence.near else None}
        arrays = {"meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8),
                  "char_idf": self.views[0].idf, "word_view_idf": self.views[1].idf,
                  "data": self.by_feature.data, "indices": self.by_feature.indices,
                  "indptr": self.by_feature.indptr,
                  "shape": np.array(self.by_feature.shape), "owners": self.owners,
                  "texts": _joined(self.texts)}
        if self.coef is not None:
            # Half precision (as held in memory) halves the blob; scores agree to 3 decimals.
            arrays.update(coef=self.coef, intercept=self.intercept)
        if self.sentence is not None:
            for i, network in enumerate(self.sentence.networks):
                arrays.update({f"sentence_{i}_{part}": getattr(network, part)
                               for part in NETWORK_PARTS})
            arrays.update(sentence_groups=self.sentence.groups, sentence_twins=self.sentence.twins,
                          sentence_phrasings=self.sentence.phrasings.astype(np.float16))
            if self.sentence.nearby is not None:
                arrays.update(sentence_nearby=self.sentence.nearby)
        return pack(arrays)

    @classmethod
    def from_bytes(cls, blob: bytes | BinaryIO, encoder_name: str | None) -> Matcher:
        """An index saved by to_bytes() (the bytes, or a file to read them from); StaleIndex
        if an older version of the code saved it, or it was learned with another sentence
        encoder than `encoder_name` (None: without one); ValueError if it is no index."""
        arrays = unpack(blob)
        meta = json.loads(arrays["meta"].tobytes().decode())
        if meta.get("format") != INDEX_FORMAT:
            raise StaleIndex(f"index format {meta.get('format')}, this code reads {INDEX_FORMAT}")
        sentence = None
        if meta["encoders"]:
            sentence = SentenceModel(
                _encoders(meta["encoders"], encoder_name),
                tuple(SentenceNetwork(*(arrays[f"sentence_{i}_{part}"]
                                        for part in NETWORK_PARTS))
                      for i in range(len(meta["encoders"]))),
                arrays["sentence_groups"], arrays["sentence_phrasings"].astype(np.float32),
                _second(meta["near"]) if meta["near"] else None,
                arrays.get("sentence_nearby"), arrays["sentence_twins"])
        elif encoder_name is not None and "coef" in arrays:
            raise StaleIndex(f"index learned without the encoder {encoder_name}")
        return cls(
            entry_ids=meta["entry_ids"],
            views=_views(meta["chars"], arrays["char_idf"], meta["words"],
                         arrays["word_view_idf"]),
            phrasings=sparse.csr_matrix(
                (arrays["data"], arrays["indices"], arrays["indptr"]),
                shape=tuple(arrays["shape"])).T,
            texts=_split(arrays["texts"]),
            owners=arrays["owners"],
            coef=arrays.get("coef", None),
            intercept=arrays.get("intercept", None),
            vocabulary=Vocabulary(meta["word_idf"]),
            calibration=Calibration(**meta["calibration"]),
            digests=meta["digests"],
            sentence=sentence,
        )


def _encoders(names: Sequence[str], encoder_name: str | None) -> tuple[Encoder, ...]:
    """The encoders a stored index was learned with, as this process has them; StaleIndex if
    its first one is not `encoder_name` or the others cannot be used here."""
    if names[0] != encoder_name:
        raise StaleIndex(f"index learned with the encoder {names[0]}")
    if names[2:] not in ([], [TERMS_NAME]):
        raise StaleIndex(f"index learned with the encoders {names}")
    encoders = [shared_encoder()]
    if len(names) > 1:
        encoders.append(_second(names[1]))
    if len(names) > 2:
        encoders.append(terms_encoder())
    return tuple(encoders)


def _second(name: str) -> Encoder:
    """The second encoder, which a stored index was learned with under `name`; StaleIndex
    if it cannot be used here."""
    if name != SECOND_NAME or not second_encoder_enabled():
        raise StaleIndex(f"index learned with the second encoder {name}")
    return second_encoder()
