"""Reading files of labelled phrasings and questions: what is refused, and where it says so."""

import csv
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.answering import Answerer, Asker
from bot.cli import cli
from bot.kb import spreadsheet
from bot.kb.imports import ImportProblem, plan_import, unknown_facts, write_import
from bot.matching.evaluate import evaluate, read_questions, render_report, render_sweep, sweep


def _plan(tmp_path: Path, content: str, name: str = "train.csv"):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return plan_import(path)


def _refusal(tmp_path: Path, content: str, name: str = "train.csv") -> str:
    with pytest.raises(ImportProblem) as refused:
        _plan(tmp_path, content, name)
    return str(refused.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("intent,text\ncard,where is it\ncard,hello, how are you\n",
         "train.csv:3: 3 cells, but the header names 2; put a text that holds a comma in "
         "double quotes"),
        ("intent,text,answer\ncard,where is it,\"On its way.\nfee,why a fee,A rule.\n",
         "train.csv:2: a quotation mark opened in this row is left open, so lines 2 to 3 would "
         "be one row; close it, or write a quote inside a quoted cell as two (\"\")"),
        ("intent,text\ncard,\"where is it\nfee,why a fee\nfee,\"a fee\"\ncard,lost\n",
         "train.csv:2: a quotation mark opened in this row is left open, so lines 2 to 4 would "
         "be one row"),
        ("intent,text,answer\na,question one,\"Answer one\nb,question two,Answer two\n"
         "c,question three,\"Answer three\"\n",
         "train.csv:2: a quotation mark opened in this row is left open, so lines 2 to 4 would "
         "be one row"),
        ("intent,text\nfee, \"what is the fee, please\"\n",
         "train.csv:2: 3 cells, but the header names 2; put a text that holds a comma in double "
         "quotes; a space between a comma and an opening quotation mark makes the mark part "
         "of the text"),
        ("intent,text\ncard,where is it\ncard,😀 !!\n",
         "train.csv:3: the text '😀 !!' has no letters or digits to match a question by"),
        ("intent,text\ncard,where is it\ncard,ـــ؟\n",
         "train.csv:3: the text 'ـــ؟' has no letters or digits to match a question by"),
        ("intent,text\noos,what is the weather\n",
         "train.csv:2: the intent 'oos' marks, in evaluation files, a question to decline"),
        ("intent,text\nNone,tell me a joke\n",
         "train.csv:2: the intent 'None' marks, in evaluation files, a question to decline"),
        ("intent,text\nbilling|refunds,my money back\n",
         "train.csv:2: the intent 'billing|refunds' holds '|'"),
        ("intent,text\n" + "a" * 201 + ",where is it\n",
         "train.csv:2: the intent is 201 characters long; an intent may have at most 200"),
        ("intent,text\ncard,where\x00 is it\n",
         "train.csv:2: the text holds the control character U+0000; remove it"),
        ("intent,text,answer\ncard,where is it,On its\x1b way.\n",
         "train.csv:2: the answer holds the control character U+001B; remove it"),
        ("intent,text,lang\ncard,where is it,Armenian\n",
         "train.csv:2: language 'Armenian' is not ar or en (nor a locale of either, such as "
         "ar-EG or en-GB)"),
        ("intent,text,lang\ncard,where is it,entirely\n",
         "train.csv:2: language 'entirely' is not ar or en"),
        ("intent,text,answer\ncard,where is it,On its way.\ncard,my card?,It was lost.\n",
         "train.csv:3: another answer for card (en) than line 2 gives; an entry has one "
         "answer a language"),
        ("intent,text\ncard,where is it\n\"\ncard\",\n",
         "train.csv:3: the text is empty"),
    ],
)
def test_a_file_that_would_import_wrongly_is_refused_at_its_line(
        tmp_path: Path, content: str, message: str) -> None:
    assert message in _refusal(tmp_path, content)


def test_a_text_with_a_comma_in_quotes_or_a_trailing_empty_cell_is_whole(tmp_path: Path) -> None:
    plan = _plan(tmp_path, 'intent,text\ncard,"hello, where is my card"\ncard,lost card,\n')
    assert [p.text for p in plan.phrasings] == ["hello, where is my card", "lost card"]


def test_a_question_over_several_lines_in_quotes_is_one_phrasing(tmp_path: Path) -> None:
    plan = _plan(tmp_path, 'intent,text\ncard,"\nwhere is my card\n\n"\ncard,lost card\n'
                           'card,"Hi,\nI lost my card, what now?"\n')
    assert [(p.line, p.text) for p in plan.phrasings] == [
        (2, "where is my card"), (6, "lost card"), (7, "Hi,\nI lost my card, what now?")]


def test_a_tsv_written_by_a_csv_writer_is_read_with_its_quoting(tmp_path: Path) -> None:
    path = tmp_path / "written.tsv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter="\t")
        writer.writerows([["intent", "text", "answer"],
                          ["card_lost", "I lost my card", "Call us.\nWe block it at once."],
                          ["fee", "what\tis the fee", 'It is "small".']])
    plan = plan_import(path)
    assert [(p.line, p.intent, p.text, p.answer) for p in plan.phrasings] == [
        (2, "card_lost", "I lost my card", "Call us.\nWe block it at once."),
        (4, "fee", "what\tis the fee", 'It is "small".')]


def test_languages_are_read_by_name_and_locale(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "intent,text,lang\ncard,where is it,English\ncard,وين بطاقتي,ar-EG\n"
                           "card,my card,EN\ncard,بطاقتي,العربية\ncard,بطاقتي وين,arabic_msa\n"
                           "card,card please,eng\ncard,وين البطاقة,arb_Arab\n"
                           "card,the card,انجليزي\ncard,البطاقة,ara\n")
    assert [p.lang for p in plan.phrasings] == ["en", "ar", "en", "ar", "ar", "en", "ar",
                                                "en", "ar"]


def test_a_semicolon_separated_file_is_read(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "intent;text\ncard_arrival;where is my card, please\n")
    assert [(p.intent, p.text) for p in plan.phrasings] == [
        ("card_arrival", "where is my card, please")]


def test_a_qna_answer_opening_with_a_quote_keeps_it_and_the_next_row(tmp_path: Path) -> None:
    plan = _plan(tmp_path,
                 "Question\tAnswer\tSource\tMetadata\n"
                 "what is hive\t\"HIVE\" is a miner, they say\tweb\t\n"
                 "who runs hive\t\"Frank runs it\tweb\t\n"
                 "where is hive\tIn Canada\tweb\t\n"
                 "\"why \"\"hive\"\"?\"\tIn Canada\tweb\t\n", name="qna.tsv")
    assert [(p.text, p.answer) for p in plan.phrasings] == [
        ("what is hive", '"HIVE" is a miner, they say'),
        ("who runs hive", '"Frank runs it'),
        ("where is hive", "In Canada"),
        ('why "hive"?', "In Canada"),
    ]


def test_a_yaml_entry_may_not_be_named_as_evaluation_files_mark_a_decline(
        tmp_path: Path) -> None:
    content = ("entries:\n  - id: oos\n    source: nowhere\n"
               "    ar:\n      question: كيف الطقس\n      answer: مشمس.\n"
               "      phrasings:\n        - هل الجو مشمس\n"
               "    en:\n      question: what is the weather\n      answer: Sunny.\n"
               "      phrasings:\n        - is it sunny\n")
    assert ("train.yaml: entry oos: the intent 'oos' marks, in evaluation files, a question "
            "to decline" in _refusal(tmp_path, content, "train.yaml"))


def test_a_file_whose_name_is_not_utf8_is_imported(fresh_db, tmp_path: Path) -> None:
    path = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.csv"))
    path.write_text("intent,text\nhive_quarter_news,what did hive report\n", encoding="utf-8")
    counts = write_import(fresh_db, plan_import(path))
    assert counts["entries"] == 1
    assert fresh_db["entries"].get("hive_quarter_news")["source"] == "caf\ufffd.csv"


def test_an_answer_in_the_file_replaces_an_imported_entrys(fresh_db, tmp_path: Path) -> None:
    first = "intent,text,answer\nopening-hours,when are you open,From nine to five.\n"
    write_import(fresh_db, _plan(tmp_path, first))
    again = "intent,text,answer\nopening-hours,what are your hours,From eight to six.\n"
    counts = write_import(fresh_db, _plan(tmp_path, again))
    assert counts["answers"] == 1
    reply = Answerer(fresh_db).answer_entry("opening-hours", Asker(lang="en"))
    assert reply.text == "From eight to six."


def test_an_answer_may_not_replace_a_curated_entrys(fresh_db, tmp_path: Path) -> None:
    before = fresh_db.execute("SELECT text FROM answers WHERE entry_id = 'what-is-the-halving' "
                              "AND lang = 'en'").fetchone()
    plan = _plan(tmp_path, "intent,text,answer\nwhat-is-the-halving,halving?,It is a party.\n")
    with pytest.raises(ImportProblem) as refused:
        write_import(fresh_db, plan)
    assert str(refused.value) == (
        "train.csv:2: what-is-the-halving is an entry of the curated knowledge with another "
        "answer (en); change it in its knowledge source, or leave the answer out of the file "
        "to add only the phrasing")
    assert fresh_db.execute("SELECT text FROM answers WHERE entry_id = 'what-is-the-halving' "
                            "AND lang = 'en'").fetchone() == before
    assert fresh_db.execute("SELECT count(*) FROM phrasings WHERE text = 'halving?'"
                            ).fetchone()[0] == 0


def test_an_answer_quoting_no_fact_is_told_and_shown_as_written(fresh_db,
                                                                 tmp_path: Path) -> None:
    plan = _plan(tmp_path, "intent,text,answer\nplan,ai power plan,About {planned-ai-power} "
                           "from {yyyy-mm-dd}; { not a name }.\n")
    assert unknown_facts(fresh_db, plan) == [
        "train.csv:2: {yyyy-mm-dd} in the answer names no fact of this knowledge base, so it "
        "is shown as written"]
    write_import(fresh_db, plan)
    reply = Answerer(fresh_db).answer_entry("plan", Asker(lang="en"))
    assert reply.text == "About 30 gigawatts from {yyyy-mm-dd}; { not a name }."


def test_an_answer_keeps_braces_around_a_name_that_is_no_fact(fresh_db) -> None:
    fresh_db["answers"].upsert({"entry_id": "what-is-the-halving", "lang": "en", "title": "t",
                                "text": "See {0} and {nope}."}, pk=("entry_id", "lang"))
    reply = Answerer(fresh_db).answer_entry("what-is-the-halving", Asker(lang="en"))
    assert reply.text == "See {0} and {nope}."


def test_eval_names_intents_the_knowledge_base_does_not_have(answerer, tmp_path: Path) -> None:
    path = tmp_path / "test.csv"
    path.write_text("intent,text\nno-such-intent,what is hashprice\n"
                    "typo-intnet,what is an asic\ntypo-intnet,asic?\n"
                    "what-is-the-halving,what is the halving\n", encoding="utf-8")
    report = evaluate(answerer, read_questions(path))
    assert report["unknown_intents"] == {"n": 3, "distinct": 2,
                                         "intents": ["typo-intnet", "no-such-intent"]}
    assert ("3 in-scope questions name intents the knowledge base does not have, so none of "
            "them can be answered right: typo-intnet, no-such-intent") in render_report(report)
    rows = sweep(answerer, read_questions(path))
    assert {row["unknown_intents"] for row in rows} == {3}
    assert render_sweep(rows, answerer.thresholds).splitlines()[-1] == (
        "3 in-scope questions name intents the knowledge base does not have, so none of them "
        "can be answered right (see faqbot eval without --sweep).")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [("intent,text\n|,what is hashprice\n", "test.csv",
      "test.csv:2: the intent '|' names no entry; write an entry's id, ids joined by '|', "
      "or oos for a question to decline"),
     ("entries: []\n", "test.yaml",
      "test.yaml: eval reads questions from a CSV or TSV file (intent,text[,lang]), not "
      "from YAML")],
)
def test_eval_refuses_a_file_it_would_misread(tmp_path: Path, content: str, name: str,
                                             message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportProblem) as refused:
        read_questions(path)
    assert str(refused.value) == message


def test_eval_reads_a_decline_however_it_is_written(answerer, tmp_path: Path) -> None:
    """"out-of-scope" was taken for an intent the knowledge base does not have."""
    path = tmp_path / "test.csv"
    path.write_text("intent,text\nOut-Of-Scope,what is the weather in rome\n"
                    "out of scope,who won the match\nOOS,best pizza nearby\n"
                    "None,how tall is everest\n,is it raining\n", encoding="utf-8")
    report = evaluate(answerer, read_questions(path))
    assert (report["oos_n"], report["n_in_scope"], report["oos_rejected"]) == (5, 0, 1.0)
    content = "intent,text\nout-of-scope,what is the weather\n"
    assert ("train.csv:2: the intent 'out-of-scope' marks, in evaluation files, a question "
            "to decline" in _refusal(tmp_path, content, "train.csv"))


def test_eval_takes_a_question_as_a_message_would_come(tmp_path: Path) -> None:
    path = tmp_path / "test.csv"
    path.write_text("intent,text\nwhat-is-the-halving,what is\x00 the halving\n"
                    "oos,😀\n", encoding="utf-8")
    assert [q.text for q in read_questions(path)] == ["what is\x00 the halving", "😀"]


def test_sweep_declines_what_has_no_letters_as_the_bot_does(answerer, tmp_path: Path) -> None:
    path = tmp_path / "test.csv"
    path.write_text("intent,text\nwhat-is-the-halving,???\noos,😀😀\n"
                    "what-is-the-halving,what is the halving\n", encoding="utf-8")
    questions = read_questions(path)
    report = evaluate(answerer, questions)
    rows = sweep(answerer, questions)
    current = next(r for r in rows if abs(r["answer"] - answerer.thresholds.answer) < 1e-9)
    assert (report["fallback_rate"], report["oos_rejected"]) == (0.5, 1.0)
    assert (current["fallback_rate"], current["oos_rejected"], current["wrong"]) == (
        0.5, 1.0, 0.0)
    assert all(row["oos_rejected"] == 1.0 for row in rows)
    assert all(row["suggest"] == round(row["suggest"], 3) for row in rows)


def test_the_command_tells_what_the_knowledge_base_cannot_take_and_what_changed(
        fresh_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FAQBOT_DB", raising=False)

    def kb_import(content: str):
        (tmp_path / "train.csv").write_text(content, encoding="utf-8")
        return CliRunner().invoke(cli, ["kb", "import", "train.csv", "--db", str(fresh_db_path)],
                                  catch_exceptions=False)

    refused = kb_import("intent,text,answer\nwhat-is-the-halving,halving?,A party.\n")
    assert (refused.exit_code, refused.output) == (1, (
        "Error: train.csv:2: what-is-the-halving is an entry of the curated knowledge with "
        "another answer (en); change it in its knowledge source, or leave the answer out of "
        "the file to add only the phrasing\nNothing was imported.\n"))
    assert kb_import("intent,text,answer\nhours-1,when are you open,Nine to five.\n").output == (
        "1 new entry, 1 new phrasing\n")
    assert kb_import("intent,text,answer\nhours-1,your hours?,Eight to six.\n").output == (
        "0 new entries, 1 new phrasing, 1 answer changed\n")


def test_standard_input_is_read_for_a_dash(fresh_db_path: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    imported = CliRunner().invoke(
        cli, ["kb", "import", "-", "--db", str(fresh_db_path)], catch_exceptions=False,
        input=b"intent,text\nhive-news-1,what did hive report this quarter\n")
    assert (imported.exit_code, imported.output) == (0, "1 new entry, 1 new phrasing\n")
    evaluated = CliRunner().invoke(
        cli, ["eval", "-", "--json", "--db", str(fresh_db_path)], catch_exceptions=False,
        input="intent,text\nwhat-is-the-halving,ما هو تنصيف البيتكوين\n".encode())
    assert json.loads(evaluated.stdout)["accuracy"] == 1.0
    refused = CliRunner().invoke(cli, ["kb", "import", "-", "--db", str(fresh_db_path)],
                                 input=b"intent;text\n")
    assert refused.output == ("Error: standard input: the file has a header but no rows\n"
                              "Nothing was imported.\n")


@pytest.mark.parametrize(("cell", "shown"), [
    ("=1+1", "'=1+1"), ("+966 5", "'+966 5"), ("-how much", "'-how much"),
    ("@admin", "'@admin"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("how much power?", "how much power?"), ("كم =", "كم ="), ("'quoted'", "'quoted'"),
])
def test_a_cell_for_a_spreadsheet_is_text_and_reads_back_as_it_was(cell: str,
                                                                   shown: str) -> None:
    assert spreadsheet.written(cell) == shown
    assert spreadsheet.read(shown) == cell
