"""The per-entry classifiers and how far to trust them.

One linear SVM per entry over n-grams: LinearSVC (one entry against the rest) is as
accurate as logistic regression on this kind of data and learns tens of times faster. With
the sentence encoder, a small network over sentence vectors (SentenceNetwork) adds its
log-probabilities. The sum becomes probabilities through a softmax whose temperature, and
the sentence model's weight in the sum, are calibrated on the knowledge base's own
phrasings.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse

from bot.matching.features import common, without
from bot.matching.vocabulary import Vocabulary
from bot.text.language import script_language

# Less regularization than LinearSVC's default: on BANKING77, +0.2 points of accuracy in
# English and Arabic at the default thresholds (+0.3 / +0.4 answering everything), also on
# Arabic questions without a near-paraphrase among the phrasings; -0.6 / -0.3 points with
# ten phrasings per intent.
CLASSIFIER_C = 2.0
DEFAULT_TEMPERATURE = 5.0
TEMPERATURES = np.geomspace(0.5, 50, 40)
HELD_OUT_SHARE = 5  # one phrasing in five
MIN_HELD_OUT_LANGUAGE = 20  # held-out phrasings of a language that tell its typical coverage
# The typical confidence of unseen in-scope questions is their lower quartile: thresholds
# act on the low end of in-scope confidences, which spreads further than the median where
# entries have few phrasings.
CONFIDENCE_QUANTILE = 0.25
# The sentence model: a network of one hidden layer of rectified units over sentence
# vectors, as intent detectors built on sentence encoders use (Casanueva et al., 2020).
# BANKING77: right 91.8% (English) and 86.7% (Arabic) by itself, against 90.9 / 84.3% for
# logistic regression over the same vectors. It learns for about SENTENCE_STEPS batches, so
# a knowledge base of ten phrasings an entry is learned as thoroughly as one of a hundred.
# Its hidden layer grows with the phrasings, a unit for every SENTENCE_ROWS_PER_UNIT within
# SENTENCE_UNITS: BANKING77 gains 0.3 points English and Arabic from 1,024 units over 512,
# while a knowledge base of a thousand phrasings is as accurate with 256 and learns in a
# quarter of the time.
SENTENCE_UNITS = (256, 1024)
SENTENCE_ROWS_PER_UNIT = 16
SENTENCE_ALPHA = 1e-3  # L2 penalty
SENTENCE_BATCH = 256
SENTENCE_STEPS = 2000
SENTENCE_EPOCHS = (30, 200)
# Where labels have few phrasings (fewer than SENTENCE_NOISE_BELOW on average), every
# phrasing's vector is displaced each epoch by Gaussian noise of this deviation per
# dimension (a unit vector's dimensions are about 0.044 apart), so the network learns the
# neighbourhood of a phrasing rather than its point. BANKING77 with ten phrasings an intent:
# +0.2 to +1.0 English and +1.2 to +1.5 Arabic points for the whole matcher (three runs;
# the sentence model alone, four seeds: +0.3 / +0.6; 0.02 to 0.04 alike, 0.08 too much);
# the curated knowledge (about 35 an entry) declines one more question. With every phrasing it
# changes nothing for the better: 0.1 to 0.4 points lower, and a network less sure of
# itself makes calibration lean on it more, so more questions wait for the encoder (p50
# 2.8 to 4.8 ms). Learning each phrasing in a second reading as well (Arabic folded as the
# lexical matcher reads it, English as written with its punctuation: the encoders place the
# two apart) lifts the three networks alone (ten an intent, one sample, networks of three
# seeds) from 74.7, 74.9, 74.2 to 75.8, 75.7, 75.8 % of Arabic questions, but not the
# matcher (two samples: English 85.0, 84.9 to 84.5, 84.7 %, Arabic 76.3, 75.4 to 76.3,
# 75.6 %) for another encoding of every phrasing by every encoder, so it is not done.
SENTENCE_NOISE = 0.03
SENTENCE_NOISE_BELOW = 50
# The network's optimizer (scikit-learn's defaults for Adam), which _fit_rows follows.
ADAM_RATE = 1e-3
ADAM_BETAS = (0.9, 0.999)
# Its log-probabilities (the mean of its networks', see matcher.SentenceModel) are added to
# the SVM margins with the weight (one of these) that ranks the most held-out phrasings
# first (see _weigh): the sentence model counts for more where entries have few phrasings
# (BANKING77: 0.15 with every phrasing, 0.3 with ten an intent; this bot's own knowledge,
# 0.6). Up to 1.0, since the networks' mean weighs half their sum.
SENTENCE_WEIGHTS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 1.0)
DEFAULT_SENTENCE_WEIGHT = 0.15
# Where entries have fewer phrasings than FEW_WEIGHT_BELOW on average, the default is
# FEW_SENTENCE_WEIGHT, which ranks the most test questions first there (BANKING77 with ten
# phrasings an intent, three samples, the questions ranked by the matcher's formula with
# each weight: 0.3, 84.3 / 75.0 %; 0.5, 85.4 / 75.9 %; 0.6, 85.5 / 76.1 %; 1.0, 85.5 /
# 75.9 %), and which this bot's own knowledge chose by itself.
FEW_SENTENCE_WEIGHT = 0.6
FEW_WEIGHT_BELOW = 50
# Another weight replaces the default only if it ranks this share more held-out phrasings
# first: a near tie is noise, and a heavier sentence model makes fewer questions sure by
# words alone (see matcher.sure), so more of them wait for the encoder (BANKING77 with
# every phrasing: 0.2 won by a hair and p50 went from 2.8 to 4.1 ms). Nor unless it wins
# beyond chance (see _significant): with ten phrasings an intent, 308 held-out phrasings
# chose 0.3 over 0.6 by four of them against none, and 0.5 by three against none; the
# English test questions were then answered right 0.5 and 0.4 points less often. A gain of
# half a point is still a near tie: with every phrasing, 0.3 ranked 0.51 points more of the
# 5,836 held-out phrasings first (53 against 23), and on questions written apart from them
# it answered fewer right (Arabic validation file 94.5 to 94.3 %, Moroccan 78.2 to 77.0 %
# and 76.1 to 74.4 % of those never looked at, Egyptian 87.5 to 86.2 %; Saudi 82.2 to
# 83.6 %, out of scope declined 93.1 to 93.9 %), at twice the median time.
WEIGHT_GAIN = 0.01
WEIGHT_SIGNIFICANCE = 0.05
# A question whose words the knowledge base does not know (a dialect, other wording) is
# still in scope if its meaning is close to an entry's phrasings: from this sentence
# similarity on (USE-m v3 cosine) its meaning vouches for it fully, and less and less down
# to nothing MEANING_SPAN below. Measured on BANKING77 with Saudi and Moroccan questions and
# 301 on other topics (nine in ten of which stay below 0.6), and on this bot's own
# held-out questions (near-topic ones up to 0.65).
MEANING_VOUCHES = 0.65
MEANING_SPAN = 0.2
# Where entries have this many phrasings on average, the question's best sentence
# similarity with an entry's phrasings is evidence beside the best lexical one, with this
# weight in the confidence. BANKING77 (about 190 an intent): 0.3 points more English and
# 0.7 more Arabic questions answered right for as many out-of-scope ones declined. Among
# few phrasings the nearest by meaning is a poor witness: with ten an intent it is right
# for half the Arabic questions, and the weight costs 5 points of them. Held-out phrasings
# of the knowledge base did not tell the two cases apart (0.3 points of them ranked first
# either way with ten an intent), so the number of phrasings decides.
MEANING_FROM = 50
MEANING_WEIGHT = 1.0
# Whether a question whose words the knowledge base does not all know is in its scope is
# also read from its distance to the nearest phrasing in the second encoder's space (see
# encoder.SECOND_NAME): nearest-neighbour detection of questions out of scope (Sun et al.,
# 2022), which multilingual-e5 does far better than words or the first encoder (BANKING77,
# 191 Moroccan questions against 239 Arabic ones on other topics: e5 ranks a Moroccan one
# nearer 97.9% of the time, USE 82.4%, lexical coverage 86.6%). Few unseen in-scope
# questions are farther from their nearest phrasing than the NEARNESS_QUANTILE of held-out
# phrasings are from the others (per language); from there down, the question's scope
# halves every NEARNESS_HALVING times the held-out phrasings' spread of nearness (from that
# quantile to the median), a scale that holds for knowledge bases whose phrasings lie
# closer or farther apart. The scope is weighed with the coverage (see `scoped`).
NEARNESS_QUANTILE = 0.05
NEARNESS_HALVING = 1.0
# Where the first encoder finds the question this near an entry's phrasings, its meaning
# vouches for it and the second encoder is not asked: BANKING77, it is asked for 2.4% of
# English and 5.0% of Arabic in-scope questions (of the 7.9% and 10.5% the words do not
# cover), which keeps its 20 ms off the rest. From 0.65, where vouching is full, questions
# on other topics slipped through: 3.1 points more of them answered.
MEANING_SURE = 0.75

# One score or an array of them: the same formulas serve rank() and calibrate().
Score = float | np.ndarray


@dataclass(frozen=True)
class Calibration:
    """What held-out phrasings of the knowledge base say about its scores.

    `temperature` turns SVM margins into probabilities that match how often they are right;
    `typical_coverage` is how much of an unseen in-scope question this knowledge base's
    vocabulary usually covers (lower when entries have few phrasings), and
    `language_coverage` the same for questions in each language (Arabic, whose words take
    clitics and many forms, is covered less where entries have few phrasings: BANKING77 with
    ten an intent, 0.86 against 1.0 in English); `typical_confidence`
    is the confidence an unseen in-scope question typically gets for its entry (the lower
    quartile, see CONFIDENCE_QUANTILE; lower when entries have few phrasings, for questions
    on other topics too), and
    `language_confidence` the same per language; `sentence_weight` is how much the sentence
    model's log-probabilities count beside the SVM margins, and `meaning_weight` how much
    the best sentence similarity counts in the confidence (see MEANING_FROM);
    `least_nearness` is the sentence similarity with its nearest phrasing that few unseen
    in-scope questions fall below, `language_nearness` the same per language, and
    `nearness_halving` how much farther halves the scope (see NEARNESS_QUANTILE; None
    without the second encoder).
    """

    temperature: float = DEFAULT_TEMPERATURE
    typical_coverage: float = 1.0
    typical_confidence: float | None = None
    sentence_weight: float = DEFAULT_SENTENCE_WEIGHT
    meaning_weight: float = 0.0
    language_coverage: Mapping[str, float] = field(default_factory=dict)
    language_confidence: Mapping[str, float] = field(default_factory=dict)
    least_nearness: float | None = None
    language_nearness: Mapping[str, float] = field(default_factory=dict)
    nearness_halving: float | None = None

    def coverage_of(self, lang: str | None) -> float:
        """How much of an unseen in-scope question in `lang` the vocabulary usually covers."""
        return self.language_coverage.get(lang, self.typical_coverage)

    def confidence_of(self, lang: str | None) -> float | None:
        """The typical confidence of an unseen in-scope question in `lang`."""
        return self.language_confidence.get(lang, self.typical_confidence)

    def nearness_of(self, lang: str | None) -> float | None:
        """The sentence similarity with its nearest phrasing that few unseen in-scope
        questions in `lang` fall below."""
        return self.language_nearness.get(lang, self.least_nearness)

    def scope(self, nearness: Score, lang: str | np.ndarray | None) -> Score:
        """How far a question in `lang` (or a question per language) is in scope, in
        (0, 1], by its nearest phrasing's sentence similarity, `nearness`: 1 from the least
        nearness of in-scope questions up, halving every `nearness_halving` below it (see
        NEARNESS_QUANTILE)."""
        if self.nearness_halving is None:
            return np.ones_like(nearness) if isinstance(nearness, np.ndarray) else 1.0
        least = (np.array([self.nearness_of(each or None) for each in lang])
                 if isinstance(lang, np.ndarray) else self.nearness_of(lang))
        return 2.0 ** (-np.maximum(0.0, least - nearness) / self.nearness_halving)


def vouch(meaning: Score) -> Score:
    """How far a question's best sentence similarity with an entry's phrasings vouches
    that it is in scope, in [0, 1] (see MEANING_VOUCHES)."""
    return np.clip((meaning - MEANING_VOUCHES) / MEANING_SPAN + 1, 0.0, 1.0)


def scoped(coverage: Score, scope: Score) -> Score:
    """The coverage of a question whose words the knowledge base does not all know, weighed
    with its scope by meaning (see NEARNESS_QUANTILE): their geometric mean, so that
    neither decides alone. Words the knowledge base lacks are what a question in dialect
    has (its meaning near) and what a question beside the topic has too (its meaning near
    as well, its words not): BANKING77 with Moroccan questions, and this bot's own questions
    on Bitcoin that its knowledge does not answer, need both."""
    return np.sqrt(coverage * scope)


def confidence(probability: Score, similarity: Score, coverage: Score, meaning: Score = 0.0,
               meaning_weight: float = 0.0) -> Score:
    """How sure the matcher is of an entry, in [0, 1] before any boost (see matcher.py):
    `similarity` is the question's best with the entry's phrasings, `meaning` its best
    sentence similarity with them, counted `meaning_weight` times (see MEANING_FROM),
    `coverage` how much of it the knowledge base knows, or how far its meaning vouches for
    it."""
    return ((probability + similarity + meaning_weight * meaning) / (2 + meaning_weight)
            * coverage ** 2)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_svms(matrix: sparse.csr_matrix, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A linear SVM per label (one against the rest): weights and intercepts, a row each."""
    from sklearn.svm import LinearSVC  # learning only: the bot starts without scikit-learn

    model = LinearSVC(C=CLASSIFIER_C)
    model.fit(matrix, labels)
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:  # two labels: scikit-learn keeps one side of the margin
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return coef.astype(np.float32), intercept.astype(np.float32)


@dataclass(frozen=True)
class SentenceNetwork:
    """The sentence model's weights: the centre of the vectors it learned from, a hidden
    layer, then a row of output weights per label.

    A sentence encoder's vectors share a large common direction (multilingual-e5's
    phrasings have cosines of about 0.8 with one another, whatever they say), which a
    network learning from a few phrasings an entry does not learn to look past: it reads
    each vector from the centre of its knowledge base's phrasings, at unit length (BANKING77,
    ten phrasings an intent and language: e5's network alone 77 -> 82 % English, 62 -> 69 %
    Arabic). A sparse encoder's vectors (the latent terms, see encoder.TERMS_NAME) share no
    such direction and are read as they are: their centre is zero."""

    center: np.ndarray  # (dimensions,)
    hidden: np.ndarray  # (dimensions, units)
    hidden_bias: np.ndarray
    coef: np.ndarray  # (labels, units)
    intercept: np.ndarray

    def features(self, vectors: np.ndarray | sparse.csr_matrix) -> np.ndarray:
        """The hidden layer's activations, one row per sentence vector."""
        read = vectors if sparse.issparse(vectors) else centered(vectors, self.center)
        return np.maximum(read @ self.hidden + self.hidden_bias, 0)

    def log_probabilities(self, vectors: np.ndarray | sparse.csr_matrix) -> np.ndarray:
        """log P(label | sentence), one row per sentence vector."""
        return log_softmax(self.features(vectors) @ self.coef.T + self.intercept)

    def rows(self, labels: np.ndarray) -> SentenceNetwork:
        """The same hidden layer with the output rows of `labels` (-1: a new, blank row)."""
        labels = np.asarray(labels)
        blank = labels < 0
        coef, intercept = self.coef[labels], self.intercept[labels]
        coef[blank], intercept[blank] = 0, 0
        return SentenceNetwork(self.center, self.hidden, self.hidden_bias, coef, intercept)


def fit_sentence_model(vectors: np.ndarray | sparse.csr_matrix, labels: np.ndarray,
                       n_labels: int, start: SentenceNetwork | None = None) -> SentenceNetwork:
    """Learn the sentence model from phrasings' vectors and labels, an output row per label
    (a label without phrasings gets no weight and a very low intercept). Sparse vectors
    are read as they are (see SentenceNetwork).

    `start` (with a row per label) keeps its hidden layer and the output rows it has; its
    blank rows (entries new or changed since) are learned over the hidden features (see
    _fit_rows), the others stay as they are.
    """
    from sklearn.exceptions import ConvergenceWarning

    present = np.unique(labels)
    if start is not None:
        center = start.center
    elif sparse.issparse(vectors):
        center = np.zeros(vectors.shape[1], dtype=np.float32)
    else:
        center = vectors.mean(axis=0)
    if start is None:
        read = vectors if sparse.issparse(vectors) else centered(vectors, center)
        with warnings.catch_warnings():  # a bounded number of steps is the point
            warnings.simplefilter("ignore", ConvergenceWarning)
            hidden, hidden_bias, coef, intercept = _fit_network(read, labels)
        if len(present) == 2:  # scikit-learn keeps one side of a binary model
            coef = np.vstack([-coef[0], coef[0]]) / 2
            intercept = np.array([-intercept[0], intercept[0]]) / 2
    else:
        hidden, hidden_bias = start.hidden, start.hidden_bias
        coef, intercept = start.coef[present], start.intercept[present]
        blank = ~coef.any(axis=1)  # a learned row is never all zeros
        coef, intercept = _fit_rows(start.features(vectors), np.searchsorted(present, labels),
                                    coef, intercept, blank)
    full_coef = np.zeros((n_labels, hidden.shape[1]), dtype=np.float32)
    full_intercept = np.full(n_labels, -30.0, dtype=np.float32)
    full_coef[present], full_intercept[present] = coef, intercept
    return SentenceNetwork(center.astype(np.float32, copy=False),
                           hidden.astype(np.float32, copy=False),
                           hidden_bias.astype(np.float32, copy=False),
                           full_coef, full_intercept)


def centered(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Sentence vectors read from `center`, at unit length."""
    moved = vectors - center
    return moved / np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-12)


def _fit_network(vectors: np.ndarray | sparse.csr_matrix,
                 labels: np.ndarray) -> tuple[np.ndarray, ...]:
    """Hidden weights and biases, output weights (a row per present label) and intercepts.
    Sparse vectors are learned as they are: noise would make them dense, 16,384 dimensions
    of every phrasing. Of those, a network learns only the dimensions some phrasing has:
    the others' weights would only decay from their random start, and add that noise to a
    question that has them; learning them took a third of the time."""
    from sklearn.neural_network import MLPClassifier

    batch, epochs = _schedule(vectors.shape[0])
    units = int(np.clip(vectors.shape[0] // SENTENCE_ROWS_PER_UNIT, *SENTENCE_UNITS))
    classes = np.unique(labels)
    model = MLPClassifier(hidden_layer_sizes=(units,), alpha=SENTENCE_ALPHA,
                          batch_size=batch, max_iter=epochs, random_state=0)
    if sparse.issparse(vectors):
        present = np.unique(vectors.indices)
        model.fit(vectors[:, present], labels)
        hidden = np.zeros((vectors.shape[1], units), dtype=model.coefs_[0].dtype)
        hidden[present] = model.coefs_[0]
        return hidden, model.intercepts_[0], model.coefs_[1].T, model.intercepts_[1]
    if vectors.shape[0] >= SENTENCE_NOISE_BELOW * len(classes):
        model.fit(vectors, labels)
    else:
        rng = np.random.default_rng(0)
        # One draw of noise, dealt to other phrasings each epoch: drawing anew every epoch
        # took a third of the time of learning.
        noise = rng.standard_normal(vectors.shape, dtype=np.float32) * np.float32(SENTENCE_NOISE)
        for _ in range(epochs):  # each epoch sees the phrasings a little displaced
            shift = int(rng.integers(len(vectors)))
            model.partial_fit(vectors + np.roll(noise, shift, axis=0), labels, classes=classes)
    return (model.coefs_[0], model.intercepts_[0], model.coefs_[1].T, model.intercepts_[1])


def _schedule(rows: int) -> tuple[int, int]:
    """The batch size and the number of epochs the network learns `rows` phrasings in."""
    batch = min(SENTENCE_BATCH, rows)
    return batch, int(np.clip(-(-SENTENCE_STEPS // -(-rows // batch)), *SENTENCE_EPOCHS))


def _fit_rows(features: np.ndarray, labels: np.ndarray, coef: np.ndarray,
              intercept: np.ndarray, learn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The output rows `learn` (a mask) learned over fixed hidden features, every other row
    kept, the way the network learned them all: from zero, by Adam, in its batches, with
    its penalty, for as many epochs (over the phrasings as they are, without noise).

    Learning every row again to convergence (a logistic regression) made the model surer of
    itself than the calibration measured: BANKING77, seven entries updated with their own
    phrasings cost 0.3 points of English and Arabic questions and 5 of Moroccan ones. Learned
    this way, the same update answers every test question as the full build did."""
    coef, intercept = coef.astype(np.float32), intercept.astype(np.float32)
    rows = np.flatnonzero(learn)
    if not len(rows):
        return coef, intercept
    kept = features @ coef[~learn].T + intercept[~learn]
    kept_top = kept.max(axis=1, initial=-np.inf)
    kept_sum = np.exp(kept - kept_top[:, None]).sum(axis=1)
    column = np.full(len(coef), -1)
    column[rows] = np.arange(len(rows))
    target = column[labels]  # each phrasing's learned row, -1 where its row is kept
    weights = np.zeros((len(rows), features.shape[1]), dtype=np.float32)
    biases = np.zeros(len(rows), dtype=np.float32)
    moments = [np.zeros_like(weights), np.zeros_like(biases)]
    squares = [np.zeros_like(weights), np.zeros_like(biases)]
    batch, epochs = _schedule(len(features))
    rng = np.random.default_rng(0)
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(features))
        for start in range(0, len(order), batch):
            at = order[start:start + batch]
            logits = features[at] @ weights.T + biases
            top = np.maximum(kept_top[at], logits.max(axis=1))
            exp = np.exp(logits - top[:, None])
            error = exp / (kept_sum[at] * np.exp(kept_top[at] - top) + exp.sum(axis=1))[:, None]
            own = target[at] >= 0
            error[np.flatnonzero(own), target[at][own]] -= 1
            grads = [(error.T @ features[at] + SENTENCE_ALPHA * weights) / len(at),
                     error.mean(axis=0)]
            step += 1
            for param, grad, moment, square in zip((weights, biases), grads, moments, squares,
                                                   strict=True):
                moment *= ADAM_BETAS[0]
                moment += (1 - ADAM_BETAS[0]) * grad
                square *= ADAM_BETAS[1]
                square += (1 - ADAM_BETAS[1]) * grad * grad
                rate = ADAM_RATE * np.sqrt(1 - ADAM_BETAS[1] ** step) / (1 - ADAM_BETAS[0] ** step)
                param -= rate * moment / (np.sqrt(square) + 1e-8)
    coef[rows], intercept[rows] = weights, biases
    return coef, intercept


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log of softmax()."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def fit_one_svm(matrix: sparse.csr_matrix, positive: np.ndarray) -> tuple[np.ndarray, float]:
    """The SVM of one label against every other row, as fit_svms() would learn it."""
    from sklearn.svm import LinearSVC

    model = LinearSVC(C=CLASSIFIER_C).fit(matrix, positive)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def calibrate(matrix: sparse.csr_matrix, owners: np.ndarray, texts: Sequence[str],
              vectors: Sequence[np.ndarray] | None = None,
              groups: np.ndarray | None = None,
              nearby: np.ndarray | None = None) -> Calibration:
    """Hold out one phrasing in five of every entry that has at least three, learn from the
    rest, and measure the held-out phrasings: the temperature under which they are most
    likely, the median share of their words the rest of the knowledge base knows, and the
    lower quartile of the confidence they get for their own entry (see CONFIDENCE_QUANTILE),
    both overall and per language. With the encoder, also the weight of the sentence model
    that ranks most of them first (see `_weigh`).

    `vectors` are the phrasings' sentence vectors, a matrix per encoder (the sentence model
    adds the log-probabilities of a network over each), and `groups` the sentence model's
    label of each entry (see linking.py), when the encoder is on; `nearby` the second
    encoder's vectors of them, which tell the scope of questions the words do not cover
    (see NEARNESS_QUANTILE)."""
    rng = np.random.default_rng(0)
    held = np.zeros(len(owners), dtype=bool)
    for entry in np.unique(owners):
        rows = np.flatnonzero(owners == entry)
        if len(rows) >= 3:
            held[rng.choice(rows, size=max(1, len(rows) // HELD_OUT_SHARE), replace=False)] = True
    if held.sum() < 10:
        return Calibration()
    coef, intercept = fit_svms(matrix[~held], owners[~held])
    margins = matrix[held] @ coef.T + intercept
    truth = owners[held]
    every_similarity = best_of_each_entry(matrix, owners, held)
    similarities = every_similarity[np.arange(len(truth)), truth]
    meant = np.zeros_like(margins)
    weights: Sequence[float] = (DEFAULT_SENTENCE_WEIGHT,)
    default = DEFAULT_SENTENCE_WEIGHT
    if vectors is not None:
        groups = np.arange(coef.shape[0]) if groups is None else groups
        meant = sum(fit_sentence_model(matrix[~held], groups[owners[~held]],
                                       int(groups.max()) + 1).log_probabilities(matrix[held])
                    for matrix in vectors)[:, groups] / len(vectors)
        weights = SENTENCE_WEIGHTS
        if len(owners) < FEW_WEIGHT_BELOW * (owners.max() + 1):
            default = FEW_SENTENCE_WEIGHT
    temperature, weight = _weigh(margins, meant, every_similarity, truth, weights, default)
    margins += weight * meant
    vocabulary = Vocabulary.fit(texts[i] for i in np.flatnonzero(~held))
    coverages = np.array([vocabulary.coverage(texts[i]) for i in np.flatnonzero(held)])
    languages = np.array([script_language(texts[i]) or "" for i in np.flatnonzero(held)])
    calibration = Calibration(typical_coverage=float(np.median(coverages)),
                              language_coverage=_typical(coverages, languages))
    # The confidence each held-out phrasing gets for its own entry, as rank() computes it.
    probabilities = softmax(margins * temperature)[np.arange(len(truth)), truth]
    typical_coverages = np.array([calibration.coverage_of(lang or None) for lang in languages])
    coverages = np.minimum(1.0, coverages / np.maximum(typical_coverages, 1e-6))
    meaning, meaning_weight = np.zeros(len(truth)), 0.0
    if vectors is not None:
        meaning = best_by_entry(vectors[0], owners, held)
        if len(owners) >= MEANING_FROM * (owners.max() + 1):
            meaning_weight = MEANING_WEIGHT
        vouched = vouch(meaning)
        kept = np.ones(len(coverages), dtype=bool)
        if nearby is not None:
            nearness = nearest_learned(nearby, held)
            least = float(np.quantile(nearness, NEARNESS_QUANTILE))
            calibration = replace(
                calibration, least_nearness=least,
                language_nearness=_typical(nearness, languages, NEARNESS_QUANTILE),
                nearness_halving=max(NEARNESS_HALVING * (float(np.median(nearness)) - least),
                                     1e-3))
            # As rank() does: where the meaning is not surely near, the scope weighs in.
            kept = (coverages >= 1) | (meaning >= MEANING_SURE)
            coverages[~kept] = scoped(coverages[~kept],
                                      calibration.scope(nearness[~kept], languages[~kept]))
        coverages[kept] = np.maximum(coverages[kept], vouched[kept])
    confidences = confidence(probabilities, similarities, coverages, meaning, meaning_weight)
    return replace(calibration, temperature=temperature,
                   typical_confidence=float(np.quantile(confidences, CONFIDENCE_QUANTILE)),
                   language_confidence=_typical(confidences, languages, CONFIDENCE_QUANTILE),
                   sentence_weight=weight, meaning_weight=meaning_weight)


def _typical(values: np.ndarray, languages: np.ndarray, quantile: float = 0.5,
             ) -> dict[str, float]:
    """A quantile of `values` per language (by default the median), for languages with
    enough held-out phrasings."""
    return {str(lang): float(np.quantile(values[languages == lang], quantile))
            for lang in np.unique(languages)
            if lang and (languages == lang).sum() >= MIN_HELD_OUT_LANGUAGE}


def _weigh(margins: np.ndarray, meant: np.ndarray, similarities: np.ndarray,
           truth: np.ndarray, weights: Sequence[float],
           default_weight: float = DEFAULT_SENTENCE_WEIGHT) -> tuple[float, float]:
    """The sentence model's weight that ranks the most held-out phrasings first by
    confidence (of weights that rank as many, the one under which they are likelier), and
    the temperature under which they are most likely with it. The default weight stays
    unless another ranks at least WEIGHT_GAIN more of them first, beyond chance.

    Ranking rather than likelihood chooses the weight: where entries have few phrasings the
    network is sure of itself on the phrasings it learned, which likelihood punishes more
    than ranking does (BANKING77 with ten phrasings an intent: likelihood 0.1, ranking 0.3,
    worth 2.4 points on English test questions)."""
    rows = np.arange(len(truth))
    candidates, right = [], {}
    for weight in weights:
        combined = margins + weight * meant
        loss, temperature = min(
            (-np.log(softmax(combined * t)[rows, truth] + 1e-12).mean(), float(t))
            for t in TEMPERATURES)
        right[weight] = (softmax(combined * temperature) + similarities).argmax(axis=1) == truth
        candidates.append((-right[weight].mean(), loss, temperature, weight))
    best = min(candidates)
    default = next((c for c in candidates if c[3] == default_weight), best)
    chosen = best if (default[0] - best[0] >= WEIGHT_GAIN
                      and _significant(right[best[3]], right[default[3]])) else default
    return chosen[2], chosen[3]


def _significant(better: np.ndarray, than: np.ndarray) -> bool:
    """Whether the held-out phrasings ranked first by one weight (`better`) and not the
    other (`than`) outnumber those the other ranks first and not the first one beyond
    chance: a one-sided sign test at WEIGHT_SIGNIFICANCE over the phrasings where they
    disagree."""
    from scipy.stats import binomtest

    wins, losses = int((better & ~than).sum()), int((than & ~better).sum())
    return wins > losses and bool(binomtest(wins, wins + losses, alternative="greater"
                                            ).pvalue < WEIGHT_SIGNIFICANCE)


SIMILARITY_CHUNK = 256  # held-out rows compared at a time: bounded memory on large bases


def best_of_each_entry(matrix: sparse.csr_matrix, owners: np.ndarray,
                       held: np.ndarray) -> np.ndarray:
    """For each held-out row, its best cosine similarity with the learned rows of every
    entry (a column each), as rank() measures a question against the phrasings (without
    the common n-grams, see features.COMMON_SHARE)."""
    learned = matrix[~held].T.tocsc()
    starts = np.searchsorted(owners[~held], np.arange(owners.max() + 1))
    document_counts = np.bincount(matrix.indices, minlength=matrix.shape[1])
    held_rows = without(matrix[held], common(document_counts, matrix.shape[0]))
    return np.vstack([
        np.maximum.reduceat((held_rows[i:i + SIMILARITY_CHUNK] @ learned).toarray(), starts,
                            axis=1)
        for i in range(0, held_rows.shape[0], SIMILARITY_CHUNK)])


def nearest_learned(vectors: np.ndarray, held: np.ndarray) -> np.ndarray:
    """For each held-out row, its best dot product with any learned row (the cosine
    similarity of its nearest phrasing: the rows are unit vectors)."""
    learned = vectors[~held]
    rows = vectors[held]
    return np.concatenate([(rows[i:i + SIMILARITY_CHUNK] @ learned.T).max(axis=1)
                           for i in range(0, len(rows), SIMILARITY_CHUNK)])


def best_by_entry(rows: sparse.csr_matrix | np.ndarray, owners: np.ndarray,
                  held: np.ndarray) -> np.ndarray:
    """For each held-out row, its best dot product with the learned rows of its own entry
    (cosine similarity: the rows are unit vectors)."""
    held_rows = np.flatnonzero(held)
    truth = owners[held_rows]
    best = np.zeros(len(held_rows), dtype=np.float32)
    for entry in np.unique(truth):
        mine = truth == entry
        learned = np.flatnonzero(~held & (owners == entry))
        if len(learned):
            products = rows[held_rows[mine]] @ rows[learned].T
            if sparse.issparse(products):
                products = products.toarray()
            best[mine] = products.max(axis=1)
    return best
