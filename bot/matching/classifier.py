"""The per-entry classifier: one linear SVM per entry, and how far to trust its margins.

LinearSVC (one entry against the rest) is as accurate as logistic regression on this kind
of data and learns tens of times faster. Its margins become probabilities through a softmax
whose temperature is calibrated on the knowledge base's own phrasings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.svm import LinearSVC

from bot.matching.vocabulary import Vocabulary

CLASSIFIER_C = 1.0
DEFAULT_TEMPERATURE = 5.0
TEMPERATURES = np.geomspace(0.5, 50, 40)
HELD_OUT_SHARE = 5  # one phrasing in five


@dataclass(frozen=True)
class Calibration:
    """What held-out phrasings of the knowledge base say about its scores.

    `temperature` turns SVM margins into probabilities that match how often they are right;
    `typical_coverage` is how much of an unseen in-scope question this knowledge base's
    vocabulary usually covers (lower when entries have few phrasings).
    """

    temperature: float = DEFAULT_TEMPERATURE
    typical_coverage: float = 1.0


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_svms(matrix: sparse.csr_matrix, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A linear SVM per label (one against the rest): weights and intercepts, a row each."""
    model = LinearSVC(C=CLASSIFIER_C)
    model.fit(matrix, labels)
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:  # two labels: scikit-learn keeps one side of the margin
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return coef.astype(np.float32), intercept.astype(np.float32)


def fit_one_svm(matrix: sparse.csr_matrix, positive: np.ndarray) -> tuple[np.ndarray, float]:
    """The SVM of one label against every other row, as fit_svms() would learn it."""
    model = LinearSVC(C=CLASSIFIER_C).fit(matrix, positive)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def calibrate(matrix: sparse.csr_matrix, owners: np.ndarray,
              texts: Sequence[str]) -> Calibration:
    """Hold out one phrasing in five of every entry that has at least three, learn from the
    rest, and measure the held-out phrasings: the temperature under which they are most
    likely, and the median share of their words the rest of the knowledge base knows."""
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
    losses = [
        -np.log(softmax(margins * t)[np.arange(len(truth)), truth] + 1e-12).mean()
        for t in TEMPERATURES
    ]
    vocabulary = Vocabulary.fit(texts[i] for i in np.flatnonzero(~held))
    coverages = [vocabulary.coverage(texts[i]) for i in np.flatnonzero(held)]
    return Calibration(float(TEMPERATURES[int(np.argmin(losses))]),
                       float(np.median(coverages)))
