"""The curated knowledge: complete in both languages, numbers only through facts."""

import re

import pytest

from bot.kb.sources import PLACEHOLDER, read_sources

KNOWLEDGE = read_sources()
ENTRIES = {entry.id: entry for entry in KNOWLEDGE.entries}


@pytest.mark.parametrize("entry_id", sorted(ENTRIES))
def test_every_entry_has_six_phrasings_per_language(entry_id: str) -> None:
    for lang, wording in ENTRIES[entry_id].wordings.items():
        assert len(set(wording.phrasings)) >= 6, (entry_id, lang)


def test_the_articles_own_questions_and_more() -> None:
    faq = [e for e in KNOWLEDGE.entries if e.kind == "faq"]
    assert {"why-miners-pivot-to-ai", "how-much-new-power-planned",
            "is-ai-strategy-paying-off"} <= {e.id for e in faq}
    assert len(faq) >= 15
    assert all(e.source for e in faq)


def test_the_facts_hold_the_articles_numbers() -> None:
    facts = {e.id: e.fact for e in KNOWLEDGE.entries if e.kind == "fact"}
    assert len(facts) >= 7
    values = {(f.value, f.unit, f.currency) for f in facts.values()}
    assert {(30.0, "power-gigawatt", None), (11.0, "power-gigawatt", None),
            (3.0, None, None), (14.0, None, None), (93_100_000.0, None, "USD"),
            (219.0, "percent", None), (2024.0, "year", None)} <= values


def test_halving_is_reachable_by_both_arabic_names() -> None:
    phrasings = " ".join(ENTRIES["what-is-the-halving"].wordings["ar"].phrasings)
    assert "تنصيف" in phrasings
    assert re.search("تخفيض (ال)?مكاف", phrasings)


def test_answers_quote_numbers_only_through_facts() -> None:
    texts = [w.answer for e in KNOWLEDGE.entries for w in e.wordings.values()]
    texts += [t for s in KNOWLEDGE.summaries for t in s.texts.values()]
    for text in texts:
        assert not re.search(r"[0-9٠-٩]", PLACEHOLDER.sub("", text)), text


def test_summaries_in_both_languages() -> None:
    assert KNOWLEDGE.summaries
    for summary in KNOWLEDGE.summaries:
        assert set(summary.texts) == {"ar", "en"}
