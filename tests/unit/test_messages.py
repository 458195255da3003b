"""Long replies are split at Telegram's limit, at natural breaks, and escaped for HTML."""

from bot.tg.messages import LIMIT, html_pieces, split_text


def test_short_text_is_one_piece() -> None:
    assert split_text("hello") == ["hello"]
    assert LIMIT == 4096


def test_splits_at_paragraphs_then_words() -> None:
    text = "a" * 30 + "\n\n" + "b" * 30
    assert split_text(text, limit=40) == ["a" * 30, "b" * 30]
    words = " ".join(["كلمة"] * 30)
    pieces = split_text(words, limit=50)
    assert all(len(p) <= 50 for p in pieces)
    assert " ".join(pieces) == words


def test_a_word_longer_than_the_limit_is_cut() -> None:
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]


def test_escaping_happens_after_splitting() -> None:
    pieces = html_pieces("<b>&" * 3000)
    assert len(pieces) == 3
    assert pieces[0].startswith("&lt;b&gt;&amp;")
    assert all("<" not in p for p in pieces)
