"""The matcher on its own: evidence, coverage, storage."""

import pytest

from bot.matching.matcher import Matcher
from bot.matching.vocabulary import Vocabulary
from bot.text.normalize import normalize

PAIRS = [
    (entry, normalize(text))
    for entry, texts in {
        "card-arrival": ["where is my card", "my card has not arrived", "card delivery time",
                         "وين بطاقتي", "بطاقتي ما وصلت", "متى تصل البطاقة"],
        "exchange-rate": ["what exchange rate do you use", "euro to dollar rate",
                          "how is the rate calculated", "ما هو سعر الصرف", "سعر صرف الدولار",
                          "كيف تحسبون سعر الصرف"],
        "lost-card": ["i lost my card", "my card was stolen", "block my lost card",
                      "ضاعت بطاقتي", "انسرقت البطاقة", "اوقفوا بطاقتي الضايعة"],
    }.items()
    for text in texts
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.fit(PAIRS)


@pytest.mark.parametrize(
    ("question", "entry"),
    [("my card still hasnt arived", "card-arrival"), ("بطاقتى لم تصل بعد", "card-arrival"),
     ("what's the exchange rate for euros?", "exchange-rate"), ("سعر الصرف كم", "exchange-rate"),
     ("someone stole my card", "lost-card"), ("ضاعت البطاقه", "lost-card")],
)
def test_best_entry(matcher: Matcher, question: str, entry: str) -> None:
    assert matcher.rank(normalize(question))[0].entry_id == entry


def test_coverage_weighs_unknown_and_misspelt_words() -> None:
    vocabulary = Vocabulary.fit(["where is my card", "lost card"])
    assert vocabulary.coverage("where is my card") == 1.0
    assert vocabulary.coverage("weather in paris") == 0.0
    assert 0 < vocabulary.coverage("where is my carrd") < 1.0
    assert vocabulary.coverage("where is my carrd") > vocabulary.coverage("where is my pasta")


def test_off_topic_questions_score_low(matcher: Matcher) -> None:
    on = matcher.rank(normalize("where is my card"))[0].score
    off = matcher.rank(normalize("what is the weather in paris"))
    assert on > 0.5
    assert not off or off[0].score < 0.2


def test_storage_round_trip_ranks_the_same(matcher: Matcher) -> None:
    restored = Matcher.from_bytes(matcher.to_bytes())
    for question in ("where is my card", "سعر الصرف", "stolen card"):
        a, b = matcher.rank(question), restored.rank(question)
        assert [c.entry_id for c in a] == [c.entry_id for c in b]
        assert [round(c.score, 2) for c in a] == [round(c.score, 2) for c in b]


def test_update_adds_and_removes_entries(matcher: Matcher) -> None:
    updated = matcher.updated({"lost-card": [],
                               "pin-reset": ["reset my pin", "forgot my pin", "نسيت الرقم السري"]})
    assert "lost-card" not in updated.entry_ids
    assert updated.rank("i forgot my pin")[0].entry_id == "pin-reset"
    assert updated.rank("where is my card")[0].entry_id == "card-arrival"


def test_rows_must_be_grouped_by_entry(matcher: Matcher) -> None:
    with pytest.raises(ValueError, match="grouped by entry"):
        Matcher(entry_ids=matcher.entry_ids, chars=matcher.chars, words=matcher.words,
                phrasings=matcher.by_feature.T, owners=matcher.owners[::-1], coef=matcher.coef,
                intercept=matcher.intercept, vocabulary=matcher.vocabulary,
                calibration=matcher.calibration, digests=matcher.digests)


def test_fuzzy_lookups_are_capped_for_long_messages() -> None:
    from bot.matching.vocabulary import MAX_FUZZY_LOOKUPS

    vocabulary = Vocabulary.fit(["where is my card"])
    assert vocabulary.coverage("carrd") > 0
    flood = " ".join(f"zq{i}xv" for i in range(MAX_FUZZY_LOOKUPS))
    assert vocabulary.coverage(flood + " carrd") == 0.0  # no look-up left for the typo
