"""The sentence network and the calibration that weighs it against the n-gram SVMs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from bot.matching.classifier import (
    SENTENCE_WEIGHTS,
    calibrate,
    fit_sentence_model,
)

ENTRIES = 4
ROWS = 30


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _xor(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points near the four corners of a square; opposite corners share a label."""
    corners = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=np.float32)
    which = rng.integers(0, 4, n)
    points = corners[which] + rng.normal(0, 0.15, (n, 2)).astype(np.float32)
    return points, (which >= 2).astype(np.int64)


def test_the_sentence_network_learns_what_no_linear_model_can() -> None:
    """Opposite corners of a square share a label: no line separates them, a hidden layer
    does (logistic regression gets about half of them right)."""
    rng = np.random.default_rng(0)
    points, labels = _xor(rng, 200)
    network = fit_sentence_model(points, labels, 2)
    test_points, test_labels = _xor(rng, 100)
    predicted = network.log_probabilities(test_points).argmax(axis=1)
    assert (predicted == test_labels).mean() >= 0.95


def test_few_phrasings_a_label_are_learned_with_noise_the_same_every_time() -> None:
    """Below SENTENCE_NOISE_BELOW phrasings a label the network learns from displaced
    copies: it still learns XOR, and a rebuild learns exactly the same weights."""
    from bot.matching.classifier import SENTENCE_NOISE_BELOW

    rng = np.random.default_rng(2)
    points, labels = _xor(rng, 40)
    assert len(points) < SENTENCE_NOISE_BELOW * 2
    network = fit_sentence_model(points, labels, 2)
    again = fit_sentence_model(points, labels, 2)
    assert np.array_equal(network.hidden, again.hidden)
    assert np.array_equal(network.coef, again.coef)
    test_points, test_labels = _xor(rng, 100)
    predicted = network.log_probabilities(test_points).argmax(axis=1)
    assert (predicted == test_labels).mean() >= 0.9


def test_what_every_phrasing_shares_teaches_the_network_nothing() -> None:
    """An encoder's vectors share a large common direction (multilingual-e5's phrasings
    have cosines of about 0.8 whatever they say): the network reads each vector from the
    centre of the ones it learned from, so phrasings and questions all moved along one
    direction are learned and scored exactly as before."""
    rng = np.random.default_rng(4)
    dims, labels = 16, np.repeat(np.arange(5), 4)
    topics = _unit(rng.normal(size=(5, dims)))
    points = (topics[labels] + rng.normal(0, 0.2, (len(labels), dims))).astype(np.float32)
    questions = (topics + rng.normal(0, 0.2, topics.shape)).astype(np.float32)
    shared = (3 * _unit(rng.normal(size=(1, dims)))).astype(np.float32)
    network = fit_sentence_model(points, labels, 5)
    moved = fit_sentence_model(points + shared, labels, 5)
    assert np.allclose(moved.center, network.center + shared[0], atol=1e-5)
    assert np.allclose(moved.log_probabilities(questions + shared),
                       network.log_probabilities(questions), atol=1e-4)


def test_a_sparse_network_reads_nothing_into_concepts_no_phrasing_has() -> None:
    """Latent terms: each label's phrasings name concepts of their own among many that no
    phrasing names. The network learns the named ones and gives the others no weight at
    all, so a question naming only unknown concepts reads as one naming none."""
    rng = np.random.default_rng(3)
    dims, labels = 64, np.repeat(np.arange(4), 6)
    rows = [rng.choice(np.arange(8 * label, 8 * label + 8), 3, replace=False)
            for label in labels]  # among concepts 0-31, eight a label; 32-63 never named
    points = sparse.csr_matrix(
        (np.full(3 * len(rows), 1 / np.sqrt(3), dtype=np.float32), np.concatenate(rows),
         np.arange(0, 3 * len(rows) + 1, 3)), shape=(len(rows), dims))
    network = fit_sentence_model(points, labels, 4)
    named = np.unique(np.concatenate(rows))
    assert network.hidden[named].any(axis=1).all()
    assert not np.delete(network.hidden, named, axis=0).any()
    unknown = sparse.csr_matrix(([1.0], ([0], [40])), shape=(1, dims), dtype=np.float32)
    nothing = sparse.csr_matrix((1, dims), dtype=np.float32)
    assert np.array_equal(network.log_probabilities(unknown), network.log_probabilities(nothing))
    assert (network.log_probabilities(points).argmax(axis=1) == labels).all()


def test_a_label_without_phrasings_is_never_likely() -> None:
    rng = np.random.default_rng(1)
    points, labels = _xor(rng, 100)
    network = fit_sentence_model(points, labels * 2, 3)  # labels 0 and 2; 1 has none
    assert network.coef.shape[0] == 3
    assert np.all(network.log_probabilities(points)[:, 1] < -20)


def test_refitting_from_a_network_keeps_its_hidden_layer_and_learns_new_rows() -> None:
    rng = np.random.default_rng(2)
    points, labels = _xor(rng, 200)
    network = fit_sentence_model(points, labels, 2)
    # A third label appears (points far out on one axis); its output row starts blank.
    extra = np.array([[3.0, 0.0]], dtype=np.float32) + rng.normal(0, 0.1, (40, 2)).astype(
        np.float32)
    start = network.rows(np.array([0, 1, -1]))
    assert not start.coef[2].any() and start.intercept[2] == 0
    refit = fit_sentence_model(np.vstack([points, extra]),
                               np.concatenate([labels, np.full(40, 2)]), 3, start)
    assert np.array_equal(refit.hidden, network.hidden)
    assert np.array_equal(refit.hidden_bias, network.hidden_bias)
    predicted = refit.log_probabilities(np.vstack([points, extra])).argmax(axis=1)
    assert (predicted[-40:] == 2).mean() >= 0.9
    assert (predicted[:-40] == labels).mean() >= 0.9


def _knowledge(words_tell: bool, meaning_tells: bool, rows: int = ROWS) -> tuple:
    """ENTRIES entries of `rows` phrasings each; their n-grams, or their sentence vectors,
    or both, tell the entries apart (the rest is noise)."""
    rng = np.random.default_rng(3)
    owners = np.repeat(np.arange(ENTRIES), rows)
    features = 40
    noise = rng.random((len(owners), features)) < (0.04 if words_tell else 0.1)
    if words_tell:
        signal = np.zeros_like(noise)
        for _ in range(3):
            signal[np.arange(len(owners)), owners * 5 + rng.integers(0, 5, len(owners))] = True
        noise |= signal
    matrix = sparse.csr_matrix(noise.astype(np.float32))
    matrix = sparse.csr_matrix(matrix.multiply(1 / np.sqrt(matrix.sum(axis=1) + 1e-9)))
    centers = rng.normal(size=(ENTRIES, 16))
    vectors = rng.normal(size=(len(owners), 16))
    if meaning_tells:
        vectors = centers[owners] + 0.5 * vectors
    texts = [f"entry{owner} phrasing{i}" for i, owner in enumerate(owners)]
    return matrix, owners, texts, [_unit(vectors).astype(np.float32)]  # one encoder's


def test_the_sentence_model_counts_most_where_only_meaning_tells_entries_apart() -> None:
    from bot.matching.classifier import FEW_WEIGHT_BELOW

    matrix, owners, texts, vectors = _knowledge(words_tell=False, meaning_tells=True,
                                                rows=FEW_WEIGHT_BELOW)
    assert calibrate(matrix, owners, texts, vectors).sentence_weight == max(SENTENCE_WEIGHTS)


def test_a_weight_that_ranks_no_better_does_not_replace_the_default() -> None:
    """Where the words tell the entries apart, a lighter sentence model ranks as many
    held-out phrasings first (or a hair more): the default stays."""
    from bot.matching.classifier import DEFAULT_SENTENCE_WEIGHT, FEW_WEIGHT_BELOW

    matrix, owners, texts, vectors = _knowledge(words_tell=True, meaning_tells=False,
                                                rows=FEW_WEIGHT_BELOW)
    assert calibrate(matrix, owners, texts, vectors).sentence_weight == DEFAULT_SENTENCE_WEIGHT


def test_where_entries_have_few_phrasings_the_sentence_model_counts_more_by_default() -> None:
    from bot.matching.classifier import FEW_SENTENCE_WEIGHT

    matrix, owners, texts, vectors = _knowledge(words_tell=True, meaning_tells=True)
    assert calibrate(matrix, owners, texts, vectors).sentence_weight == FEW_SENTENCE_WEIGHT


@pytest.mark.parametrize(("wins", "losses", "significant"),
                         [(4, 0, False), (3, 0, False), (5, 0, True), (10, 2, True),
                          (30, 20, False), (60, 30, True), (0, 0, False), (2, 5, False)])
def test_a_weight_wins_only_beyond_chance(wins: int, losses: int, significant: bool) -> None:
    """A one-sided sign test over the held-out phrasings two weights disagree on."""
    from bot.matching.classifier import _significant

    both = 7  # ranked first by both: they say nothing of which weight is better
    better = np.array([True] * (wins + both) + [False] * losses + [False] * 3)
    than = np.array([False] * wins + [True] * both + [True] * losses + [False] * 3)
    assert _significant(better, than) is significant


def test_without_the_encoder_the_weight_stays_the_default() -> None:
    from bot.matching.classifier import DEFAULT_SENTENCE_WEIGHT

    matrix, owners, texts, _ = _knowledge(words_tell=True, meaning_tells=False)
    assert calibrate(matrix, owners, texts).sentence_weight == DEFAULT_SENTENCE_WEIGHT


def test_the_best_meaning_counts_where_entries_have_many_phrasings() -> None:
    """The nearest phrasing by meaning is a fair witness among many phrasings and a poor
    one among few (see MEANING_FROM): it joins the confidence only in the first case."""
    from bot.matching.classifier import MEANING_FROM, MEANING_WEIGHT

    assert ROWS < MEANING_FROM
    few = _knowledge(words_tell=True, meaning_tells=True)
    assert calibrate(*few).meaning_weight == 0.0
    many = _knowledge(words_tell=True, meaning_tells=True, rows=MEANING_FROM)
    assert calibrate(*many).meaning_weight == MEANING_WEIGHT
    assert calibrate(*many[:3]).meaning_weight == 0.0  # without the encoder


def test_confidence_counts_the_best_meaning_with_its_weight() -> None:
    from bot.matching.classifier import confidence

    assert confidence(0.8, 0.6, 1.0) == pytest.approx(0.7)
    assert confidence(0.8, 0.6, 1.0, 0.9) == pytest.approx(0.7)  # weighed 0 by default
    assert confidence(0.8, 0.6, 1.0, 0.9, 1.0) == pytest.approx(2.3 / 3)
    assert confidence(0.8, 0.6, 0.5, 0.9, 1.0) == pytest.approx(2.3 / 3 / 4)
    assert confidence(np.array([0.8, 0.2]), np.array([0.6, 0.1]), 1.0,
                      np.array([0.9, 0.3]), 0.5).tolist() == pytest.approx([1.85 / 2.5,
                                                                           0.45 / 2.5])


def test_typical_coverage_and_confidence_are_measured_per_language() -> None:
    """Arabic phrasings whose words vary more than the English ones are covered less by the
    rest of the knowledge base: each language gets its own typical coverage."""
    rng = np.random.default_rng(4)
    owners = np.repeat(np.arange(ENTRIES), 60)
    english = ["card", "arrive", "when", "rate", "exchange", "lost", "stolen", "my"]
    texts = [" ".join(rng.choice(english, 4)) if owner < 2
             else " ".join("".join(rng.choice(list("بتثجحخدذرزسشصضطظعغفقكلمنهوي"), 5))
                           for _ in range(4)) for owner in owners]
    matrix, _, _, vectors = _knowledge(words_tell=True, meaning_tells=True)
    matrix = sparse.vstack([matrix, matrix]).tocsr()
    calibration = calibrate(matrix, owners, texts, [np.vstack([*vectors, *vectors])])
    assert set(calibration.language_coverage) == set(calibration.language_confidence) == {
        "ar", "en"}
    assert calibration.coverage_of("en") == 1.0
    assert calibration.coverage_of("ar") < 0.5
    assert calibration.coverage_of(None) == calibration.typical_coverage


def test_a_language_without_enough_held_out_phrasings_falls_back_to_all() -> None:
    from bot.matching.classifier import Calibration

    calibration = Calibration(typical_coverage=0.9, typical_confidence=0.5,
                              language_coverage={"ar": 0.8}, language_confidence={"ar": 0.3})
    assert (calibration.coverage_of("ar"), calibration.confidence_of("ar")) == (0.8, 0.3)
    assert (calibration.coverage_of("en"), calibration.confidence_of("en")) == (0.9, 0.5)


def test_the_scope_halves_every_halving_below_the_least_nearness() -> None:
    from bot.matching.classifier import Calibration

    calibration = Calibration(least_nearness=0.9, language_nearness={"ar": 0.8},
                              nearness_halving=0.02)
    assert calibration.scope(0.95, "en") == calibration.scope(0.9, "en") == 1.0
    assert calibration.scope(0.88, "en") == pytest.approx(0.5)
    assert calibration.scope(0.86, None) == pytest.approx(0.25)
    assert calibration.scope(0.78, "ar") == pytest.approx(0.5)  # its own language's
    assert np.allclose(calibration.scope(np.array([0.88, 0.78]), np.array(["en", "ar"])),
                       [0.5, 0.5])
    assert Calibration().scope(0.1, "en") == 1.0  # learned without the second encoder


def test_coverage_and_scope_count_alike() -> None:
    from bot.matching.classifier import scoped

    assert scoped(0.64, 1.0) == pytest.approx(0.8)  # meaning near: unknown words weigh less
    assert scoped(0.64, 0.25) == pytest.approx(0.4)  # far: more
    assert scoped(1.0, 0.04) == pytest.approx(0.2)


def test_the_least_nearness_is_measured_on_held_out_phrasings() -> None:
    matrix, owners, texts, vectors = _knowledge(words_tell=True, meaning_tells=True)
    assert calibrate(matrix, owners, texts, vectors).nearness_halving is None
    calibration = calibrate(matrix, owners, texts, vectors, nearby=vectors[0])
    held_out = vectors[0] @ vectors[0].T
    np.fill_diagonal(held_out, -1)
    # Between the farthest and the nearest that any phrasing is from the others.
    assert held_out.max(axis=1).min() <= calibration.least_nearness <= held_out.max()
    assert 0 < calibration.nearness_halving < 1
