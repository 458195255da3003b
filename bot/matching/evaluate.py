"""The `eval` report: labelled questions through the same path the bot answers by.

Each row of a CSV names the intent (entry id) it should get, or nothing / `oos` for a
question the bot must decline. `a|b` accepts either entry, for questions that two entries
answer equally well. The figures are what users would get: a row counts as correct only
when the bot answers it, with the right entry, at its current thresholds (see AnswerKey
for which entries are right).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.answering import (
    MATCHED,
    Answerer,
    Outcome,
    decide,
    normalized_question,
    written_question,
)
from bot.kb.imports import (
    EITHER,
    ImportProblem,
    is_yaml,
    out_of_scope,
    read_table,
    shown_name,
)
from bot.matching.matcher import Candidate
from bot.matching.thresholds import Thresholds
from bot.text.language import script_language
from bot.text.normalize import normalize
from bot.wording import counted


@dataclass(frozen=True)
class LabelledQuestion:
    """A question and the entries that count as a correct answer (empty: must decline)."""

    text: str
    intents: frozenset[str]
    lang: str | None = None


@dataclass(frozen=True)
class AnswerKey:
    """Which entries of one knowledge base answer a labelled question right.

    A label names an entry by its id or, when no entry has that id, by the id written
    otherwise: the same after normalization and no other entry's ("card arrival" or
    "Card_Arrival" for card_arrival, "ارجاع الدفع بالبطاقة" for "إرجاع الدفع بالبطاقة؟"),
    as test files are labelled by people who copied the names by hand. The entry the bot
    links to the named one in the other language (its twin, see linking.py) answers right
    too: it is the same question, and the bot answers in the asker's language, so an Arabic
    question labelled with BANKING77's English intent gets the Arabic entry.
    """

    ids: frozenset[str]
    names: dict[str, str]  # normalized id -> id, for ids no other entry shares that way
    twins: dict[str, str]

    @classmethod
    def of(cls, answerer: Answerer) -> AnswerKey:
        spelt = {entry_id: normalize(entry_id) for entry_id in answerer.kinds}
        shared = Counter(spelt.values())
        names = {name: entry_id for entry_id, name in spelt.items()
                 if name and shared[name] == 1}
        return cls(frozenset(answerer.kinds), names, answerer.matcher.twin_ids())

    def entry(self, intent: str) -> str | None:
        """The entry a label names, if any."""
        return intent if intent in self.ids else self.names.get(normalize(intent))

    def named(self, question: LabelledQuestion) -> frozenset[str]:
        """The entries the question's labels name."""
        return frozenset(entry for entry in map(self.entry, question.intents) if entry)

    def right(self, question: LabelledQuestion) -> frozenset[str]:
        """The entries that answer the question right: those named and their twins."""
        named = self.named(question)
        return named | {self.twins[entry] for entry in named if entry in self.twins}


def labelled(intent: str, text: str, lang: str | None = None) -> LabelledQuestion:
    """Parse a row's intent cell ("" / "oos" for out of scope, "a|b" for either)."""
    intent = (intent or "").strip()
    intents = frozenset() if out_of_scope(intent) else frozenset(
        part.strip() for part in intent.split(EITHER) if part.strip())
    return LabelledQuestion(text, intents, (lang or "").strip() or None)


def read_questions(path: Path) -> list[LabelledQuestion]:
    """The rows of an evaluation CSV (`intent,text[,lang]`), checked like an import."""
    if is_yaml(path):
        raise ImportProblem(f"{shown_name(path)}: eval reads questions from a CSV or TSV file "
                            "(intent,text[,lang]), not from YAML")
    questions = []
    for row in read_table(path, require_intent=False):
        question = labelled(row.intent, row.text, row.lang)
        if not question.intents and not out_of_scope(row.intent):
            raise ImportProblem(f"{shown_name(path)}:{row.line}: the intent {row.intent!r} "
                                f"names no entry; write an entry's id, ids joined by "
                                f"{EITHER!r}, or oos for a question to decline")
        questions.append(question)
    return questions


def evaluate(answerer: Answerer, questions: Iterable[LabelledQuestion], *,
             progress: Callable[[int], None] | None = None) -> dict:
    """Answer every question and summarise: accuracy per language, declines, confusions.
    Latency is that of answering: the encoder's loading is start-up, not the first
    question's time."""
    total = Counter()
    correct = Counter()
    fallback = Counter()
    suggested = Counter()
    oos = Counter()
    top1 = 0
    confusions: Counter[tuple[str, str]] = Counter()
    latencies = []
    unknown: Counter[str] = Counter()
    key = AnswerKey.of(answerer)
    by_name: dict[str, str] = {}
    by_twin = 0
    answerer.matcher.warm()
    for question in questions:
        started = time.perf_counter()
        reply = answerer.answer(question.text)
        latencies.append(time.perf_counter() - started)
        if progress:
            progress(1)
        lang = question.lang or script_language(question.text) or "other"
        if not question.intents:
            oos["n"] += 1
            oos["rejected"] += reply.outcome in (Outcome.FALLBACK, Outcome.EMPTY)
            oos["suggested"] += reply.outcome == Outcome.SUGGEST
            continue
        total[lang] += 1
        named, right = key.named(question), key.right(question)
        if not named:
            unknown[min(question.intents)] += 1
        by_name.update((intent, entry) for intent in question.intents
                       if (entry := key.entry(intent)) not in (None, intent))
        answered = reply.outcome in MATCHED
        fallback[lang] += reply.outcome in (Outcome.FALLBACK, Outcome.EMPTY)
        suggested[lang] += reply.outcome == Outcome.SUGGEST
        if answered and reply.entry_id in right:
            correct[lang] += 1
            by_twin += reply.entry_id not in named
        elif answered:
            expected = min(named or question.intents)
            confusions[(expected, reply.entry_id or "")] += 1
        top1 += reply.guess in right
    n_in = sum(total.values())
    ms = np.array(latencies) * 1000 if latencies else np.zeros(1)
    return {
        "n": n_in + oos["n"],
        "n_in_scope": n_in,
        "accuracy": _share(sum(correct.values()), n_in),
        "per_lang": {lang: {"n": total[lang], "accuracy": _share(correct[lang], total[lang]),
                            "fallback": _share(fallback[lang], total[lang]),
                            "suggested": _share(suggested[lang], total[lang])}
                     for lang in sorted(total)},
        "fallback_rate": _share(sum(fallback.values()), n_in),
        "suggest_rate": _share(sum(suggested.values()), n_in),
        "top1": _share(top1, n_in),
        "oos_n": oos["n"],
        "oos_rejected": _share(oos["rejected"], oos["n"]),
        "oos_suggested": _share(oos["suggested"], oos["n"]),
        "unknown_intents": {"n": sum(unknown.values()), "distinct": len(unknown),
                            "intents": [intent for intent, _ in unknown.most_common(10)]},
        "labels_by_name": {"n": len(by_name), "labels": sorted(by_name.items())[:10]},
        "answered_by_twin": by_twin,
        "confused": [{"expected": a, "answered": b, "count": c}
                     for (a, b), c in confusions.most_common(10)],
        "latency_ms": {"p50": round(float(np.percentile(ms, 50)), 3),
                       "p99": round(float(np.percentile(ms, 99)), 3),
                       "mean": round(float(ms.mean()), 3)},
        "questions_per_second": round(len(latencies) / max(sum(latencies), 1e-9), 1),
    }


# Answer thresholds tried by sweep(); suggest keeps its distance below answer.
SWEEP = tuple(round(0.2 + 0.025 * i, 3) for i in range(31))


def sweep(answerer: Answerer, questions: Iterable[LabelledQuestion]) -> list[dict]:
    """What evaluate() would report at the SWEEP answer thresholds and at the current one:
    each question is ranked once, then decided at every threshold (suggest stays as far
    below answer as it is now, the margin stays as it is)."""
    current = answerer.thresholds
    gap = current.answer - current.suggest
    key = AnswerKey.of(answerer)
    ranked = [(q, key.right(q), _ranked(answerer, q.text)) for q in questions]
    unknown = sum(1 for q, right, _ in ranked if q.intents and not right)
    rows = []
    for answer in sorted({*SWEEP, current.answer}):
        limits = Thresholds(answer=answer, suggest=round(max(0.0, answer - gap), 3),
                            margin=current.margin)
        counts = Counter()
        for question, right, candidates in ranked:
            decision = decide(candidates, limits, answerer.offerable)
            if not question.intents:
                counts["oos"] += 1
                counts["declined"] += decision.outcome == Outcome.FALLBACK
                continue
            counts["in"] += 1
            if decision.outcome == Outcome.ANSWER:
                counts["correct" if decision.best.entry_id in right else "wrong"] += 1
            counts[decision.outcome.value] += 1
        rows.append({"answer": answer, "suggest": limits.suggest, "margin": limits.margin,
                     "accuracy": _share(counts["correct"], counts["in"]),
                     "wrong": _share(counts["wrong"], counts["in"]),
                     "suggest_rate": _share(counts["suggest"], counts["in"]),
                     "fallback_rate": _share(counts["fallback"], counts["in"]),
                     "oos_rejected": _share(counts["declined"], counts["oos"]),
                     "unknown_intents": unknown})
    return rows


def _ranked(answerer: Answerer, text: str) -> list[Candidate]:
    """The candidates the bot weighs for `text`: none for a text without letters or digits,
    which the bot asks to send again as text (see Answerer.answer)."""
    normalized = normalized_question(text)
    return answerer.matcher.rank(normalized, written=written_question(text)) if normalized else []


def render_sweep(rows: list[dict], current: Thresholds) -> str:
    """The sweep as a table, the current answer threshold marked."""
    pct = _percent
    lines = [f"{'answer':>8}{'suggest':>9}{'accuracy':>10}{'wrong':>8}{'did-you-mean':>14}"
             f"{'fallback':>10}{'out of scope declined':>23}"]
    for row in rows:
        mark = " <- now" if abs(row["answer"] - current.answer) < 1e-9 else ""
        lines.append(f"{row['answer']:>8.3f}{row['suggest']:>9.3f}{pct(row['accuracy']):>10}"
                     f"{pct(row['wrong']):>8}{pct(row['suggest_rate']):>14}"
                     f"{pct(row['fallback_rate']):>10}{pct(row['oos_rejected']):>23}{mark}")
    lines.append(f"margin {current.margin:.3f} throughout; set with `faqbot kb thresholds`.")
    if rows and rows[0]["unknown_intents"]:
        lines.append(f"{_unknown(rows[0]['unknown_intents'])} (see faqbot eval without "
                     "--sweep).")
    return "\n".join(lines)


def _unknown(n: int) -> str:
    """What `n` in-scope questions naming no entry of the knowledge base mean."""
    if n == 1:
        return ("1 in-scope question names an intent the knowledge base does not have, so it "
                "cannot be answered right")
    return (f"{n} in-scope questions name intents the knowledge base does not have, so none "
            "of them can be answered right")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def render_report(report: dict) -> str:
    """The report as a few readable lines."""
    pct = _percent
    lines = [f"questions: {report['n']} ({report['n_in_scope']} in scope, "
             f"{report['oos_n']} out of scope)",
             f"accuracy: {pct(report['accuracy'])}   best guess right: {pct(report['top1'])}   "
             f"fallback: {pct(report['fallback_rate'])}   "
             f"did-you-mean: {pct(report['suggest_rate'])}"]
    for lang, figures in report["per_lang"].items():
        lines.append(f"  {lang}: {pct(figures['accuracy'])} of {figures['n']}, fallback "
                     f"{pct(figures['fallback'])}, did-you-mean {pct(figures['suggested'])}")
    lines.append(f"out of scope declined: {pct(report['oos_rejected'])}")
    latency = report["latency_ms"]
    lines.append(f"latency: p50 {latency['p50']:.2f} ms, p99 {latency['p99']:.2f} ms, "
                 f"{report['questions_per_second']:.0f} questions/s")
    unknown = report["unknown_intents"]
    if unknown["n"]:
        more = ", ..." if unknown["distinct"] > len(unknown["intents"]) else ""
        lines.append(f"{_unknown(unknown['n'])}: {', '.join(unknown['intents'])}{more}")
    renamed = report["labels_by_name"]
    if renamed["n"]:
        more = ", ..." if renamed["n"] > len(renamed["labels"]) else ""
        shown = ", ".join(f"{label!r} is {entry}" for label, entry in renamed["labels"])
        lines.append(f"{counted(renamed['n'], 'label names', 'labels name')} an entry by its "
                     f"id written otherwise: {shown}{more}")
    if twin := report["answered_by_twin"]:
        lines.append(f"{counted(twin, 'right answer is', 'right answers are')} the labelled "
                     "entry's twin in the other language (the same question, answered in "
                     "the asker's language)")
    if report["confused"]:
        lines.append("most confused (expected -> answered):")
        lines += [f"  {c['count']:>4}  {c['expected']} -> {c['answered']}"
                  for c in report["confused"]]
    return "\n".join(lines)
