"""The sentence encoders' lifecycle in a real process."""

from __future__ import annotations

import subprocess
import sys

import pytest

EXIT_WHILE_LOADING = """
import atexit
from bot.matching.encoder import {which} as encoder
loading = encoder()
loading.start()
atexit.register(lambda: print("loaded" if loading.loaded else "still loading"))
"""


@pytest.mark.parametrize("which", ["shared_encoder", "second_encoder", "terms_encoder"])
def test_a_process_that_exits_while_the_weights_load_waits_for_them(which: str) -> None:
    """A bot stopped in its first second, its weights still loading in the background:
    a loading thread stopped inside native code at exit aborted the process (SIGABRT)."""
    result = subprocess.run([sys.executable, "-c", EXIT_WHILE_LOADING.format(which=which)],
                            capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == (0, "loaded\n", "")
