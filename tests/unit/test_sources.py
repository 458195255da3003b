"""Broken knowledge sources are reported by file, line and field; nothing is written."""

import shutil
from pathlib import Path

import pytest

from bot.kb.build import build
from bot.kb.sources import SourceError, default_sources, read_sources
from bot.kb.store import connect, get_meta


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(default_sources(), folder)
    return folder


def test_shipped_sources_are_valid() -> None:
    knowledge = read_sources()
    kinds = {e.kind for e in knowledge.entries}
    assert kinds == {"faq", "fact", "smalltalk"}
    assert knowledge.summaries


def _break(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def test_missing_answer_names_file_line_and_field(sources: Path) -> None:
    faq = sources / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    start = text.index("\n    en:\n") + 1
    answer_at = text.index("      answer:", start)
    end = text.index("\n", answer_at)
    if text[end + 1:].startswith("        "):  # a block scalar continues
        while text[end + 1:].startswith("        "):
            end = text.index("\n", end + 1)
    faq.write_text(text[:answer_at] + text[end + 1:], encoding="utf-8")
    line = text[:start].count("\n") + 1
    with pytest.raises(SourceError) as caught:
        read_sources(sources)
    assert [str(p) for p in caught.value.problems] == [
        f"faq.yaml:{line + 1}: entries[0].en.answer: is required"
    ]


def test_unknown_fact_placeholder(sources: Path) -> None:
    line = _break(sources / "faq.yaml", "{planned-ai-power}", "{no-such-fact}")
    with pytest.raises(SourceError) as caught:
        read_sources(sources)
    (problem,) = caught.value.problems
    assert problem.file == "faq.yaml"
    assert problem.message == "{no-such-fact} names no fact"
    assert problem.line <= line


def test_bad_unit_and_value(sources: Path) -> None:
    unit_line = _break(sources / "facts.yaml", "unit: power-gigawatt", "unit: power-jiggawatt")
    value_line = _break(sources / "facts.yaml", "value: 14", "value: fourteen")
    with pytest.raises(SourceError) as caught:
        read_sources(sources)
    found = {(p.line, p.message.split(" ")[0]) for p in caught.value.problems}
    assert (unit_line, "'power-jiggawatt'") in found
    assert (value_line, "must") in found


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1" + "0" * 400])
def test_a_fact_value_no_answer_could_quote_is_refused(sources: Path, value: str) -> None:
    line = _break(sources / "facts.yaml", "value: 14", f"value: {value}")
    with pytest.raises(SourceError) as caught:
        read_sources(sources)
    # Told once: the answers that quote the fact were also said to name no fact.
    assert [(p.file, p.line, p.message) for p in caught.value.problems] == [
        ("facts.yaml", line, "must be a finite number")]


def test_a_source_that_cannot_be_read_is_named(sources: Path) -> None:
    (sources / "faq.yaml").unlink()
    (sources / "faq.yaml").mkdir()
    (sources / "summaries.yaml").write_text("[" * 20_000, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        read_sources(sources)
    assert [str(p) for p in caught.value.problems[:2]] == [
        "faq.yaml:0: file: cannot be read (Is a directory)",
        "summaries.yaml:0: yaml: nested too deeply to be read"]


def test_a_source_that_is_not_utf8_is_told_at_its_line(sources: Path) -> None:
    path = sources / "summaries.yaml"
    path.write_bytes(path.read_bytes().replace("رصدت".encode(), "r\xe9sum\xe9".encode("latin-1"),
                                               1))
    line = path.read_bytes()[:path.read_bytes().index(b"\xe9")].count(b"\n") + 1
    with pytest.raises(SourceError) as caught:
        read_sources(sources)
    assert [str(p) for p in caught.value.problems] == [
        f"summaries.yaml:{line}: file: is not UTF-8 text (invalid continuation byte)"]
    assert line > 1


def test_yaml_syntax_error_has_a_line(sources: Path) -> None:
    path = sources / "summaries.yaml"
    path.write_text("summaries:\n  - id: x\n    en: [unclosed\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        read_sources(sources)
    (problem,) = caught.value.problems
    assert (problem.file, problem.field) == ("summaries.yaml", "yaml")
    assert problem.line >= 3


def test_duplicate_id_across_files(sources: Path) -> None:
    _break(sources / "smalltalk.yaml", "id: greeting", "id: planned-ai-power")
    with pytest.raises(SourceError, match="'planned-ai-power' is already used in"):
        read_sources(sources)


def test_broken_build_leaves_the_database_untouched(sources: Path, tmp_path: Path) -> None:
    db = connect(tmp_path / "kb.db")
    build(db, sources)
    before = get_meta(db, "knowledge_version")
    entries = db["entries"].count
    _break(sources / "facts.yaml", "value: 14", "value: [14]")
    with pytest.raises(SourceError):
        build(db, sources)
    assert get_meta(db, "knowledge_version") == before
    assert db["entries"].count == entries


def test_rebuild_keeps_users_and_questions(fresh_db) -> None:
    fresh_db["users"].insert({"id": 7, "lang": "ar", "digits": "arab"})
    build(fresh_db)
    assert fresh_db["users"].get(7)["digits"] == "arab"


def test_rebuild_keeps_imported_phrasings_and_creation_times(fresh_db, tmp_path: Path) -> None:
    from bot.kb.imports import plan_import, write_import

    created = fresh_db["entries"].get("winter-storm")["created_at"]
    fresh_db.execute("UPDATE entries SET created_at = '2020-01-01' WHERE id = 'winter-storm'")
    csv_file = tmp_path / "more.csv"
    csv_file.write_text("intent,text\nwinter-storm,did the blizzard stop the rigs\n",
                        encoding="utf-8")
    write_import(fresh_db, plan_import(csv_file))
    build(fresh_db)
    texts = [r[0] for r in fresh_db.execute(
        "SELECT text FROM phrasings WHERE entry_id = 'winter-storm'")]
    assert "did the blizzard stop the rigs" in texts
    assert fresh_db["entries"].get("winter-storm")["created_at"] == "2020-01-01" != created


def test_curated_id_taken_by_an_import_is_reported(tmp_path: Path) -> None:
    from bot.kb.imports import plan_import, write_import

    db = connect(tmp_path / "kb.db")
    csv_file = tmp_path / "mine.csv"
    csv_file.write_text("intent,text\nwinter-storm,snow\n", encoding="utf-8")
    write_import(db, plan_import(csv_file))
    with pytest.raises(SourceError, match="'winter-storm' is already an entry added by imported"):
        build(db)


def test_a_database_built_from_the_embedded_knowledge_follows_upgrades(fresh_db) -> None:
    from bot.kb.build import ensure_built
    from bot.kb.store import set_meta

    fresh_db.execute("DELETE FROM phrasings WHERE entry_id = 'winter-storm'")
    ensure_built(fresh_db)
    assert fresh_db.execute(
        "SELECT count(*) FROM phrasings WHERE entry_id = 'winter-storm'").fetchone()[0] == 0
    set_meta(fresh_db, "sources_digest", "from-an-older-release")
    ensure_built(fresh_db)
    assert fresh_db.execute(
        "SELECT count(*) FROM phrasings WHERE entry_id = 'winter-storm'").fetchone()[0] > 10


def test_shipped_thresholds_are_checked(sources: Path) -> None:
    assert read_sources(sources).thresholds is not None
    _break(sources / "matching.yaml", "suggest: 0.62", "suggest: 0.9")
    with pytest.raises(SourceError, match="suggest <= answer"):
        read_sources(sources)
