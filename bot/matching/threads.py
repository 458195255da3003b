"""One BLAS thread while answering.

A question's arithmetic is a few small products, which a second BLAS thread does not speed
up; but OpenBLAS keeps its idle threads spinning for a while after each call, and those
take the cores the second encoder's own threads run on (encoder.SECOND_NAME): measured on
two cores, a question that needs it took 60 to 90 ms beside spinning BLAS threads and
23 ms without them. Learning an index keeps every thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_blas = None


def _controller():
    """The BLAS libraries loaded in this process, found once (when first asked for, so
    that the libraries NumPy and SciPy load are all there)."""
    global _blas
    with _lock:
        if _blas is None:
            from threadpoolctl import ThreadpoolController

            _blas = ThreadpoolController().select(user_api="blas")
        return _blas


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS limited to one thread (a few microseconds each time)."""
    with _controller().limit(limits=1):
        yield
