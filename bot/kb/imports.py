"""Importing labelled phrasings: CSV (`intent,text[,lang][,answer]`), QnA-Maker TSV, YAML.

Every row is read and checked before anything is written; one problem anywhere stops the
import with a message naming the line, and the database is left as it was. Rows with the
same intent become one entry; a phrasing's language is detected from its script when the
file does not say. Where a file has few rows per intent, an intent's name that reads as
words ("card_arrival", "وصول البطاقة") is a phrasing of its entry too: whoever named the
intent said in a few words what it asks (see NAMES_BELOW).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from bot.kb.build import now
from bot.kb.sources import SourceError, read_entries_file
from bot.text.language import LANGUAGES, script_language
from bot.text.normalize import normalize

MAX_TEXT = 4096
MAX_ANSWER = 32768
MAX_FIELD = 1 << 20
INTENT_COLUMNS = ("intent", "label", "category", "intent_name", "class")
TEXT_COLUMNS = ("text", "question", "utterance", "phrasing", "query", "sentence")
IMPORTED = "imported"
# An intent's name is a phrasing when it has at most this many words, of letters only, in a
# file of fewer than NAMES_BELOW rows per intent on average. BANKING77 with ten phrasings an
# intent: 2.1 points more English questions answered right (Arabic 0.3 fewer); with every
# phrasing, 0.1 to 0.3 points fewer: there a terse name draws short questions away.
MAX_NAME_WORDS = 8
NAMES_BELOW = 50
_NAME_SEPARATORS = re.compile(r"[\s_\-./:]+")
_LETTERS = re.compile(r"[^\W\d_]+")


class ImportProblem(ValueError):
    """The file cannot be imported; the message names the line and the problem."""


@dataclass
class Phrasing:
    """One labelled question from a file."""

    line: int
    intent: str
    text: str
    lang: str | None = None
    answer: str | None = None
    raw: str = ""
    by_answer: bool = False  # a QnA row: its entry is named after its answer


@dataclass
class ImportPlan:
    """What a file will add, checked and grouped, ready to write."""

    source: str
    phrasings: list[Phrasing] = field(default_factory=list)
    skipped_duplicates: int = 0
    names: list[Phrasing] = field(default_factory=list)  # intents' names, as phrasings

    @property
    def intents(self) -> set[str]:
        return {p.intent for p in self.phrasings}


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise ImportProblem(f"{path.name}: the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportProblem(
            f"{path.name}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8 and import it again"
        ) from None


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _rows(text: str, name: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportProblem(f"{name}:{reader.line_num}: {exc}") from None
        yield reader.line_num, row


def name_phrasing(intent: str) -> str | None:
    """The words of an intent's name ("card_arrival": "card arrival"), if it reads as a few
    words of letters; None for a code such as "faq-017"."""
    words = [word for word in _NAME_SEPARATORS.split(intent) if word]
    if not words or len(words) > MAX_NAME_WORDS:
        return None
    if not all(_LETTERS.fullmatch(word) for word in words):
        return None
    return " ".join(words)


def _names(phrasings: list[Phrasing]) -> list[Phrasing]:
    """A phrasing of each intent's name that reads as words and is not one of its rows
    already, at the line of the intent's first row, in the language of its script."""
    first: dict[str, Phrasing] = {}
    known: set[tuple[str, str]] = set()
    for phrasing in phrasings:
        first.setdefault(phrasing.intent, phrasing)
        known.add((phrasing.intent, normalize(phrasing.text)))
    names = []
    for intent, phrasing in first.items():
        text = name_phrasing(intent)
        if text and (intent, normalize(text)) not in known:
            names.append(Phrasing(phrasing.line, intent, text, script_language(text)))
    return names


def read_table(path: Path, *, require_intent: bool = True) -> list[Phrasing]:
    """Read a CSV or TSV of labelled phrasings, checking every row.

    With `require_intent=False` an empty intent is kept (evaluation files mark questions
    the bot must decline that way).
    """
    _check_file(path)
    text = _decode(path)
    name = path.name
    delimiter = "\t" if path.suffix.lower() == ".tsv" or "\t" in text.split("\n", 1)[0] else ","
    rows = _rows(text, name, delimiter)
    try:
        _, header = next(rows)
    except StopIteration:
        raise ImportProblem(f"{name}: the file is empty") from None
    intent_at = _column(header, INTENT_COLUMNS)
    text_at = _column(header, TEXT_COLUMNS)
    lang_at = _column(header, ("lang", "language"))
    answer_at = _column(header, ("answer", "response"))
    qna = intent_at is None and answer_at is not None and text_at is not None
    missing = [what for what, at in (("intent", intent_at if not qna else 0), ("text", text_at))
               if at is None]
    if missing:
        raise ImportProblem(
            f"{name}:1: missing column {' and '.join(missing)}; the header must name "
            f"{' and '.join(missing)} (found: {', '.join(h.strip() for h in header) or 'nothing'})"
        )
    phrasings = []
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        question = row[text_at].strip()
        answer = row[answer_at].strip() if answer_at is not None else None
        if qna:  # questions sharing an answer are one entry, named after the answer
            intent = ("qna-" + hashlib.blake2s(answer.encode(), digest_size=5).hexdigest()
                      if answer else "")
        else:
            intent = row[intent_at].strip()
        if not intent and require_intent:
            what = "answer" if qna else "intent"
            raise ImportProblem(f"{name}:{line}: the {what} is empty")
        if not question:
            raise ImportProblem(f"{name}:{line}: the text is empty")
        _check_lengths(f"{name}:{line}", question, answer)
        lang = row[lang_at].strip().lower()[:2] if lang_at is not None else None
        if lang and lang not in LANGUAGES:
            raise ImportProblem(f"{name}:{line}: language {row[lang_at]!r} is not ar or en")
        phrasings.append(Phrasing(line, intent, question, lang or None, answer or None,
                                  raw=row[text_at], by_answer=qna))
    if not phrasings:
        raise ImportProblem(f"{name}: the file has a header but no rows")
    return phrasings


def _check_lengths(where: str, text: str, answer: str | None) -> None:
    """The limits every import keeps, told at `where`: MAX_TEXT characters a phrasing,
    MAX_ANSWER an answer."""
    if len(text) > MAX_TEXT:
        raise ImportProblem(f"{where}: the text is {len(text):,} characters long; "
                           f"a phrasing may have at most {MAX_TEXT:,}")
    if answer and len(answer) > MAX_ANSWER:
        raise ImportProblem(f"{where}: the answer is {len(answer):,} characters long; "
                           f"at most {MAX_ANSWER:,}")


def _check_file(path: Path) -> None:
    """ImportProblem unless `path` is a file (an import's or an evaluation's)."""
    if not path.is_file():
        raise ImportProblem(f"{path}: no such file")


def read_yaml(path: Path) -> list[Phrasing]:
    """Read entries in the project's own YAML shape (a faq.yaml-like file)."""
    _check_file(path)
    try:
        entries = read_entries_file(path)
    except SourceError as exc:
        raise ImportProblem(str(exc)) from None
    if not entries:
        raise ImportProblem(f"{path.name}: no entries to import")
    phrasings = []
    for entry in entries:
        for lang, wording in entry.wordings.items():
            for text in (wording.title, *wording.phrasings):
                _check_lengths(f"{path.name}: entry {entry.id} ({lang})", text, wording.answer)
                phrasings.append(Phrasing(0, entry.id, text, lang, wording.answer))
    return phrasings


def plan_import(path: Path, *, skip_duplicates: bool = False) -> ImportPlan:
    """Read and check a file; raise ImportProblem on the first problem."""
    phrasings = read_yaml(path) if path.suffix.lower() in (".yaml", ".yml") else read_table(path)
    plan = ImportPlan(source=path.name)
    table = path.suffix.lower() not in (".yaml", ".yml") and not phrasings[0].by_answer
    if table and len(phrasings) < NAMES_BELOW * len({p.intent for p in phrasings}):
        plan.names = _names(phrasings)
    seen: dict[tuple[str, str], int] = {}
    for phrasing in phrasings:
        phrasing.lang = phrasing.lang or script_language(phrasing.text)
        # The same row twice is a mistake worth stopping for; rows that differ in spacing,
        # case, punctuation or diacritics are variants and merge quietly into one phrasing.
        key = (phrasing.intent, phrasing.raw or phrasing.text)
        if key in seen:
            if not skip_duplicates:
                raise ImportProblem(
                    f"{path.name}:{phrasing.line}: duplicate row, the same intent and text "
                    f"as line {seen[key]}; remove it or import with --skip-duplicates")
            plan.skipped_duplicates += 1
            continue
        seen[key] = phrasing.line
        plan.phrasings.append(phrasing)
    fallback_lang = _majority_language(plan.phrasings)
    for phrasing in plan.phrasings:
        phrasing.lang = phrasing.lang or fallback_lang
    return plan


def _majority_language(phrasings: list[Phrasing]) -> str:
    counts = {lang: 0 for lang in LANGUAGES}
    for phrasing in phrasings:
        if phrasing.lang in counts:
            counts[phrasing.lang] += 1
    return max(counts, key=counts.get) if any(counts.values()) else LANGUAGES[1]


def write_import(db: sqlite_utils.Database, plan: ImportPlan,
                 progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Add the plan's entries and phrasings in one transaction; existing ones are kept."""
    stamp = now()
    known = {row[0] for row in db.execute("SELECT id FROM entries")}
    titled = {(r[0], r[1]) for r in db.execute("SELECT entry_id, lang FROM answers")}
    new_entries = sorted(plan.intents - known)
    added = 0
    with db.atomic():
        db["entries"].insert_all(
            ({"id": intent, "kind": "faq", "origin": IMPORTED, "source": plan.source,
              "active": 1, "created_at": stamp, "updated_at": stamp} for intent in new_entries),
        )
        before = db["phrasings"].count
        batch = []
        for phrasing in plan.phrasings:
            key = (phrasing.intent, phrasing.lang)
            if key not in titled:
                titled.add(key)
                db["answers"].insert({"entry_id": phrasing.intent, "lang": phrasing.lang,
                                      "title": phrasing.text, "text": phrasing.answer},
                                     ignore=True)
            elif phrasing.answer:
                db.execute("UPDATE answers SET text = ? WHERE entry_id = ? AND lang = ? "
                           "AND text IS NULL", [phrasing.answer, *key])
            normalized = normalize(phrasing.text)
            if normalized:
                batch.append({"entry_id": phrasing.intent, "lang": phrasing.lang,
                              "text": phrasing.text, "normalized": normalized,
                              "origin": IMPORTED})
            if len(batch) >= 1000:
                db["phrasings"].insert_all(batch, ignore=True)
                if progress:
                    progress(len(batch))
                batch = []
        db["phrasings"].insert_all(batch, ignore=True)
        if progress:
            progress(len(batch))
        added = db["phrasings"].count - before
        db["phrasings"].insert_all(
            ({"entry_id": name.intent, "lang": name.lang, "text": name.text,
              "normalized": normalize(name.text), "origin": IMPORTED} for name in plan.names),
            ignore=True)
        named = db["phrasings"].count - before - added
        db.execute("UPDATE entries SET updated_at = ? WHERE id IN (SELECT value FROM json_each(?))",
                   [stamp, json.dumps(sorted(plan.intents), ensure_ascii=False)])
    return {"entries": len(new_entries), "phrasings": added + named, "names": named,
            "duplicates_skipped": plan.skipped_duplicates}
