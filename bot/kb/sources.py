"""The human-edited YAML knowledge sources: reading them with line numbers and checking them.

A mistake in a source file is reported as `file:line: field: problem` so the person who
made it can find it, and every problem is reported at once rather than one per run.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.matching.thresholds import Thresholds, check_thresholds, thresholds_from
from bot.paths import data_dir
from bot.text.language import LANGUAGES

SOURCE_FILES = ("faq.yaml", "facts.yaml", "smalltalk.yaml", "summaries.yaml", "matching.yaml")
OPTIONAL_FILES = ("smalltalk.yaml", "matching.yaml")
ENTRY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PLACEHOLDER = re.compile(r"\{([a-z0-9][a-z0-9_-]*)\}")
UNITS_WITHOUT_CLDR = ("percent", "year")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a source file."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class SourceError(ValueError):
    """The knowledge sources have problems; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Wording:
    """An entry in one language: its title (the canonical question), phrasings and answer."""

    title: str
    phrasings: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class Fact:
    """A number the article states, with what it measures; answers quote it as {id}."""

    entity: str
    attribute: str
    value: float
    unit: str | None = None
    currency: str | None = None
    period: str | None = None


@dataclass(frozen=True)
class Entry:
    """Something the bot can answer."""

    id: str
    kind: str
    source: str | None
    wordings: dict[str, Wording]
    fact: Fact | None = None


@dataclass(frozen=True)
class Summary:
    """A short summary of the knowledge, per language."""

    id: str
    source: str | None
    texts: dict[str, str]


@dataclass
class Knowledge:
    """Everything the sources say."""

    entries: list[Entry] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    thresholds: Thresholds | None = None


class _Node(dict):
    """A mapping that remembers the line of each key (1-based)."""

    line = 0
    lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader whose mappings are _Nodes carrying their line numbers."""


def _construct_node(loader: _LineLoader, node: yaml.MappingNode) -> _Node:
    mapping = _Node(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.lines = {str(key.value): key.start_mark.line + 1 for key, _value in node.value}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_node)


def default_sources() -> Path:
    """The curated knowledge that ships inside the package."""
    return data_dir("knowledge")


class _Reader:
    """Turns parsed YAML into Knowledge, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.knowledge = Knowledge()
        self._seen: dict[str, str] = {}
        self._placeholders: list[tuple[str, int, str, str]] = []
        # Every fact named, even one with problems of its own: a text quoting it is not
        # wrong too, so its problems are told once.
        self._fact_ids: set[str] = set()

    def problem(self, file: str, node: Any, key: str | None, where: str, message: str) -> None:
        line = getattr(node, "line", 0)
        if key is not None and isinstance(node, _Node):
            line = node.lines.get(key, line)
        self.problems.append(Problem(file, line, where, message))

    def text(self, file: str, node: _Node, key: str, where: str, *, required: bool = True):
        value = node.get(key)
        if value is None:
            if required:
                self.problem(file, node, None, f"{where}.{key}", "is required")
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.problem(file, node, key, f"{where}.{key}", "must be non-empty text")
            return None
        return value.strip()

    def items(self, file: str, doc: Any, key: str) -> list[_Node]:
        if not isinstance(doc, _Node) or not isinstance(doc.get(key), list):
            self.problem(file, doc, None, key, f"the file must hold a list under `{key}:`")
            return []
        items = []
        for i, item in enumerate(doc[key]):
            if isinstance(item, _Node):
                items.append(item)
            else:
                self.problem(file, doc, key, f"{key}[{i}]", "must be a mapping with an id")
        return items

    def entry_id(self, file: str, node: _Node, where: str) -> str | None:
        entry_id = self.text(file, node, "id", where)
        if entry_id is None:
            return None
        if not ENTRY_ID.match(entry_id):
            self.problem(file, node, "id", f"{where}.id",
                         f"{entry_id!r} must be lowercase letters, digits, - or _")
            return None
        if entry_id in self._seen:
            self.problem(file, node, "id", f"{where}.id",
                         f"{entry_id!r} is already used in {self._seen[entry_id]}")
            return None
        self._seen[entry_id] = file
        return entry_id

    def wordings(self, file: str, node: _Node, where: str) -> dict[str, Wording]:
        wordings = {}
        for lang in LANGUAGES:
            part = node.get(lang)
            here = f"{where}.{lang}"
            if not isinstance(part, _Node):
                self.problem(file, node, lang, here, "needs question, phrasings and answer")
                continue
            title = self.text(file, part, "question", here)
            answer = self.text(file, part, "answer", here)
            raw = part.get("phrasings") or []
            if not isinstance(raw, list):
                self.problem(file, part, "phrasings", f"{here}.phrasings", "must be a list")
                raw = []
            phrasings = []
            for i, phrasing in enumerate(raw):
                if isinstance(phrasing, (str, int, float)) and str(phrasing).strip():
                    phrasings.append(str(phrasing).strip())
                else:
                    self.problem(file, part, "phrasings", f"{here}.phrasings[{i}]",
                                 "must be non-empty text")
            if answer:
                self._placeholders.append((file, part.lines.get("answer", part.line),
                                           f"{here}.answer", answer))
            if title and answer:
                wordings[lang] = Wording(title, tuple(phrasings), answer)
        return wordings

    def fact(self, file: str, node: _Node, where: str) -> Fact | None:
        value = node.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
            # .inf, .nan and numbers past a float's range would pass here and break every
            # answer that quotes them.
            self.problem(file, node, "value", f"{where}.value", "must be a finite number")
            return None
        unit = self.text(file, node, "unit", where, required=False)
        currency = self.text(file, node, "currency", where, required=False)
        if unit and currency:
            self.problem(file, node, "currency", f"{where}.currency",
                         "a fact has a unit or a currency, not both")
        if unit and unit not in UNITS_WITHOUT_CLDR:
            from babel.units import get_unit_name

            try:
                get_unit_name(unit, locale="en")
            except Exception:
                self.problem(file, node, "unit", f"{where}.unit",
                             f"{unit!r} is not a CLDR unit (like power-gigawatt), "
                             "percent or year")
        if currency:
            from babel.numbers import is_currency

            if not is_currency(currency.upper()):
                self.problem(file, node, "currency", f"{where}.currency",
                             f"{currency!r} is not an ISO 4217 currency code")
            currency = currency.upper()
        period = node.get("period")
        return Fact(
            entity=self.text(file, node, "entity", where) or "",
            attribute=self.text(file, node, "attribute", where) or "",
            value=float(value),
            unit=unit,
            currency=currency,
            period=str(period) if period is not None else None,
        )

    def read_entries(self, file: str, doc: Any, key: str, kind: str) -> None:
        for i, node in enumerate(self.items(file, doc, key)):
            where = f"{key}[{i}]"
            entry_id = self.entry_id(file, node, where)
            source = self.text(file, node, "source", where, required=kind != "smalltalk")
            wordings = self.wordings(file, node, where)
            fact = self.fact(file, node, where) if kind == "fact" else None
            if kind == "fact" and entry_id:
                self._fact_ids.add(entry_id)
            if entry_id and len(wordings) == len(LANGUAGES) and (kind != "fact" or fact):
                self.knowledge.entries.append(Entry(entry_id, kind, source, wordings, fact))

    def read_summaries(self, file: str, doc: Any) -> None:
        for i, node in enumerate(self.items(file, doc, "summaries")):
            where = f"summaries[{i}]"
            summary_id = self.entry_id(file, node, where)
            source = self.text(file, node, "source", where)
            texts = {lang: self.text(file, node, lang, where) for lang in LANGUAGES}
            for lang, text in texts.items():
                if text:
                    self._placeholders.append((file, node.lines.get(lang, node.line),
                                               f"{where}.{lang}", text))
            if summary_id and all(texts.values()):
                self.knowledge.summaries.append(Summary(summary_id, source, texts))

    def read_thresholds(self, file: str, doc: Any) -> None:
        values = doc.get("thresholds") if isinstance(doc, _Node) else None
        if not isinstance(values, _Node):
            self.problem(file, doc, None, "thresholds", "must map answer, suggest and margin")
            return
        try:
            thresholds = thresholds_from(values)
            check_thresholds(thresholds)
        except (TypeError, ValueError) as exc:
            self.problem(file, values, None, "thresholds", str(exc))
            return
        self.knowledge.thresholds = thresholds

    def check_placeholders(self) -> None:
        for file, line, where, text in self._placeholders:
            for name in PLACEHOLDER.findall(text):
                if name not in self._fact_ids:
                    self.problems.append(
                        Problem(file, line, where, f"{{{name}}} names no fact")
                    )


def _load(path: Path, reader: _Reader) -> Any:
    """Parse one YAML file, recording a problem (and returning None) if it cannot be read."""
    name = path.name
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        reader.problems.append(Problem(name, line, "file", f"is not UTF-8 text ({exc.reason})"))
    except OSError as exc:  # a folder by that name, a file that cannot be read
        reader.problems.append(Problem(name, 0, "file", f"cannot be read ({exc.strerror})"))
    except RecursionError:
        reader.problems.append(Problem(name, 0, "yaml", "nested too deeply to be read"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        reason = getattr(exc, "problem", None) or str(exc)
        reader.problems.append(Problem(name, line, "yaml", reason))
    return None


def read_entries_file(path: Path) -> list[Entry]:
    """Read one file of FAQ entries in the shape of faq.yaml (for imports)."""
    reader = _Reader()
    doc = _load(path, reader)
    if not reader.problems:
        reader.read_entries(path.name, doc, "entries", "faq")
    if reader.problems:
        raise SourceError(reader.problems)
    return reader.knowledge.entries


def read_sources(folder: Path | None = None) -> Knowledge:
    """Read and check every source file in `folder`; raise SourceError listing all problems."""
    folder = folder or default_sources()
    reader = _Reader()
    kinds = {"faq.yaml": ("entries", "faq"), "facts.yaml": ("facts", "fact"),
             "smalltalk.yaml": ("entries", "smalltalk")}
    for name in SOURCE_FILES:
        path = folder / name
        if not path.exists():
            if name not in OPTIONAL_FILES:
                reader.problems.append(Problem(name, 0, "file", "is missing"))
            continue
        problems_before = len(reader.problems)
        doc = _load(path, reader)
        if len(reader.problems) > problems_before:
            continue
        if name == "summaries.yaml":
            reader.read_summaries(name, doc)
        elif name == "matching.yaml":
            reader.read_thresholds(name, doc)
        else:
            key, kind = kinds[name]
            reader.read_entries(name, doc, key, kind)
    reader.check_placeholders()
    if reader.problems:
        raise SourceError(reader.problems)
    return reader.knowledge


def _finite(value: int | float) -> bool:
    """Whether a number is finite once stored as a float."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False
