"""Shared fixtures: a real SQLite knowledge base compiled from the embedded sources."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.answering import Answerer
from bot.kb.build import build
from bot.kb.imports import plan_import, write_import
from bot.kb.store import connect
from bot.matching.index import build_index


@pytest.fixture(scope="session")
def kb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge base file built once from the shipped YAML; tests must not write to it."""
    path = tmp_path_factory.mktemp("kb") / "faqbot.db"
    db = connect(path)
    build(db)
    build_index(db)
    return path


@pytest.fixture(scope="session")
def answerer(kb_path: Path) -> Answerer:
    """The answering core over the shipped knowledge."""
    return Answerer(connect(kb_path))


class CountingEncoder:
    """The real sentence encoder, noting every text it is asked to encode."""

    def __init__(self) -> None:
        from bot.matching.encoder import shared_encoder

        self.real = shared_encoder()
        self.name = self.real.name
        self.dimensions = self.real.dimensions
        self.sparse = self.real.sparse
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen += texts
        return self.real.encode(texts)


class ShownProgress:
    """An EncodingProgress (see bot/matching/vectors.py) that notes what it is shown: the
    encoder's name and total when a bar opens, then each count done."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, int] | int] = []

    @contextmanager
    def __call__(self, name: str, total: int):
        self.shown.append((name, total))
        yield self.shown.append


@pytest.fixture
def shown_progress() -> ShownProgress:
    """A fresh progress recorder (see ShownProgress)."""
    return ShownProgress()


@pytest.fixture
def counting_encoder() -> CountingEncoder:
    """A fresh counting encoder (see CountingEncoder)."""
    return CountingEncoder()


@pytest.fixture
def fresh_db_path(tmp_path: Path, kb_path: Path) -> Path:
    """A private copy of the built knowledge base file that a test (or a process it starts)
    may change."""
    copy = tmp_path / "faqbot.db"
    source, target = sqlite3.connect(kb_path), sqlite3.connect(copy)
    source.backup(target)  # the WAL may hold what the main file does not yet
    source.close()
    target.close()
    return copy


@pytest.fixture
def fresh_db(fresh_db_path: Path):
    """The private copy of fresh_db_path, open."""
    return connect(fresh_db_path)


TWINS = """intent,lang,text,answer
desk-1,en,help desk,The help desk is open from nine to five.
desk-1,en,the help desk,The help desk is open from nine to five.
desk-1,en,help desk please,The help desk is open from nine to five.
desk-2,en,help desk,Call the help desk on extension 100.
desk-2,en,the help desk,Call the help desk on extension 100.
desk-2,en,help desk please,Call the help desk on extension 100.
"""


@pytest.fixture
def add_twins(tmp_path: Path):
    """Adds two entries with the same phrasings (so no question can tell them apart; their
    intents are named by codes, which add no phrasing)."""

    def add(db) -> tuple[str, str]:
        path = tmp_path / "twins.csv"
        path.write_text(TWINS, encoding="utf-8")
        write_import(db, plan_import(path))
        return "desk-1", "desk-2"

    return add
