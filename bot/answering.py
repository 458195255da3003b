"""answer(text, asker) -> Reply: the one place where the bot decides what to say.

Nothing here knows about Telegram. The Telegram layer, the command line and the evaluation
all call the same Answerer, so what `faqbot ask` and `faqbot eval` report is what people get.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import sqlite_utils

from bot.i18n.catalogs import translator
from bot.i18n.direction import bidi_fix
from bot.i18n.formatting import format_fact
from bot.kb.sources import PLACEHOLDER, Fact
from bot.matching.index import load_index
from bot.matching.matcher import Candidate
from bot.matching.thresholds import Thresholds, load_thresholds
from bot.matching.vectors import EncodingProgress
from bot.text.language import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    language_of_locale,
    reading_locale,
    reply_language,
)
from bot.text.normalize import normalize
from bot.text.vague import is_vague

MAX_QUESTION_CHARS = 2000
MAX_CHOICES = 3


class Outcome(StrEnum):
    """What the bot did with a question."""

    ANSWER = "answer"
    SUGGEST = "suggest"
    FALLBACK = "fallback"
    SMALLTALK = "smalltalk"
    UNWRITTEN = "unwritten"  # an entry matched, but no answer has been written for it
    EMPTY = "empty"  # nothing to look up: no words, or question words alone


# What counts as the bot answering a question (an entry's answer or a small-talk reply),
# against declining it, offering choices or having no answer written: what the unanswered
# report leaves out.
ANSWERED = frozenset({Outcome.ANSWER, Outcome.SMALLTALK})
# What counts as the bot finding the question's entry, written or not: what the evaluation
# scores, since labelled phrasings imported without answers are matched all the same.
MATCHED = ANSWERED | {Outcome.UNWRITTEN}


@dataclass(frozen=True)
class Asker:
    """What the bot knows about the person asking: their choices and their client's locale."""

    lang: str | None = None
    locale: str | None = None
    digits: str | None = None

    @property
    def language(self) -> str:
        """The language when there is no question to follow: the user's choice, else their
        client's, else English."""
        return self.lang or language_of_locale(self.locale) or DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Choice:
    """A "did you mean" option: the entry's key for a button and its title."""

    key: str
    entry_id: str
    title: str


@dataclass(frozen=True)
class Reply:
    """What to send back: plain text in `lang` (escaped by whoever renders it) and why."""

    text: str
    lang: str
    outcome: Outcome
    entry_id: str | None = None
    score: float = 0.0
    choices: tuple[Choice, ...] = field(default_factory=tuple)
    guess: str | None = None


@dataclass(frozen=True)
class Decision:
    """What the thresholds make of a question's candidates: answer `best`, offer `choices`
    (entry ids), or fall back."""

    outcome: Outcome
    best: Candidate | None
    choices: tuple[str, ...] = ()


def written_question(text: str | None) -> str:
    """A question as written, over-long messages cut."""
    return (text or "")[:MAX_QUESTION_CHARS]


def normalized_question(text: str | None) -> str:
    """A question as the matcher reads it."""
    return normalize(written_question(text))


def decide(candidates: Sequence[Candidate], limits: Thresholds,
           offerable: Callable[[str], bool]) -> Decision:
    """Answer the best candidate if it is confident enough and ahead of the runner-up by the
    margin; otherwise offer those at or above `suggest` (and those within the margin of a
    best candidate too close to call) that `offerable` allows; otherwise fall back."""
    best = candidates[0] if candidates else None
    runner_up = candidates[1].evidence if len(candidates) > 1 else 0.0
    # The lead is measured on the evidence, which goes on past a score of 1.0.
    if best and best.score >= limits.answer and best.evidence - runner_up >= limits.margin:
        return Decision(Outcome.ANSWER, best)
    floor = limits.suggest
    if best and best.score >= limits.answer:  # confident, but too close to the runner-up
        floor = min(floor, best.evidence - limits.margin)
    choices = tuple(c.entry_id for c in candidates[:MAX_CHOICES]
                    if c.evidence >= floor and offerable(c.entry_id))
    return Decision(Outcome.SUGGEST if choices else Outcome.FALLBACK, best, choices)


def entry_key(entry_id: str) -> str:
    """A short, stable key for an entry, safe in Telegram's 64-byte callback data."""
    return hashlib.blake2s(entry_id.encode(), digest_size=6).hexdigest()


class Answerer:
    """Answers questions from one knowledge base."""

    def __init__(self, db: sqlite_utils.Database, *, thresholds: Thresholds | None = None,
                 progress: EncodingProgress | None = None):
        self.db = db
        self._fixed_thresholds = thresholds
        self.reload(progress)

    def reload(self, progress: EncodingProgress | None = None) -> None:
        """Read the knowledge base again, e.g. after an edit (`progress` shows the encoding
        of phrasings new to the index, see vectors.py)."""
        db = self.db
        self.thresholds = self._fixed_thresholds or load_thresholds(db)
        self.kinds = dict(db.execute("SELECT id, kind FROM entries WHERE active"))
        self.texts = {
            (entry_id, lang): (title, text)
            for entry_id, lang, title, text in db.execute(
                "SELECT entry_id, lang, title, text FROM answers")
            if entry_id in self.kinds
        }
        self.facts = {
            row[0]: Fact(*row[1:])
            for row in db.execute(
                "SELECT entry_id, entity, attribute, value, unit, currency, period FROM facts")
        }
        self.keys = {entry_key(entry_id): entry_id for entry_id in self.kinds}
        self.matcher, self.version = load_index(db, progress)
        self.examples = [
            entry_id for (entry_id,) in db.execute(
                "SELECT id FROM entries WHERE active AND kind = 'faq' ORDER BY rowid LIMIT 3")
        ]

    def answer(self, text: str, asker: Asker | None = None) -> Reply:
        """Decide how to reply to `text` and render the reply for `asker`."""
        asker = asker or Asker()
        lang = reply_language(text, chosen=asker.lang, locale=asker.locale)
        gettext = translator(lang).gettext
        normalized = normalized_question(text)
        if not normalized:
            return Reply(gettext("Please send your question as text, in Arabic or English."),
                         lang, Outcome.EMPTY)
        if is_vague(normalized):  # "why?", "ليش؟": nothing to look up
            return Reply(self._with_examples(gettext("Please ask the whole question."), lang),
                         lang, Outcome.EMPTY)
        decision = self.decide(normalized, written_question(text))
        best = decision.best
        guess = best.entry_id if best else None
        score = best.score if best else 0.0
        if decision.outcome == Outcome.ANSWER:
            return replace(self.answer_entry(best.entry_id, asker, lang=lang, score=score),
                           guess=guess)
        if decision.outcome == Outcome.SUGGEST:
            text = (gettext("Did you mean this question?") if len(decision.choices) == 1
                    else gettext("Did you mean one of these?"))
            return Reply(text, lang, Outcome.SUGGEST, score=score, guess=guess,
                         choices=tuple(self.choice(e, lang) for e in decision.choices))
        return Reply(self.fallback_text(lang), lang, Outcome.FALLBACK, score=score, guess=guess)

    def decide(self, normalized: str, written: str) -> Decision:
        """What the bot does with a question (normalized, and as written) at this knowledge
        base's thresholds."""
        return decide(self.matcher.rank(normalized, written=written,
                                        floor=self.thresholds.suggest), self.thresholds,
                      self.offerable)

    def offerable(self, entry_id: str) -> bool:
        """Whether an entry may be offered as a "did you mean" choice (small talk is not)."""
        return self.kinds.get(entry_id) != "smalltalk"

    def fallback_text(self, lang: str) -> str:
        """Say politely that the bot does not know, and what it can answer."""
        return self._with_examples(
            translator(lang).gettext("Sorry, I don't have an answer to that yet."), lang)

    def _with_examples(self, opening: str, lang: str) -> str:
        """`opening`, then questions the bot can answer."""
        lines = [opening]
        if self.examples:
            lines.append(translator(lang).gettext("You can ask me things like:"))
            lines += [f"• {self.title(entry_id, lang)}" for entry_id in self.examples]
        return "\n".join(lines)

    def choice(self, entry_id: str, lang: str) -> Choice:
        """A "did you mean" option for an entry, titled in `lang`."""
        return Choice(entry_key(entry_id), entry_id, self.title(entry_id, lang))

    def title(self, entry_id: str, lang: str) -> str:
        """The entry's canonical question in `lang` (or the other language if it has none)."""
        title, its_lang = self._written(entry_id, lang, 0) or (entry_id, lang)
        return bidi_fix(title, its_lang)

    def _written(self, entry_id: str, lang: str, part: int) -> tuple[str, str] | None:
        """Part 0 (title) or 1 (answer) of the entry and the language it is written in: in
        `lang` first, else in any language; None if none was written."""
        for each in (lang, *LANGUAGES):
            text = self.texts.get((entry_id, each), ("", ""))[part]
            if text:
                return text, each
        return None

    def answer_entry(self, entry_id: str, asker: Asker | None = None, *,
                     lang: str | None = None, score: float = 1.0) -> Reply:
        """The reply for a known entry, e.g. a "did you mean" button the user pressed."""
        asker = asker or Asker()
        lang = lang or asker.language
        if entry_id not in self.kinds:
            return Reply(self.fallback_text(lang), lang, Outcome.FALLBACK)
        written = self._written(entry_id, lang, 1)
        if not written:
            return Reply(translator(lang).gettext(
                "I know this question, but no answer has been written for it yet."), lang,
                Outcome.UNWRITTEN, entry_id=entry_id, score=score)
        # An answer written only in the other language is formatted as that language reads.
        template, its_lang = written
        outcome = Outcome.SMALLTALK if self.kinds[entry_id] == "smalltalk" else Outcome.ANSWER
        return Reply(self.render(template, its_lang, asker), lang, outcome, entry_id=entry_id,
                     score=score)

    def render(self, template: str, lang: str, asker: Asker) -> str:
        """Put each {fact} of a knowledge text in, formatted for the reader."""
        locale = reading_locale(lang, asker.locale)
        parts = PLACEHOLDER.split(template)
        for i in range(1, len(parts), 2):
            fact = self.facts.get(parts[i])
            # A name that is no fact is text of the answer, braces and all.
            parts[i] = format_fact(fact, locale, asker.digits) if fact else f"{{{parts[i]}}}"
        return bidi_fix("".join(parts), lang)

    def summary(self, asker: Asker | None = None) -> str:
        """The knowledge base's summary in the asker's language."""
        asker = asker or Asker()
        lang = asker.language
        row = self.db.execute("SELECT text FROM summaries WHERE lang = ? ORDER BY rowid LIMIT 1",
                              [lang]).fetchone()
        if not row:
            return translator(lang).gettext("There is no summary yet.")
        return self.render(row[0], lang, asker)
