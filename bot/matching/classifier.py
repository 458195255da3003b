"""The per-entry classifier: one linear SVM per entry, and how far to trust its margins.

LinearSVC (one entry against the rest) is as accurate as logistic regression on this kind
of data and learns tens of times faster. Its margins become probabilities through a softmax
whose temperature is calibrated on the knowledge base's own phrasings.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from bot.matching.vocabulary import Vocabulary

# Less regularization than LinearSVC's default: on BANKING77, +0.2 points of accuracy in
# English and Arabic at the default thresholds (+0.3 / +0.4 answering everything), also on
# Arabic questions without a near-paraphrase among the phrasings; -0.6 / -0.3 points with
# ten phrasings per intent.
CLASSIFIER_C = 2.0
DEFAULT_TEMPERATURE = 5.0
TEMPERATURES = np.geomspace(0.5, 50, 40)
HELD_OUT_SHARE = 5  # one phrasing in five
# The sentence model: logistic regression on sentence vectors. Its log-probabilities are
# added to the SVM margins with this weight (BANKING77: +1.6 points English, +0.3 Arabic,
# +6 points with ten phrasings per intent; weights 0.1-0.3 are all within 0.3 points).
SENTENCE_C = 10.0
SENTENCE_ITERATIONS = 60  # converged to within 0.1 point of accuracy; 5x faster than 300
SENTENCE_WEIGHT = 0.15
# A question whose words the knowledge base does not know (a dialect, other wording) is
# still in scope if its meaning is close to an entry's phrasings: from this sentence
# similarity on (USE-m v3 cosine) its meaning vouches for it fully, and less and less down
# to nothing MEANING_SPAN below. Measured on BANKING77 with Saudi and Moroccan questions and
# 301 on other topics (nine in ten of which stay below 0.6), and on this bot's own
# held-out questions (near-topic ones up to 0.65).
MEANING_VOUCHES = 0.65
MEANING_SPAN = 0.2

# One score or an array of them: the same formulas serve rank() and calibrate().
Score = float | np.ndarray


@dataclass(frozen=True)
class Calibration:
    """What held-out phrasings of the knowledge base say about its scores.

    `temperature` turns SVM margins into probabilities that match how often they are right;
    `typical_coverage` is how much of an unseen in-scope question this knowledge base's
    vocabulary usually covers (lower when entries have few phrasings); `typical_confidence`
    is the median confidence an unseen in-scope question gets for its entry (lower when
    entries have few phrasings, for questions on other topics too).
    """

    temperature: float = DEFAULT_TEMPERATURE
    typical_coverage: float = 1.0
    typical_confidence: float | None = None


def vouch(meaning: Score) -> Score:
    """How far a question's best sentence similarity with an entry's phrasings vouches
    that it is in scope, in [0, 1] (see MEANING_VOUCHES)."""
    return np.clip((meaning - MEANING_VOUCHES) / MEANING_SPAN + 1, 0.0, 1.0)


def confidence(probability: Score, similarity: Score, coverage: Score) -> Score:
    """How sure the matcher is of an entry, in [0, 1] before any boost (see matcher.py):
    `similarity` is the question's best with the entry's phrasings, `coverage` how much of
    it the knowledge base knows, or how far its meaning vouches for it."""
    return (probability + similarity) / 2 * coverage ** 2


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


def fit_sentence_model(vectors: np.ndarray, labels: np.ndarray, n_labels: int,
                       start: tuple[np.ndarray, np.ndarray] | None = None,
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression over sentence vectors: weights and intercepts, a row
    per label (a label without phrasings gets no weight and a very low intercept).

    `start` (weights and intercepts of every label) continues an earlier fit: after a few
    entries changed, the rest of the model is already where it belongs, and the optimizer
    only has to find the changed ones.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    present = np.unique(labels)
    model = LogisticRegression(C=SENTENCE_C, max_iter=SENTENCE_ITERATIONS,
                               warm_start=start is not None)
    if start is not None and len(present) > 2:
        model.coef_, model.intercept_ = start[0][present], start[1][present]
    with warnings.catch_warnings():  # stopping early is the point (see SENTENCE_ITERATIONS)
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(vectors, labels)
    coef = np.zeros((n_labels, vectors.shape[1]), dtype=np.float32)
    intercept = np.full(n_labels, -30.0, dtype=np.float32)
    if len(present) == 2:  # scikit-learn keeps one side of a binary model
        coef[present] = np.vstack([-model.coef_[0], model.coef_[0]]) / 2
        intercept[present] = np.array([-model.intercept_[0], model.intercept_[0]]) / 2
    else:
        coef[present] = model.coef_
        intercept[present] = model.intercept_
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
              vectors: np.ndarray | None = None,
              groups: np.ndarray | None = None) -> Calibration:
    """Hold out one phrasing in five of every entry that has at least three, learn from the
    rest, and measure the held-out phrasings: the temperature under which they are most
    likely, the median share of their words the rest of the knowledge base knows, and the
    median confidence they get for their own entry.

    `vectors` are the phrasings' sentence vectors and `groups` the sentence model's label of
    each entry (see linking.py), when the encoder is on."""
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
    similarities = best_by_entry(matrix, owners, held)
    if vectors is not None:
        groups = np.arange(coef.shape[0]) if groups is None else groups
        weights, bias = fit_sentence_model(vectors[~held], groups[owners[~held]],
                                           int(groups.max()) + 1)
        margins += SENTENCE_WEIGHT * log_softmax(vectors[held] @ weights.T + bias)[:, groups]
    losses = [
        -np.log(softmax(margins * t)[np.arange(len(truth)), truth] + 1e-12).mean()
        for t in TEMPERATURES
    ]
    temperature = float(TEMPERATURES[int(np.argmin(losses))])
    vocabulary = Vocabulary.fit(texts[i] for i in np.flatnonzero(~held))
    coverages = np.array([vocabulary.coverage(texts[i]) for i in np.flatnonzero(held)])
    typical_coverage = float(np.median(coverages))
    # The confidence each held-out phrasing gets for its own entry, as rank() computes it.
    probabilities = softmax(margins * temperature)[np.arange(len(truth)), truth]
    coverages = np.minimum(1.0, coverages / max(typical_coverage, 1e-6))
    if vectors is not None:
        coverages = np.maximum(coverages, vouch(best_by_entry(vectors, owners, held)))
    typical = float(np.median(confidence(probabilities, similarities, coverages)))
    return Calibration(temperature, typical_coverage, typical)


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
