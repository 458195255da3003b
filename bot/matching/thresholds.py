"""The confidence thresholds that turn a match into an answer, a choice or a decline.

They belong to a knowledge base (stored in its meta table) because what a score means
depends on how many entries and phrasings there are: a maintainer reads and sets them with
`faqbot kb thresholds`, and curated knowledge may ship its own in knowledge/matching.yaml.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

import sqlite_utils

from bot.kb.store import get_meta, set_meta


@dataclass(frozen=True)
class Thresholds:
    """Confidence needed to answer outright, and to offer "did you mean" choices.

    A best candidate at or above `answer` whose lead over the runner-up is at least
    `margin` is answered. Otherwise the candidates at or above `suggest`, and those within
    `margin` of a best candidate that was too close to call, are offered as choices; if
    there are none the bot says it does not know. The defaults were measured on BANKING77
    with non-banking questions (`bench/banking77.py`: 93.6% of those declined, for 0.3
    points of English and 0.7 of Arabic in-scope accuracy against answering everything;
    0.25 declined 92.1%; with ten phrasings an intent, 90.3%), and on this bot's own
    held-out questions.
    """

    answer: float = 0.3
    suggest: float = 0.29
    margin: float = 0.02


THRESHOLD_KEY = "thresholds"
# The thresholds the knowledge's sources ship (knowledge/matching.yaml), kept apart from
# those a maintainer sets: what `faqbot kb thresholds --reset` goes back to.
SHIPPED_KEY = "shipped_thresholds"


def load_thresholds(db: sqlite_utils.Database, key: str = THRESHOLD_KEY) -> Thresholds:
    """The thresholds a maintainer set for this knowledge base (or, with SHIPPED_KEY, those
    its sources ship), else the defaults."""
    try:
        return thresholds_from(json.loads(get_meta(db, key) or "{}"))
    except (ValueError, TypeError, AttributeError):  # written by another version: defaults
        return Thresholds()


def thresholds_from(values: dict) -> Thresholds:
    """Thresholds from a mapping, ignoring keys this version does not know."""
    known = {f.name for f in fields(Thresholds)}
    return Thresholds(**{k: float(v) for k, v in values.items() if k in known})


def check_thresholds(thresholds: Thresholds) -> None:
    """ValueError unless 0 <= suggest <= answer <= 1 and 0 <= margin < 1."""
    if not 0 <= thresholds.suggest <= thresholds.answer <= 1 or not 0 <= thresholds.margin < 1:
        raise ValueError(
            "thresholds must satisfy 0 <= suggest <= answer <= 1 and 0 <= margin < 1, and "
            f"these would be answer {thresholds.answer:g}, suggest {thresholds.suggest:g}, "
            f"margin {thresholds.margin:g}")


def save_thresholds(db: sqlite_utils.Database, thresholds: Thresholds, *,
                    shipped: bool = False) -> None:
    """Store thresholds for every later Answerer of this database; `shipped` ones (those of
    the knowledge's sources) are also kept as what a reset goes back to."""
    check_thresholds(thresholds)
    stored = json.dumps(asdict(thresholds))
    set_meta(db, THRESHOLD_KEY, stored)
    if shipped:
        set_meta(db, SHIPPED_KEY, stored)
