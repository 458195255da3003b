"""Turning replies into Telegram messages: HTML escaping and the 4096-character limit."""

from __future__ import annotations

import html

from telegram.constants import MessageLimit

LIMIT = MessageLimit.MAX_TEXT_LENGTH


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    """Cut plain text into pieces of at most `limit` characters, at the gentlest break.

    Paragraphs first, then lines, then sentences, then words; a word longer than the
    limit is cut where it must be.
    """
    pieces: list[str] = []
    text = text.strip()
    while len(text) > limit:
        window = text[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", ". ", "。", "؟ ", "? ", "! ", " "):
            at = window.rfind(separator, 0, limit)
            if at > limit // 3:
                cut = at + len(separator.rstrip()) if separator.strip() else at
                break
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def html_pieces(text: str, limit: int = LIMIT) -> list[str]:
    """Plain text as HTML-escaped messages, each within Telegram's limit once parsed."""
    return [html.escape(piece, quote=False) for piece in split_text(text, limit)]
