"""The matcher index: cached per knowledge version, updated entry by entry, rebuilt when stale."""

from pathlib import Path

import pytest

from bot.answering import Answerer, Outcome
from bot.kb.imports import plan_import, write_import
from bot.matching.index import load_index


def _index_row(db) -> tuple[str, str, int]:
    return db.execute("SELECT version, built_at, changed_entries FROM matcher_index").fetchone()


def _import(db, tmp_path: Path, rows: str) -> None:
    path = tmp_path / "more.csv"
    path.write_text("intent,text\n" + rows, encoding="utf-8")
    write_import(db, plan_import(path))


def test_unchanged_knowledge_loads_the_stored_index(fresh_db) -> None:
    before = _index_row(fresh_db)
    matcher, version = load_index(fresh_db)
    assert (version, _index_row(fresh_db)) == (before[0], before)
    assert "winter-storm" in matcher.entry_ids


def test_one_new_entry_is_added_without_a_rebuild(fresh_db, tmp_path: Path) -> None:
    _import(fresh_db, tmp_path,
            "opening-hours,when are you open\nopening-hours,what are your opening hours\n"
            "opening-hours,are you open on friday\nopening-hours,متى تفتحون\n"
            "opening-hours,ما هي ساعات العمل\n")
    answerer = Answerer(fresh_db)
    version, _, changed = _index_row(fresh_db)
    assert changed == 1
    assert version == answerer.version
    assert answerer.answer("what are your opening hours on friday").entry_id == "opening-hours"
    assert answerer.answer("شو ساعات العمل").entry_id == "opening-hours"
    reply = answerer.answer("how many gigawatts are planned for ai")
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "planned-ai-power")


def test_an_edited_entry_is_relearned(fresh_db) -> None:
    fresh_db.execute("DELETE FROM phrasings WHERE entry_id = 'winter-storm' AND lang = 'en'")
    fresh_db["phrasings"].insert({"entry_id": "winter-storm", "lang": "en",
                                  "text": "blizzard", "normalized": "blizzard",
                                  "origin": "admin"})
    matcher, _ = load_index(fresh_db)
    assert _index_row(fresh_db)[2] == 1
    assert matcher.rank("blizzard")[0].entry_id == "winter-storm"


def test_many_changes_rebuild_everything(fresh_db, tmp_path: Path) -> None:
    rows = "".join(f"topic-{i},question number {i} about topic {i}\n" for i in range(40))
    _import(fresh_db, tmp_path, rows)
    load_index(fresh_db)
    assert _index_row(fresh_db)[2] == 0


def test_an_index_saved_by_older_code_is_rebuilt(fresh_db) -> None:
    import io
    import json

    import numpy as np

    from bot.matching.blob import pack, unpack

    blob = fresh_db.execute("SELECT data FROM matcher_index").fetchone()[0]
    arrays = unpack(blob)
    meta = json.loads(arrays["meta"].tobytes().decode())
    meta["format"] = 1
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    fresh_db.execute("UPDATE matcher_index SET data = ?, built_at = 'old'", [pack(arrays)])
    matcher, _ = load_index(fresh_db)
    assert _index_row(fresh_db)[1] != "old"
    assert matcher.rank("winter storm")[0].entry_id == "winter-storm"
    # Older still: numpy's zip archive of the same arrays.
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    fresh_db.execute("UPDATE matcher_index SET data = ?, built_at = 'older'", [buffer.getvalue()])
    matcher, _ = load_index(fresh_db)
    assert _index_row(fresh_db)[1] not in ("old", "older")
    assert matcher.rank("winter storm")[0].entry_id == "winter-storm"


def test_arrays_come_back_from_a_blob_as_they_went_in() -> None:
    import io

    import numpy as np
    import pytest

    from bot.matching.blob import pack, unpack

    arrays = {"half": np.arange(6, dtype=np.float16).reshape(2, 3),
              "ids": np.array([3, 1, 2], dtype=np.int32), "empty": np.zeros(0, np.uint8),
              "strided": np.arange(10, dtype=np.float32)[::2]}
    for source in (pack(arrays), io.BufferedReader(io.BytesIO(pack(arrays)))):
        back = unpack(source)
        assert list(back) == list(arrays)
        for name, array in arrays.items():
            assert back[name].dtype == array.dtype and np.array_equal(back[name], array)
    with pytest.raises(ValueError, match="not a blob"):
        unpack(b"PK\x03\x04 a zip archive")
    with pytest.raises(ValueError, match="ends inside array 'ids'"):
        unpack(pack(arrays)[:-30])


def test_a_corrupt_index_is_rebuilt(fresh_db) -> None:
    fresh_db.execute("UPDATE matcher_index SET data = ?", [b"\0" * 100])
    matcher, _ = load_index(fresh_db)
    assert matcher.rank("winter storm")[0].entry_id == "winter-storm"


def test_entries_in_a_script_the_index_does_not_read_rebuild_it(tmp_path: Path) -> None:
    """Intents imported a language at a time: an update kept the English n-grams alone, and
    the Arabic entries had no features (an Arabic phrasing asked as it was written got a
    confidence of 0.22)."""
    from bot.kb.store import connect

    db = connect(tmp_path / "two-files.db")
    _import(db, tmp_path, "card_arrival,where is my card\ncard_arrival,my card has not come\n"
                          "lost_card,i lost my card\nlost_card,my card was stolen\n"
                          "exchange_rate,what exchange rate do you use\n")
    load_index(db)
    _import(db, tmp_path, "وصول البطاقة,اين بطاقتي\nوصول البطاقة,لم تصل بطاقتي\n"
                          "البطاقة المفقودة,فقدت بطاقتي\nالبطاقة المفقودة,سرقت بطاقتي\n")
    matcher, _ = load_index(db)
    assert _index_row(db)[2] == 0
    best = matcher.rank("فقدت بطاقتي")[0]
    assert (best.entry_id, best.score > 0.9) == ("البطاقة المفقودة", True)
    _import(db, tmp_path, "exchange_rate,how much is a euro in dollars\n")
    load_index(db)
    assert _index_row(db)[2] == 1


def test_growing_from_one_entry_learns_a_classifier(tmp_path: Path) -> None:
    from bot.kb.store import connect

    db = connect(tmp_path / "grow.db")
    _import(db, tmp_path, "refund,refund policy\nrefund,how do refunds work\n")
    load_index(db)
    _import(db, tmp_path, "hours,opening hours\nhours,when are you open\n"
                          "card,where is my card\ncard,card not arrived\n")
    matcher, _ = load_index(db)
    assert matcher.coef is not None and matcher.coef.shape[0] == 3
    best, runner_up = matcher.rank("refund policy")[:2]
    assert best.entry_id == "refund"
    assert best.score > 0.9 > 0.2 > runner_up.score


def test_phrasings_from_an_older_normalize_are_renormalized(tmp_path: Path) -> None:
    from bot.kb.store import connect, set_meta

    db = connect(tmp_path / "old.db")
    db["entries"].insert({"id": "big", "kind": "faq", "origin": "imported", "active": 1})
    db["phrasings"].insert_all([
        {"entry_id": "big", "lang": "en", "text": "1000 GW", "normalized": "10 gw"},
        {"entry_id": "big", "lang": "en", "text": "1000 gw!", "normalized": "10 gw x"},
    ])
    set_meta(db, "normalize_version", "1")
    db.conn.close()
    db = connect(tmp_path / "old.db")
    assert [r[0] for r in db.execute("SELECT normalized FROM phrasings")] == ["1000 gw"]


def test_phrasings_are_encoded_once(fresh_db, counting_encoder) -> None:
    import numpy as np

    from bot.matching.encoder import sentence_text, shared_encoder
    from bot.matching.vectors import phrasing_vectors

    rows = fresh_db.execute("SELECT normalized, text FROM phrasings WHERE lang = 'ar' AND "
                            "(text LIKE '%ة%' OR text LIKE '%أ%') LIMIT 3").fetchall()
    stored, written = [row[0] for row in rows], [row[1] for row in rows]
    counting = counting_encoder
    first = phrasing_vectors(fresh_db, counting, [*stored, "a brand new phrasing", stored[0]])
    assert counting.seen == ["a brand new phrasing"]  # the index build cached the others
    again = phrasing_vectors(fresh_db, counting, ["a brand new phrasing"])
    assert counting.seen == ["a brand new phrasing"]
    # Encoded as written (hamza, taa marbuta), not as normalized; kept in half precision.
    fresh = shared_encoder().encode([*map(sentence_text, written), "a brand new phrasing"])
    assert first.shape == (5, fresh.shape[1])
    assert np.abs(first[:4] - fresh).max() < 1e-3
    assert np.abs(first[:3] - shared_encoder().encode(stored)).max() > 0.01
    assert np.array_equal(first[0], first[4]) and np.array_equal(again[0], first[3])


def test_switching_the_encoder_off_and_on_relearns_the_index(fresh_db, monkeypatch) -> None:
    assert load_index(fresh_db)[0].encoder_name is not None
    monkeypatch.setenv("FAQBOT_ENCODER", "off")
    matcher, _ = load_index(fresh_db)
    assert matcher.sentence is None
    assert matcher.rank("how many gigawatts for ai")[0].entry_id == "planned-ai-power"
    monkeypatch.delenv("FAQBOT_ENCODER")
    assert load_index(fresh_db)[0].sentence is not None


def test_a_new_spelling_of_a_phrasing_is_encoded_anew(fresh_db) -> None:
    """The encoder reads hamza that normalization folds: a phrasing respelt (اين -> أين)
    gets the vector of its new spelling, not the one cached for the old."""
    import numpy as np

    from bot.matching.encoder import sentence_text, shared_encoder
    from bot.matching.vectors import phrasing_vectors

    row = fresh_db.execute("SELECT id, normalized, text FROM phrasings WHERE lang = 'ar' AND "
                           "text LIKE '%ة%' LIMIT 1").fetchone()
    before = phrasing_vectors(fresh_db, shared_encoder(), [row[1]])
    respelt = row[2].replace("ة", "ه")
    fresh_db.execute("UPDATE phrasings SET text = ? WHERE id = ?", [respelt, row[0]])
    after = phrasing_vectors(fresh_db, shared_encoder(), [row[1]])
    expected = shared_encoder().encode([sentence_text(respelt)])[0]
    assert np.abs(after[0] - expected).max() < 1e-3
    assert np.abs(after[0] - before[0]).max() > 1e-3


def test_a_knowledge_base_is_learned_and_cached_with_every_encoder(tmp_path: Path) -> None:
    """The other encoders' vectors are cached beside the first encoder's, so a rebuild
    encodes nothing."""
    from bot.kb.store import connect
    from bot.matching.encoder import SECOND_NAME, TERMS_NAME, shared_encoder
    from bot.matching.index import build_index

    db = connect(tmp_path / "small.db")
    _import(db, tmp_path, "refund,refund policy\nrefund,how do refunds work\n"
                          "hours,opening hours\nhours,متى تفتحون\n"
                          "card,where is my card\ncard,بطاقتي لم تصل\n")
    matcher, _ = load_index(db)
    # Three phrasings an entry are few: the latent terms join (see matcher.TERMS_BELOW).
    assert matcher.sentence.names == [shared_encoder().name, SECOND_NAME, TERMS_NAME]
    cached = dict(db.execute("SELECT encoder, count(*) FROM phrasing_vectors "
                             "GROUP BY encoder"))
    # The intents' names too.
    assert cached == {shared_encoder().name: 9, SECOND_NAME: 9, TERMS_NAME: 9}
    assert build_index(db).rank("when do you open")[0].entry_id == "hours"
    assert dict(db.execute("SELECT encoder, count(*) FROM phrasing_vectors "
                           "GROUP BY encoder")) == cached


def test_latent_terms_are_cached_as_they_were_encoded(fresh_db) -> None:
    """A sparse vector comes back from the cache as the encoder gave it, in half
    precision; one stored for other dimensions is encoded anew."""
    import numpy as np

    from bot.matching.encoder import TERMS_NAME, sentence_text, terms_encoder
    from bot.matching.vectors import phrasing_vectors

    rows = fresh_db.execute("SELECT normalized, text FROM phrasings ORDER BY id LIMIT 3")
    stored, written = zip(*rows.fetchall(), strict=True)
    terms = terms_encoder()
    expected = terms.encode([sentence_text(text) for text in written]).toarray()
    first = phrasing_vectors(fresh_db, terms, [*stored, stored[0]])
    assert first.shape == (4, terms.dimensions) and first.dtype == np.float32
    assert np.abs(first[:3].toarray() - expected).max() < 1e-3
    assert (first[0] != first[3]).nnz == 0
    fresh_db.execute("UPDATE phrasing_vectors SET vector = ? WHERE encoder = ?",
                     [b"\xff\xff\x00\x3c", TERMS_NAME])  # dimension 65,535 of 16,384
    again = phrasing_vectors(fresh_db, terms, list(stored))
    assert np.abs(again.toarray() - expected).max() < 1e-3
    assert phrasing_vectors(fresh_db, terms, []).shape == (0, terms.dimensions)


def test_encoding_is_stored_a_chunk_at_a_time_and_shown(fresh_db, counting_encoder,
                                                        shown_progress, monkeypatch) -> None:
    """A build stopped while encoding keeps the chunks already encoded, and the progress it
    reports counts the phrasings encoded, not those read from the cache."""
    from bot.matching import vectors

    monkeypatch.setattr(vectors, "ENCODE_CHUNK", 2)
    progress, shown = shown_progress, shown_progress.shown

    new = [f"a phrasing never encoded {n}" for n in range(5)]
    real = counting_encoder.encode

    def fails_on_the_third_chunk(texts):
        if len(counting_encoder.seen) >= 4:
            raise KeyboardInterrupt
        return real(texts)

    monkeypatch.setattr(counting_encoder, "encode", fails_on_the_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        vectors.phrasing_vectors(fresh_db, counting_encoder, new, progress)
    assert shown == [(counting_encoder.name, 5), 2, 2]
    assert counting_encoder.seen == new[:4]
    monkeypatch.setattr(counting_encoder, "encode", real)
    shown.clear()
    again = vectors.phrasing_vectors(fresh_db, counting_encoder, new, progress)
    assert counting_encoder.seen == [*new[:4], new[4]]  # only the one never stored
    assert shown == [(counting_encoder.name, 1), 1]
    assert again.shape == (5, counting_encoder.dimensions)
