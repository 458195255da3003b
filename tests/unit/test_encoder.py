"""The sentence encoders' lifecycle in a real process."""

from __future__ import annotations

import os
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


ENCODE_ONE = """
from bot.matching.encoder import second_encoder
second_encoder().encode(["where is my card"])
"""


def _runtime_settings(**env: str) -> str:
    """The OpenMP runtime's own report of its settings as the second encoder loads it."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("OMP_", "GOMP_"))}
    environment.update(OMP_DISPLAY_ENV="VERBOSE", **env)
    result = subprocess.run([sys.executable, "-c", ENCODE_ONE], capture_output=True,
                            text=True, timeout=120, env=environment, check=True)
    return result.stderr


def test_the_second_encoders_threads_spin_only_briefly() -> None:
    """Threads of two processes spinning long on the same cores starve each other: beside a
    busy neighbour a question took seconds; not spinning at all made every question on an
    idle machine take half as long again (bench/contention.py)."""
    assert "GOMP_SPINCOUNT = '1000'" in _runtime_settings()


def test_an_operators_own_wait_policy_is_kept() -> None:
    settings = _runtime_settings(OMP_WAIT_POLICY="PASSIVE")
    assert "OMP_WAIT_POLICY = 'PASSIVE'" in settings
    assert "GOMP_SPINCOUNT = '0'" in settings


def test_an_operators_own_spin_count_is_kept() -> None:
    assert "GOMP_SPINCOUNT = '50'" in _runtime_settings(GOMP_SPINCOUNT="50")
