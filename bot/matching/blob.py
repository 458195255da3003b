"""Named numpy arrays as one blob: a JSON header, then each array's bytes.

The stored index is read at every start. numpy's .npz is a zip archive, and reading one
checks a CRC over every byte and copies each array once more: 0.6 of the 1.1 s it took to
read the BANKING77 index. Here each array is read straight into its own memory from the
stream (a SQLite blob, see index.py), with nothing checked but the layout.
"""

from __future__ import annotations

import io
import json
from typing import BinaryIO

import numpy as np

MAGIC = b"faqbot arrays 1\n"
HEADER_SIZE = 8  # bytes of the header's length, little-endian


def pack(arrays: dict[str, np.ndarray]) -> bytes:
    """The arrays (numeric, any shape) as one blob."""
    arrays = {name: np.ascontiguousarray(array) for name, array in arrays.items()}
    header = json.dumps({name: [array.dtype.str, list(array.shape)]
                         for name, array in arrays.items()}).encode()
    return b"".join([MAGIC, len(header).to_bytes(HEADER_SIZE, "little"), header,
                     *(array.tobytes() for array in arrays.values())])


def unpack(stream: bytes | BinaryIO) -> dict[str, np.ndarray]:
    """The arrays of a blob made by pack(); ValueError if it is not one."""
    if isinstance(stream, bytes):
        stream = io.BytesIO(stream)
    if stream.read(len(MAGIC)) != MAGIC:
        raise ValueError("not a blob of arrays")
    size = int.from_bytes(_exactly(stream, HEADER_SIZE), "little")
    header = json.loads(_exactly(stream, size))
    arrays = {}
    for name, (dtype, shape) in header.items():
        array = np.empty(shape, dtype=np.dtype(dtype))
        if array.nbytes and stream.readinto(memoryview(array).cast("B")) != array.nbytes:
            raise ValueError(f"the blob ends inside array {name!r}")
        arrays[name] = array
    return arrays


def _exactly(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise ValueError("the blob ends inside its header")
    return data
