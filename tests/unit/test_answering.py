"""The answering core: outcomes, languages and numbers, independent of Telegram."""

import csv
from pathlib import Path

import pytest

from bot.answering import Answerer, Asker, Outcome, normalized_question, written_question
from bot.matching.evaluate import evaluate, labelled
from bot.matching.thresholds import Thresholds

RLM = "\u200f"
HELD_OUT = Path(__file__).parent.parent / "data" / "curated_questions.csv"


def test_arabic_fact_question_is_answered_with_the_formatted_number(answerer: Answerer) -> None:
    reply = answerer.answer("كم جيجاواط تخطط شركات التعدين للذكاء الاصطناعي؟")
    assert reply.outcome == Outcome.ANSWER
    assert reply.lang == "ar"
    assert reply.entry_id == "planned-ai-power"
    assert reply.text == (
        f"{RLM}تخطط شركات تعدين البيتكوين العامة لإنشاء قدرة طاقة جديدة تصل إلى 30 غيغا واط "
        "مخصصة لأحمال عمل الذكاء الاصطناعي."
    )


@pytest.mark.parametrize(
    ("asker", "number", "money"),
    [
        (Asker(), "219%", "93.1"),
        (Asker(locale="ar-EG"), "٢١٩٪؜", "٩٣٫١"),
        (Asker(locale="ar-SA", digits="latn"), "219%", "93.1"),
        (Asker(digits="arab"), "٢١٩٪؜", "٩٣٫١"),
    ],
)
def test_digits_follow_locale_and_choice(answerer: Answerer, asker: Asker, number: str,
                                         money: str) -> None:
    reply = answerer.answer("بكم ارتفعت ايرادات هايف؟", asker)
    assert reply.text == (f"{RLM}ارتفعت مبيعات HIVE Digital{RLM} في الربع الأخير بنسبة {number} "
                          f"على أساس سنوي، لتبلغ {money} مليون دولار أمريكي.")


def test_english_money_is_spelled_out(answerer: Answerer) -> None:
    reply = answerer.answer("how much revenue did HIVE make last quarter?")
    assert reply.text == (
        "HIVE Digital's sales reached 93.1 million US dollars in its latest quarter, a record."
    )


def test_chosen_language_wins_over_the_script(answerer: Answerer) -> None:
    reply = answerer.answer("how many gigawatts are planned for ai", Asker(lang="ar"))
    assert reply.lang == "ar"
    assert "30 غيغا واط" in reply.text


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("ليش شركات التعدين رايحة على الذكاء الاصطناعي", "why-miners-pivot-to-ai"),
        ("ازاي هايف كسبت رغم نزول البيتكوين", "hive-growth-despite-price-drop"),
        ("شو قصة العاصفة الشتوية", "winter-storm"),
        ("إمتى حصل تخفيض المكافأة", "halving-year"),
        ("is the 30gw already running", "is-the-planned-power-operational"),
        ("whats hashprice", "what-is-hashprice"),
        ("wat is the halvening", "what-is-the-halving"),
    ],
)
def test_dialects_and_typos(answerer: Answerer, question: str, entry_id: str) -> None:
    reply = answerer.answer(question)
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, entry_id)


@pytest.mark.parametrize("text", ["مرحبا", "hello there", "شكرا جزيلا", "thanks!"])
def test_greetings_and_thanks_are_small_talk(answerer: Answerer, text: str) -> None:
    reply = answerer.answer(text)
    assert reply.outcome == Outcome.SMALLTALK
    assert not any(ch.isdigit() for ch in reply.text)


@pytest.mark.parametrize(
    "text", ["what is the weather in paris tomorrow", "كيف اطبخ المقلوبة", "who won the world cup"]
)
def test_out_of_scope_gets_the_fallback(answerer: Answerer, text: str) -> None:
    reply = answerer.answer(text)
    assert reply.outcome == Outcome.FALLBACK
    assert reply.entry_id is None


@pytest.mark.parametrize("question", [
    "ليش؟", "ليه؟", "علاش؟", "وبعدين؟", "طيب و بعدين", "والله؟", "ايش؟", "شو؟", "كيف يعني؟",
    "متى؟", "بجد؟",
])
def test_question_words_alone_ask_for_the_whole_question_in_arabic(answerer: Answerer,
                                                                   question: str) -> None:
    """A follow-up of a word names nothing to look up: before, "ليش؟" got why mining profits
    are low, "وبعدين؟" a goodbye and "والله؟" the greeting."""
    reply = answerer.answer(question)
    assert (reply.outcome, reply.lang, reply.entry_id) == (Outcome.EMPTY, "ar", None)
    assert reply.text == (
        "من فضلك اكتب سؤالك كاملًا.\nيمكنك أن تسألني مثلًا:\n"
        f"• {RLM}لماذا تتحول شركات تعدين البيتكوين إلى الذكاء الاصطناعي؟\n"
        f"• {RLM}كم تبلغ الطاقة الجديدة المخطط لها؟\n"
        f"• {RLM}هل بدأت هذه الاستراتيجية تؤتي ثمارها؟"
    )


@pytest.mark.parametrize("question", ["why?", "and then?", "Really?", "how come?", "so what?",
                                      "what about it?", "why not?"])
def test_question_words_alone_ask_for_the_whole_question_in_english(answerer: Answerer,
                                                                    question: str) -> None:
    reply = answerer.answer(question)
    assert (reply.outcome, reply.lang, reply.entry_id) == (Outcome.EMPTY, "en", None)
    assert reply.text == (
        "Please ask the whole question.\nYou can ask me things like:\n"
        "• Why are Bitcoin miners pivoting to AI?\n"
        "• How much new power is planned?\n"
        "• Has the strategy started paying off?"
    )


@pytest.mark.parametrize(("question", "outcome"), [
    ("who are you?", Outcome.SMALLTALK), ("مين انت؟", Outcome.SMALLTALK),
    ("when was the halving?", Outcome.ANSWER), ("متى التنصيف؟", Outcome.ANSWER),
    ("وكم الطاقة الحالية؟", Outcome.ANSWER),
])
def test_a_question_word_with_a_topic_is_still_a_question(answerer: Answerer, question: str,
                                                          outcome: Outcome) -> None:
    assert answerer.answer(question).outcome == outcome


@pytest.mark.parametrize(("question", "lang"), [("2024", "en"), ("٢٠٢٤", "ar"), ("۲۰۲۴", "ar")])
def test_a_year_in_any_digits_is_read_alike(answerer: Answerer, question: str,
                                            lang: str) -> None:
    """The sentence encoders read Arabic-Indic digits as the digits they are: before,
    "٢٠٢٤" fell back where "2024" was answered."""
    reply = answerer.answer(question)
    assert (reply.outcome, reply.entry_id, reply.lang) == (Outcome.ANSWER, "halving-year", lang)


def test_fallback_says_what_the_bot_can_answer(answerer: Answerer) -> None:
    reply = answerer.answer("كيف اطبخ المقلوبة")
    assert reply.text == (
        "عذرًا، ليست لدي إجابة عن هذا السؤال حتى الآن.\nيمكنك أن تسألني مثلًا:\n"
        f"• {RLM}لماذا تتحول شركات تعدين البيتكوين إلى الذكاء الاصطناعي؟\n"
        f"• {RLM}كم تبلغ الطاقة الجديدة المخطط لها؟\n"
        f"• {RLM}هل بدأت هذه الاستراتيجية تؤتي ثمارها؟"
    )


def test_too_close_to_call_offers_choices(fresh_db, add_twins) -> None:
    hours, phone = add_twins(fresh_db)
    answerer = Answerer(fresh_db)
    reply = answerer.answer("help desk")
    assert reply.outcome == Outcome.SUGGEST
    assert reply.text == "Did you mean one of these?"
    assert {c.entry_id for c in reply.choices} == {hours, phone}
    assert [c.title for c in reply.choices] == ["help desk", "help desk"]
    chosen = answerer.answer_entry(phone, Asker(), lang="en")
    assert (chosen.outcome, chosen.text) == (Outcome.ANSWER, "Call the help desk on extension 100.")


@pytest.mark.parametrize(("question", "lang", "text"), [
    ("when was the halving?", "en", "Did you mean this question?"),
    ("متى كان التنصيف؟", "ar", "هل تقصد هذا السؤال؟"),
])
def test_a_single_choice_is_offered_as_one(answerer: Answerer, question: str, lang: str,
                                           text: str) -> None:
    best = answerer.decide(normalized_question(question), written_question(question)).best
    # not sure enough to answer (a score is at most 1), and only the best is likely enough
    one = Answerer(answerer.db, thresholds=Thresholds(answer=1.01, suggest=best.evidence,
                                                      margin=0.0))
    reply = one.answer(question)
    assert (reply.outcome, reply.text, reply.lang) == (Outcome.SUGGEST, text, lang)
    assert [choice.entry_id for choice in reply.choices] == [best.entry_id]


@pytest.mark.parametrize("text", ["", "   ", "😀🚀", "\u200f\u200b", "؟؟؟"])
def test_nothing_to_match_asks_for_text(answerer: Answerer, text: str) -> None:
    reply = answerer.answer(text, Asker(locale="ar"))
    assert reply.outcome == Outcome.EMPTY
    assert reply.text == "من فضلك اكتب سؤالك نصًّا، بالعربية أو الإنجليزية."


def test_very_long_and_marked_up_questions(answerer: Answerer) -> None:
    reply = answerer.answer("*when* was the __halving__?")
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "halving-year")
    reply = answerer.answer("when was the halving? " + "x" * 5000)  # a stretched letter
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "halving-year")


def test_summary_per_language(answerer: Answerer) -> None:
    assert "30 غيغا واط" in answerer.summary(Asker(lang="ar"))
    assert "30 gigawatts" in answerer.summary(Asker(lang="en"))


def test_held_out_questions(answerer: Answerer) -> None:
    """Questions written without looking at the stored phrasings, in both languages."""
    with HELD_OUT.open(encoding="utf-8") as handle:
        questions = [labelled(r["intent"], r["text"], r["lang"]) for r in csv.DictReader(handle)]
    report = evaluate(answerer, questions)
    assert report["per_lang"]["ar"]["accuracy"] >= 0.85
    assert report["per_lang"]["en"]["accuracy"] >= 0.85
    assert report["oos_rejected"] >= 0.8


def test_evaluation_waits_for_the_encoder_before_timing_questions(kb_path,
                                                                 counting_encoder) -> None:
    """The encoder loads in the background: evaluation waits for it first (an empty text)
    so that the first question's latency is not the encoder's loading."""
    from dataclasses import replace

    from bot.kb.store import connect

    answerer = Answerer(connect(kb_path))
    sentence = answerer.matcher.sentence
    answerer.matcher.sentence = replace(sentence,
                                        encoders=(counting_encoder, *sentence.encoders[1:]))
    evaluate(answerer, [labelled("", "what is the weather in rome")])
    assert counting_encoder.seen == ["", "what is the weather in rome"]


def test_an_empty_knowledge_base_declines_politely(tmp_path) -> None:
    from bot.kb.store import connect

    reply = Answerer(connect(tmp_path / "empty.db")).answer("where is my card")
    assert (reply.outcome, reply.text) == (Outcome.FALLBACK,
                                           "Sorry, I don't have an answer to that yet.")


def test_thresholds_written_by_another_version_fall_back(fresh_db) -> None:
    from bot.kb.store import set_meta
    from bot.matching.thresholds import Thresholds, load_thresholds

    set_meta(fresh_db, "thresholds", '{"answer": 0.5, "future_knob": 3}')
    assert load_thresholds(fresh_db) == Thresholds(answer=0.5)
    set_meta(fresh_db, "thresholds", "null")
    assert load_thresholds(fresh_db) == Thresholds()


def test_candidates_do_not_depend_on_how_many_are_asked_for(answerer: Answerer) -> None:
    """Meaning can lift an entry that words alone ranked low, so the runner-up the margin
    is measured against and the "did you mean" choices are the true ones."""
    from bot.text.normalize import normalize

    matcher = answerer.matcher
    with HELD_OUT.open(encoding="utf-8") as handle:
        questions = [normalize(row["text"]) for row in csv.DictReader(handle)]
    for question in questions:
        everything = matcher.rank(question, limit=len(matcher.entry_ids))
        assert matcher.rank(question) == everything[:5], question
