"""Entries that ask the same thing in two languages learn one meaning from both."""

import numpy as np
import pytest

from bot.matching.encoder import shared_encoder
from bot.matching.linking import entry_languages, linked_groups, twins
from bot.matching.matcher import Matcher
from bot.text.normalize import normalize

# One file per language, as BANKING77 and ArBanking77 come: every intent twice.
ENTRIES = {
    "card_arrival": ["where is my card", "my card has not arrived yet",
                     "how long does card delivery take"],
    "exchange_rate": ["what exchange rate do you use", "euro to dollar rate",
                      "how is the exchange rate calculated"],
    "lost_card": ["i lost my card", "my card was stolen", "block my lost card"],
    "وصول البطاقة": ["اين بطاقتي", "لم تصل بطاقتي بعد", "كم يستغرق توصيل البطاقة"],
    "سعر الصرف": ["ما هو سعر الصرف", "سعر صرف اليورو مقابل الدولار", "كيف تحسبون سعر الصرف"],
    "البطاقة المفقودة": ["فقدت بطاقتي", "سرقت بطاقتي", "اوقفوا بطاقتي المفقودة"],
}
PAIRS = [(entry, normalize(text)) for entry, texts in ENTRIES.items() for text in texts]


def _owners(entries: dict[str, list[str]]) -> tuple[list[str], np.ndarray]:
    texts = [normalize(t) for phrasings in entries.values() for t in phrasings]
    owners = np.repeat(np.arange(len(entries)), [len(p) for p in entries.values()])
    return texts, owners


def _groups(entries: dict[str, list[str]]) -> dict[str, int]:
    texts, owners = _owners(entries)
    groups = linked_groups(shared_encoder().encode(texts), owners,
                           entry_languages(texts, owners, len(entries)))
    return dict(zip(entries, groups.tolist(), strict=True))


def test_an_entry_is_in_one_language_only_when_nearly_all_its_phrasings_are() -> None:
    entries = {"en": ["where is my card", "card not here"], "ar": ["اين بطاقتي"],
               "both": ["where is my card", "اين بطاقتي"], "digits": ["2024", "100"]}
    texts, owners = _owners(entries)
    assert entry_languages(texts, owners, len(entries)) == ["en", "ar", None, None]


def test_each_arabic_entry_is_linked_to_its_english_twin() -> None:
    groups = _groups(ENTRIES)
    assert groups["card_arrival"] == groups["وصول البطاقة"]
    assert groups["exchange_rate"] == groups["سعر الصرف"]
    assert groups["lost_card"] == groups["البطاقة المفقودة"]
    assert len(set(groups.values())) == 3


def test_entries_written_in_both_languages_or_without_a_twin_stay_alone() -> None:
    entries = {"card_arrival": ENTRIES["card_arrival"],
               "exchange_rate": ENTRIES["exchange_rate"] + ENTRIES["سعر الصرف"],
               "وصول البطاقة": ENTRIES["وصول البطاقة"],
               "طبخ": ["كيف اطبخ الارز", "وصفة الكبسة", "كم دقيقة اطبخ الدجاج"]}
    groups = _groups(entries)
    assert groups["card_arrival"] == groups["وصول البطاقة"]
    assert list(groups.values()).count(groups["exchange_rate"]) == 1
    assert list(groups.values()).count(groups["طبخ"]) == 1


def test_unrelated_lists_in_two_languages_are_not_linked() -> None:
    entries = {"weather": ["will it rain tomorrow", "weather forecast for the weekend"],
               "football": ["who won the match last night", "when does the league start"],
               "وصول البطاقة": ENTRIES["وصول البطاقة"],
               "سعر الصرف": ENTRIES["سعر الصرف"]}
    assert len(set(_groups(entries).values())) == 4


def test_twins_are_the_linked_pairs_arabic_entry_first() -> None:
    groups = np.array([0, 1, 0, 2, 1, 3])
    languages = ["en", "ar", "ar", "en", "en", "ar"]
    assert twins(groups, languages).tolist() == [[2, 0], [1, 4]]
    assert twins(np.array([], dtype=np.int32), []).shape == (0, 2)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.fit(PAIRS, shared_encoder())


def test_twins_share_the_sentence_model_and_each_language_gets_its_own_entry(
        matcher: Matcher) -> None:
    assert [network.coef.shape[0] for network in matcher.sentence.networks] == [3]
    assert matcher.rank(normalize("my card still has not come"))[0].entry_id == "card_arrival"
    assert matcher.rank(normalize("بطاقتي لم تصل"))[0].entry_id == "وصول البطاقة"
    assert matcher.rank(normalize("كم سعر صرف الدولار"))[0].entry_id == "سعر الصرف"


def test_a_question_is_answered_by_the_twin_in_its_own_language(matcher: Matcher) -> None:
    """By its words alone, the English entry would answer this Arabic question: its only
    known words are English ones that have no Arabic reading (see dialect.ENGLISH_WORDS)."""
    ranked = {c.entry_id: round(c.score, 2) for c in matcher.rank(normalize("ما وصلت how long"))}
    assert next(iter(ranked)) == "وصول البطاقة"
    assert ranked["وصول البطاقة"] == 0.32 and ranked["card_arrival"] == 0.02
    read = matcher.rank(normalize("ما وصلت ال card"))[0]  # "البطاقه": an Arabic word known
    assert (read.entry_id, round(read.score, 2)) == ("وصول البطاقة", 0.68)
    assert matcher.rank(normalize("my card has not come, ما وصلت"))[0].entry_id == "card_arrival"


def test_links_survive_storage_and_updates(matcher: Matcher) -> None:
    restored = Matcher.from_bytes(matcher.to_bytes(), matcher.encoder_name)
    assert restored.sentence.groups.tolist() == matcher.sentence.groups.tolist()
    assert restored.sentence.twins.tolist() == matcher.sentence.twins.tolist() != []
    added = {"close_account": ["how do i close my account", "i want to delete my account"],
             "اغلاق الحساب": ["كيف اغلق حسابي", "اريد حذف حسابي"]}
    updated = restored.updated({entry: [normalize(t) for t in texts]
                                for entry, texts in added.items()})
    groups = dict(zip(updated.entry_ids, updated.sentence.groups.tolist(), strict=True))
    assert groups["close_account"] == groups["اغلاق الحساب"]
    assert groups["card_arrival"] == groups["وصول البطاقة"]
    assert updated.rank(normalize("ابغى اسكر حسابي"))[0].entry_id == "اغلاق الحساب"


def test_a_knowledge_base_of_one_pair_of_twins_still_learns() -> None:
    """Linked, the two entries would leave the sentence model a single label to learn."""
    pairs = [(entry, normalize(text)) for entry in ("card_arrival", "وصول البطاقة")
             for text in ENTRIES[entry]]
    matcher = Matcher.fit(pairs, shared_encoder())
    assert matcher.sentence.groups.tolist() == [0, 1]
    assert matcher.rank(normalize("اين بطاقتي"))[0].entry_id == "وصول البطاقة"
    three = Matcher.fit([*pairs, ("weather", "will it rain tomorrow"),
                         ("weather", "weather forecast")], shared_encoder())
    assert three.updated({"weather": []}).rank(normalize("where is my card"))[0].entry_id == (
        "card_arrival")
