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
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from bot.kb import spreadsheet
from bot.kb.build import now
from bot.kb.sources import PLACEHOLDER, SourceError, read_entries_file
from bot.text.language import LANGUAGES, script_language
from bot.text.normalize import normalize

MAX_TEXT = 4096
MAX_ANSWER = 32768
MAX_FIELD = 1 << 20
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")
MAX_INTENT = 200
INTENT_COLUMNS = ("intent", "label", "category", "intent_name", "class")
TEXT_COLUMNS = ("text", "question", "utterance", "phrasing", "query", "sentence")
IMPORTED = "imported"
STDIN_NAME = "standard input"
# Intents that mark, in an evaluation file, a question the bot must decline, however they
# are cased and separated ("OOS", "out-of-scope"); `a|b` there accepts either entry. No
# entry may be named so, or its questions could never be scored.
OUT_OF_SCOPE = frozenset({"oos", "out of scope", "none"})
EITHER = "|"
# Names and codes of the two languages beside ar and en: ISO 639-2/3 (ara, arb for Modern
# Standard Arabic, eng), as FLORES writes them too (arb_Arab), and the words people type.
LANGUAGE_NAMES = {"arabic": "ar", "ara": "ar", "arb": "ar", "عربي": "ar", "عربية": "ar",
                  "العربية": "ar", "english": "en", "eng": "en", "إنجليزي": "en",
                  "انجليزي": "en", "إنجليزية": "en", "انجليزية": "en", "الإنجليزية": "en",
                  "الانجليزية": "en"}
DELIMITERS = {"\t": "tab", ",": "comma", ";": "semicolon"}
# An intent's name is a phrasing when it has at most this many words, of letters only, in a
# file of fewer than NAMES_BELOW rows per intent on average. BANKING77 with ten phrasings an
# intent: 2.1 points more English questions answered right (Arabic 0.3 fewer); with every
# phrasing, 0.1 to 0.3 points fewer: there a terse name draws short questions away.
MAX_NAME_WORDS = 8
NAMES_BELOW = 50
_NAME_SEPARATORS = re.compile(r"[\s_\-./:]+")
_LETTERS = re.compile(r"[^\W\d_]+")
_LETTER_OR_DIGIT = re.compile(r"[^\W_\u0640]")  # tatweel only stretches a word
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def out_of_scope(intent: str) -> bool:
    """Whether an evaluation file's intent marks a question the bot must decline."""
    return not intent.strip() or normalize(intent) in OUT_OF_SCOPE


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


def shown_name(path: Path) -> str:
    """The file's name as a message (and the database) can hold it: bytes of a name that are
    not UTF-8 become U+FFFD instead of stopping the import when they are written."""
    if _is_stdin(path):
        return STDIN_NAME
    return os.fsencode(path.name).decode("utf-8", "replace")


def _is_stdin(path: Path) -> bool:
    """Whether `path` is `-`, which names standard input as command-line tools do."""
    return str(path) == "-"


def _decode(path: Path) -> str:
    data = sys.stdin.buffer.read() if _is_stdin(path) else path.read_bytes()
    if not data.strip():
        raise ImportProblem(f"{shown_name(path)}: the file is empty")
    # UTF-16 without its byte order mark decodes as UTF-8, a NUL beside each Latin letter.
    head = data[:200]
    if data[:2] in UTF16_MARKS or head.count(b"\0") * 4 >= len(head):
        raise ImportProblem(f"{shown_name(path)}:1: not UTF-8 text (it looks like UTF-16); "
                            "save the file as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportProblem(
            f"{shown_name(path)}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None


def _delimiter(text: str) -> str:
    """What separates the cells, read from the header: a tab, else a comma, else a semicolon
    (spreadsheets in many locales save "CSV" that way)."""
    header = text.split("\n", 1)[0]
    return next((d for d in DELIMITERS if d in header), ",")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _rows(text: str, name: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """The records of the file with the line each starts on.

    Cells are read as spreadsheets and csv writers quote them, forgiving a stray quotation
    mark inside a cell (as in `"he said "no" twice"`). A tab-separated file that does not
    follow those rules is read without quoting, as tab-separated values are written by
    hand and by QnA Maker, whose answers may open with a quotation mark; a cell wholly in
    quotes is unquoted all the same.
    """
    csv.field_size_limit(MAX_FIELD)
    if delimiter == "\t" and not _quoted_rightly(text, delimiter):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                            quoting=csv.QUOTE_NONE)
        for start, row in _numbered(reader, name):
            yield start, [_unquoted(cell) for cell in row]
        return
    lines = io.StringIO(text, newline="").readlines()  # the lines as the reader counts them
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for start, row in _numbered(reader, name):
        if reader.line_num > start:
            _check_quotes(lines[start - 1:reader.line_num], name, delimiter, start)
        yield start, row


def _numbered(reader: Iterator[list[str]], name: str) -> Iterator[tuple[int, list[str]]]:
    """The reader's records with the line each starts on; a csv error told at its line."""
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" in str(exc):  # the csv module's words for a cell over MAX_FIELD
                raise ImportProblem(
                    f"{name}:{reader.line_num}: a cell is over {MAX_FIELD:,} characters long; "
                    f"a phrasing may have at most {MAX_TEXT:,} and an answer "
                    f"{MAX_ANSWER:,}") from None
            raise ImportProblem(f"{name}:{reader.line_num}: {exc}") from None
        yield start, row
        start = reader.line_num + 1


def _quoted_rightly(text: str, delimiter: str) -> bool:
    """Whether every quotation mark of the file opens or closes a quoted cell, or is
    doubled inside one, as csv writers put them."""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error:
        return False
    return True


def _unquoted(cell: str) -> str:
    """A tab-separated cell without the quotes around it, if it is wholly quoted."""
    inner = cell[1:-1]
    if len(cell) >= 2 and cell[0] == cell[-1] == '"' and '"' not in inner.replace('""', ""):
        return inner.replace('""', '"')
    return cell


def _check_quotes(lines: list[str], name: str, delimiter: str, start: int) -> None:
    """ImportProblem unless a record over several lines is quoted rightly: a quotation mark
    left open takes the rows after it into one cell, up to the next quotation mark or the
    end of the file, and the reader returns them without a word."""
    if not _quoted_rightly("".join(lines), delimiter):
        raise ImportProblem(
            f"{name}:{start}: a quotation mark opened in this row is left open, so lines "
            f"{start} to {start + len(lines) - 1} would be one row; close it, or write a quote "
            "inside a quoted cell as two (\"\")")


def _cells_fit(row: list[str], header: list[str], where: str, delimiter: str) -> None:
    """ImportProblem if a row has more non-empty cells than the header names: a text with
    the delimiter in it, not quoted, would be cut at it without a word."""
    extra = row[len(header):]
    if any(cell.strip() for cell in extra):
        separator = DELIMITERS[delimiter]
        spaced = any(cell[:1].isspace() and cell.lstrip().startswith('"') for cell in row)
        hint = (f"; a space between a {separator} and an opening quotation mark makes the "
                "mark part of the text" if spaced else "")
        raise ImportProblem(
            f"{where}: {len(row)} cells, but the header names {len(header)}; put a text "
            f"that holds a {separator} in double quotes{hint}")


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
    name = shown_name(path)
    delimiter = _delimiter(text)
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
        where = f"{name}:{line}"
        _cells_fit(row, header, where, delimiter)
        row = row + [""] * (len(header) - len(row))
        row[text_at] = spreadsheet.read(row[text_at])
        question = row[text_at].strip()
        answer = row[answer_at].strip() if answer_at is not None else None
        if qna:  # questions sharing an answer are one entry, named after the answer
            intent = ("qna-" + hashlib.blake2s(answer.encode(), digest_size=5).hexdigest()
                      if answer else "")
        else:
            intent = row[intent_at].strip()
        if not intent and require_intent:
            what = "answer" if qna else "intent"
            raise ImportProblem(f"{where}: the {what} is empty")
        if not question:
            raise ImportProblem(f"{where}: the text is empty")
        _check_lengths(where, question, answer)
        if require_intent:  # what a question to evaluate may hold, as a message may
            _check_entry_name(where, intent)
            _check_matchable(where, question)
            _check_controls(where, question, answer)
        lang = _language(row[lang_at], where) if lang_at is not None else None
        phrasings.append(Phrasing(line, intent, question, lang, answer or None,
                                  raw=row[text_at], by_answer=qna))
    if not phrasings:
        raise ImportProblem(f"{name}: the file has a header but no rows")
    return phrasings


def _language(cell: str, where: str) -> str | None:
    """The language a `lang` cell names (ar, en, Arabic, en-GB, arabic_msa...), None if it
    is empty."""
    value = cell.strip()
    if not value:
        return None
    first = re.split(r"[-_\s]", value.lower(), maxsplit=1)[0]
    lang = LANGUAGE_NAMES.get(first, first)
    if lang not in LANGUAGES:
        raise ImportProblem(f"{where}: language {value!r} is not ar or en (nor a locale of "
                            "either, such as ar-EG or en-GB)")
    return lang


def _check_lengths(where: str, text: str, answer: str | None) -> None:
    """The limits every import keeps, told at `where`: MAX_TEXT characters a phrasing,
    MAX_ANSWER an answer."""
    if len(text) > MAX_TEXT:
        raise ImportProblem(f"{where}: the text is {len(text):,} characters long; "
                           f"a phrasing may have at most {MAX_TEXT:,}")
    if answer and len(answer) > MAX_ANSWER:
        raise ImportProblem(f"{where}: the answer is {len(answer):,} characters long; "
                           f"at most {MAX_ANSWER:,}")


def _check_controls(where: str, text: str, answer: str | None) -> None:
    """ImportProblem if a phrasing or answer holds a control character (a NUL, an escape)
    other than a line break or a tab: it would be stored, and shown, as it is."""
    _check_control(where, "text", text, allowed="\t\n\r")
    _check_control(where, "answer", answer or "", allowed="\t\n\r")


def _check_control(where: str, what: str, cell: str, *, allowed: str) -> None:
    """ImportProblem naming the first control character (Unicode category Cc) of `cell`
    that is not in `allowed`."""
    control = next((c for c in _CONTROL.findall(cell) if c not in allowed), None)
    if control:
        raise ImportProblem(f"{where}: the {what} holds the control character "
                            f"U+{ord(control):04X}; remove it")


def _check_entry_name(where: str, intent: str) -> None:
    """ImportProblem unless `intent` can name an entry: evaluation files read `oos`, `none`
    and `a|b` otherwise, so an entry named so could never be scored."""
    if out_of_scope(intent):
        raise ImportProblem(f"{where}: the intent {intent!r} marks, in evaluation files, a "
                            "question to decline, so no entry may be named so; leave such "
                            "rows out of the knowledge base")
    if EITHER in intent:
        raise ImportProblem(f"{where}: the intent {intent!r} holds {EITHER!r}, which in "
                            "evaluation files separates entries that may answer a question; "
                            "name the entry without it")
    if len(intent) > MAX_INTENT:
        raise ImportProblem(f"{where}: the intent is {len(intent):,} characters long; an "
                            f"intent may have at most {MAX_INTENT}")
    _check_control(where, "intent", intent, allowed="")


def _check_matchable(where: str, text: str) -> None:
    """ImportProblem if a phrasing has nothing a question could match (only emoji, marks or
    punctuation): its entry would be answered by nothing. A letter or digit is what
    normalization keeps."""
    if not _LETTER_OR_DIGIT.search(text):
        raise ImportProblem(f"{where}: the text {text!r} has no letters or digits to match "
                            "a question by")


def is_yaml(path: Path) -> bool:
    """Whether `path` names a file in the project's YAML shape, by its suffix."""
    return path.suffix.lower() in (".yaml", ".yml")


def _check_file(path: Path) -> None:
    """ImportProblem unless `path` is a file (an import's or an evaluation's) or `-`."""
    if not _is_stdin(path) and not path.is_file():
        raise ImportProblem(f"{path}: no such file")


def read_yaml(path: Path) -> list[Phrasing]:
    """Read entries in the project's own YAML shape (a faq.yaml-like file)."""
    _check_file(path)
    name = shown_name(path)
    if not path.read_bytes().strip():  # as a CSV is told, not as a YAML without `entries:`
        raise ImportProblem(f"{name}: the file is empty")
    try:
        entries = read_entries_file(path)
    except SourceError as exc:
        raise ImportProblem(str(exc)) from None
    if not entries:
        raise ImportProblem(f"{name}: no entries to import")
    phrasings = []
    for entry in entries:
        _check_entry_name(f"{name}: entry {entry.id}", entry.id)
        for lang, wording in entry.wordings.items():
            for text in (wording.title, *wording.phrasings):
                where = f"{name}: entry {entry.id} ({lang})"
                _check_lengths(where, text, wording.answer)
                _check_matchable(where, text)
                _check_controls(where, text, wording.answer)
                phrasings.append(Phrasing(0, entry.id, text, lang, wording.answer))
    return phrasings


def plan_import(path: Path, *, skip_duplicates: bool = False) -> ImportPlan:
    """Read and check a file; raise ImportProblem on the first problem."""
    yaml = is_yaml(path)
    phrasings = read_yaml(path) if yaml else read_table(path)
    plan = ImportPlan(source=shown_name(path))
    table = not yaml and not phrasings[0].by_answer
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
                    f"{_where(plan, phrasing)}: duplicate row, the same intent and text "
                    f"as line {seen[key]}; remove it or import with --skip-duplicates")
            plan.skipped_duplicates += 1
            continue
        seen[key] = phrasing.line
        plan.phrasings.append(phrasing)
    fallback_lang = _majority_language(plan.phrasings)
    for phrasing in plan.phrasings:
        phrasing.lang = phrasing.lang or fallback_lang
    _check_one_answer(plan)
    return plan


def _check_one_answer(plan: ImportPlan) -> None:
    """ImportProblem if rows give one entry two different answers in a language: one of
    them would be dropped without a word."""
    first: dict[tuple[str, str], Phrasing] = {}
    for phrasing in plan.phrasings:
        if not phrasing.answer:
            continue
        earlier = first.setdefault((phrasing.intent, phrasing.lang), phrasing)
        if earlier.answer != phrasing.answer:
            raise ImportProblem(
                f"{_where(plan, phrasing)}: another answer for {phrasing.intent} "
                f"({phrasing.lang}) than line {earlier.line} gives; an entry has one answer "
                "a language")


def _majority_language(phrasings: list[Phrasing]) -> str:
    counts = {lang: 0 for lang in LANGUAGES}
    for phrasing in phrasings:
        if phrasing.lang in counts:
            counts[phrasing.lang] += 1
    return max(counts, key=counts.get) if any(counts.values()) else LANGUAGES[1]


def write_import(db: sqlite_utils.Database, plan: ImportPlan,
                 progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Add the plan's entries and phrasings in one transaction; existing ones are kept, and
    an answer the file gives replaces an imported entry's. ImportProblem, before anything
    is written, for an answer the knowledge base cannot take (see _check_answers)."""
    _check_answers(db, plan)
    stamp = now()
    known = {row[0] for row in db.execute("SELECT id FROM entries")}
    titled = {(r[0], r[1]) for r in db.execute("SELECT entry_id, lang FROM answers")}
    new_entries = sorted(plan.intents - known)
    added = changed = 0
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
                rows = db.execute("UPDATE answers SET text = ? WHERE entry_id = ? AND lang = ? "
                                  "AND text IS NOT ?", [phrasing.answer, *key, phrasing.answer])
                changed += rows.rowcount if phrasing.intent in known else 0
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
            "answers": changed, "duplicates_skipped": plan.skipped_duplicates}


def _check_answers(db: sqlite_utils.Database, plan: ImportPlan) -> None:
    """ImportProblem if an answer would replace a curated entry's, which its knowledge
    source gives back at the next build."""
    curated = {row[0] for row in db.execute("SELECT id FROM entries WHERE origin != ?",
                                            [IMPORTED])}
    stored = {(row[0], row[1]): row[2]
              for row in db.execute("SELECT entry_id, lang, text FROM answers")}
    for phrasing in plan.phrasings:
        old = stored.get((phrasing.intent, phrasing.lang))
        if phrasing.answer and phrasing.intent in curated and old and old != phrasing.answer:
            raise ImportProblem(
                f"{_where(plan, phrasing)}: {phrasing.intent} is an entry of the curated "
                f"knowledge with another answer ({phrasing.lang}); change it in its knowledge "
                "source, or leave the answer out of the file to add only the phrasing")


def unknown_facts(db: sqlite_utils.Database, plan: ImportPlan) -> list[str]:
    """A line for each {name} in an answer that names no fact of the knowledge base: shown
    as written, which is right for `{yyyy-mm-dd}` and wrong for a mistyped fact id."""
    facts = {row[0] for row in db.execute("SELECT id FROM entries WHERE kind = 'fact'")}
    told = []
    for phrasing in plan.phrasings:
        for name in dict.fromkeys(PLACEHOLDER.findall(phrasing.answer or "")):
            if name in facts:
                continue
            line = (f"{_where(plan, phrasing)}: {{{name}}} in the answer names no fact of this "
                    "knowledge base, so it is shown as written")
            if line not in told:
                told.append(line)
    return told


def _where(plan: ImportPlan, phrasing: Phrasing) -> str:
    """Where a phrasing came from, for a message: its line, or its entry in a YAML file."""
    if phrasing.line:
        return f"{plan.source}:{phrasing.line}"
    return f"{plan.source}: entry {phrasing.intent} ({phrasing.lang})"
