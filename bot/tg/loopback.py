"""A loopback Telegram Bot API server for end-to-end tests and ``faqbot console``.

Why this exists: tests that mock python-telegram-bot objects cannot catch the mistakes that
break a bot in production -- an HTML reply Telegram refuses to parse, a ``callback_data``
longer than 64 bytes, an edit that changes nothing, a group message the bot never sees because
of privacy mode, a 429 that must be retried. This module runs a small HTTP server on
127.0.0.1 that speaks the Bot API wire protocol (``/bot<TOKEN>/<method>``, the
``{"ok": ...}`` envelope, Telegram's object shapes, error codes and descriptions), so the *real*
:class:`telegram.ext.Application` runs against it unchanged::

    with LoopbackBotAPI(token) as api:
        app = ApplicationBuilder().token(token).base_url(api.base_url) \\
            .base_file_url(api.base_file_url).build()
        alice = api.user(1001, "Alice", "en")
        chat = api.private_chat(alice)
        api.send_text(chat, alice, "/start")
        ...  # run the application, then: await api.wait_for_sent(chat["id"])

The test side injects user activity (texts, stickers, photos, edits, button presses, group
joins) as updates and observes what the bot did (messages, edits, callback answers, chat
actions, commands). Faults are injected with :meth:`LoopbackBotAPI.fail` and
:meth:`LoopbackBotAPI.flood_limit`.

Standard library only. The server runs in a daemon thread with all state behind one
:class:`threading.Condition`, so it works from synchronous code, from pytest, and next to an
asyncio event loop in the same process. Nothing containing the token is ever logged.

Known, deliberate deviations from Telegram:

* ``strict_html`` (default on) also rejects a bare ``&`` or ``>`` in HTML text, which Telegram
  itself tolerates; the Bot API documentation requires them escaped, so a bot that passes here
  is correct by the documentation, not just by Telegram's leniency.
* Webhooks are stored and reported but never called; updates stay queued for getUpdates.
* URLs are auto-detected only with an explicit scheme or a ``www.`` prefix.
* Text and caption limits (4096 / 1024) are counted in UTF-16 code units, which is never more
  lenient than Telegram.
* Error descriptions follow Telegram's wording; a few rare ones (marked "approximate" in the
  code) are best guesses.
"""

import asyncio
import contextlib
import copy
import json
import logging
import math
import re
import secrets
import select
import socket
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

__all__ = ["DEFAULT_TOKEN", "ApiError", "LoopbackBotAPI"]

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
ChatRef = JSONDict | int
UserRef = JSONDict | int
T = TypeVar("T")

DEFAULT_TOKEN = "123456789:AAHloopback_test_token_0123456789abc"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_TEXT_LIMIT = 200
DOWNLOAD_LIMIT = 20 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
OTHER_POLL = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)

ALL_UPDATE_TYPES = (
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages",
    "message_reaction", "message_reaction_count", "inline_query", "chosen_inline_result",
    "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll",
    "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
    "removed_chat_boost",
)
# Telegram's default when allowed_updates is empty or was never given.
DEFAULT_ALLOWED = frozenset(ALL_UPDATE_TYPES) - {
    "chat_member", "message_reaction", "message_reaction_count",
}
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
ENTITY_TYPES = frozenset({
    "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bold",
    "italic", "underline", "strikethrough", "spoiler", "blockquote", "expandable_blockquote",
    "code", "pre", "text_link", "text_mention", "custom_emoji", "date_time",
})
BUTTON_KINDS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)
# Methods that post or change messages: the ones Telegram's flood control counts.
FLOOD_METHODS = frozenset({
    "sendMessage", "sendDocument", "editMessageText", "editMessageCaption",
    "editMessageReplyMarkup",
})

# Parameter coercion for form/multipart bodies, where every value arrives as a string.
JSON_KEYS = frozenset({
    "reply_markup", "entities", "caption_entities", "reply_parameters", "link_preview_options",
    "commands", "scope", "allowed_updates", "menu_button", "rights", "media",
})
INT_KEYS = frozenset({
    "chat_id", "message_id", "user_id", "offset", "limit", "message_thread_id",
    "reply_to_message_id", "cache_time", "max_connections", "from_chat_id", "until_date",
})
FLOAT_KEYS = frozenset({"timeout"})
BOOL_KEYS = frozenset({
    "disable_notification", "protect_content", "show_alert", "drop_pending_updates",
    "disable_web_page_preview", "allow_sending_without_reply", "disable_content_type_detection",
    "allow_paid_broadcast", "show_caption_above_media", "revoke_messages",
})
_INT_RE = re.compile(r"\s*[-+]?\d+\s*")


class ApiError(Exception):
    """A Bot API error, sent as ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def envelope(self) -> JSONDict:
        """The JSON body Telegram sends for this error."""
        body: JSONDict = {"ok": False, "error_code": self.error_code,
                          "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


def _forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")


class _ParseError(Exception):
    """A formatting error; becomes ``Bad Request: can't parse entities: <message>``."""


@dataclass
class _Upload:
    """A file part of a multipart request."""

    filename: str
    mime_type: str
    content: bytes


@dataclass
class _Described:
    """A successful result that Telegram accompanies with a ``description``."""

    result: Any
    description: str


@dataclass
class _Failure:
    """An injected failure, see :meth:`LoopbackBotAPI.fail`."""

    error: ApiError
    times: int | None


# --------------------------------------------------------------------------------------------
# Text: UTF-16 offsets, HTML / MarkdownV2 / Markdown parsing, entity detection.
# --------------------------------------------------------------------------------------------

_SPACE = " \t\r\n\v\f"


def _u16(text: str) -> int:
    """Length of `text` in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _u16_slice(text: str, offset: int, length: int) -> str:
    data = text.encode("utf-16-le")
    return data[2 * offset: 2 * (offset + length)].decode("utf-16-le", "replace")


def _u16_prefix(text: str) -> list[int]:
    """``result[i]`` is the UTF-16 offset of ``text[i]``; one extra item for the end."""
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return offsets


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _check_url(url: str) -> str | None:
    """Telegram's URL check, simplified: the normalised URL, or None when it is refused."""
    url = url.strip()
    if not url or any(ch in _SPACE for ch in url):
        return None
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", url)
    scheme = match.group(1).lower() if match else "http"
    if scheme in ("tg", "ton", "tonsite"):
        return url
    if scheme not in ("http", "https"):
        return None
    if not match:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if not host or not re.fullmatch(r"[\w.-]+", host) or host.startswith("."):
        return None
    if not parts.path:
        url = urllib.parse.urlunsplit(parts._replace(path="/"))
    return url


def _link_entity(url: str, users: Mapping[int, JSONDict]) -> JSONDict | None:
    """The text_link / text_mention entity for a link target, or None if Telegram drops it."""
    mention = re.fullmatch(r"tg://user\?id=(\d+)", url.strip())
    if mention:
        uid = int(mention.group(1))
        user = users.get(uid, {"id": uid, "is_bot": False, "first_name": ""})
        return {"type": "text_mention", "user": copy.deepcopy(user)}
    checked = _check_url(url)
    return None if checked is None else {"type": "text_link", "url": checked}


_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "a": "text_link", "tg-emoji": "custom_emoji",
}
_HTML_ENTITY = re.compile(r"&(?:#[xX]([0-9a-fA-F]{1,8})|#([0-9]{1,8})|(lt|gt|amp|quot));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _html_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode the HTML entity at ``text[i]`` (an ``&``): (character, index after it)."""
    match = _HTML_ENTITY.match(text, i)
    if not match:
        return None
    if match.group(3):
        return _NAMED[match.group(3)], match.end()
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def parse_html(text: str, *, strict: bool = True,
               users: Mapping[int, JSONDict] | None = None) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML like the Bot API server (tdlib) does.

    Returns the plain text and its entities; raises ``_ParseError`` with Telegram's message.
    """
    users = users or {}
    n = len(text)
    out: list[str] = []
    pos = 0  # UTF-16 length of `out`
    entities: list[JSONDict] = []
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf-16 start, len(out)
    i = 0
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded = _html_entity(text, i)
            if decoded:
                out.append(decoded[0])
                pos += _u16(decoded[0])
                i = decoded[1]
                continue
            if strict:
                raise _ParseError(
                    f'Unescaped "&" at byte offset {_byte_offset(text, i)}; write &amp; '
                    "(loopback strict_html: Telegram tolerates it, its documentation does not)")
        elif ch == ">" and strict:
            raise _ParseError(
                f'Unescaped ">" at byte offset {_byte_offset(text, i)}; write &gt; '
                "(loopback strict_html: Telegram tolerates it, its documentation does not)")
        if ch != "<":
            out.append(ch)
            pos += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        offset = _byte_offset(text, begin)
        if i + 1 < n and text[i + 1] == "/":
            if not stack:
                raise _ParseError(f"Unexpected end tag at byte offset {offset}")
            i += 2
            name_start = i
            while i < n and text[i] not in _SPACE and text[i] != ">":
                i += 1
            end_name = text[name_start:i].lower()
            while i < n and text[i] in _SPACE:
                i += 1
            if i >= n or text[i] != ">":
                raise _ParseError(f"Unclosed end tag at byte offset {offset}")
            i += 1
            tag, argument, start, out_start = stack.pop()
            if end_name and end_name != tag:
                raise _ParseError(f'Unmatched end tag at byte offset {offset}, expected "</{tag}>",'
                                  f' found "</{end_name}>"')
            if pos == start:
                continue
            entity: JSONDict | None = {"type": _HTML_TAGS[tag]}
            if tag == "a":
                entity = _link_entity(argument or "".join(out[out_start:]), users)
            elif tag == "code" and argument:
                entity = {"type": "code", "_language": argument}
            elif tag == "pre":
                inner = entities[-1] if entities else None
                if (inner and inner["type"] == "code" and inner["offset"] == start
                        and inner["length"] == pos - start):
                    entities.pop()
                    if inner.get("_language"):
                        entity["language"] = inner["_language"]
            elif tag == "blockquote" and argument:
                entity = {"type": "expandable_blockquote"}
            elif tag == "tg-emoji":
                entity = ({"type": "custom_emoji", "custom_emoji_id": argument}
                          if argument.isdigit() else None)
            if entity is not None:
                entity.update(offset=start, length=pos - start)
                entities.append(entity)
            continue
        # A start tag.
        i += 1
        name_start = i
        while i < n and text[i] not in _SPACE and text[i] != ">":
            i += 1
        if i >= n:
            raise _ParseError(f"Unclosed start tag at byte offset {offset}")
        tag = text[name_start:i].lower()
        if tag not in _HTML_TAGS:
            raise _ParseError(f'Unsupported start tag "{tag}" at byte offset {offset}')
        argument = ""
        while True:
            while i < n and text[i] in _SPACE:
                i += 1
            if i >= n:
                raise _ParseError(f"Unclosed start tag at byte offset {offset}")
            if text[i] == ">":
                break
            attr_start = i
            while i < n and text[i] not in _SPACE and text[i] not in "=>":
                i += 1
            attribute = text[attr_start:i].lower()
            if not attribute:
                raise _ParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
            while i < n and text[i] in _SPACE:
                i += 1
            if tag == "blockquote" and attribute == "expandable" and (i >= n or text[i] != "="):
                argument = "1"
                continue
            if i >= n or text[i] != "=":
                raise _ParseError("Expected equal sign in declaration of an attribute of the tag "
                                  f'"{tag}" at byte offset {offset}')
            i += 1
            while i < n and text[i] in _SPACE:
                i += 1
            if i >= n:
                raise _ParseError(f'Unclosed start tag "{tag}" at byte offset {offset}')
            if text[i] not in "'\"":
                token_start = i
                while i < n and text[i].isascii() and (text[i].isalnum() or text[i] in ".-"):
                    i += 1
                value = text[token_start:i].lower()
                if i < n and text[i] not in _SPACE and text[i] != ">":
                    raise _ParseError("Unexpected end of name token at byte offset "
                                      f"{_byte_offset(text, token_start)}")
            else:
                quote = text[i]
                i += 1
                chars: list[str] = []
                while i < n and text[i] != quote:
                    if text[i] == "&" and (decoded := _html_entity(text, i)):
                        chars.append(decoded[0])
                        i = decoded[1]
                        continue
                    chars.append(text[i])
                    i += 1
                if i < n:
                    i += 1
                value = "".join(chars)
            if i >= n:
                raise _ParseError(f"Unclosed start tag at byte offset {offset}")
            if tag == "a" and attribute == "href":
                argument = value
            elif tag == "code" and attribute == "class" and value.startswith("language-"):
                argument = value[len("language-"):]
            elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value[len("tg-"):]
            elif tag == "tg-emoji" and attribute == "emoji-id":
                argument = value
        if tag == "span" and argument != "spoiler":
            raise _ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        stack.append((tag, argument, pos, len(out)))
        i += 1
    if stack:
        raise _ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        entity.pop("_language", None)
    return "".join(out), entities


_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline",
    "strikethrough": "Strikethrough", "spoiler": "Spoiler", "code": "Code", "pre": "Pre",
    "text_link": "TextUrl", "custom_emoji": "CustomEmoji",
}


def parse_markdown_v2(text: str, *,
                      users: Mapping[int, JSONDict] | None = None) -> tuple[str, list[JSONDict]]:
    """Parse MarkdownV2 like tdlib: every reserved character outside an entity needs a ``\\``."""
    users = users or {}
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else ""

    out: list[str] = []
    pos = 0
    entities: list[JSONDict] = []
    stack: list[JSONDict] = []  # type, language, start, byte, out
    quote_start: int | None = None
    i = 0
    while i < n:
        ch = text[i]
        in_code = bool(stack) and stack[-1]["type"] in ("code", "pre")
        if not in_code and (i == 0 or text[i - 1] == "\n") and ch == ">":
            if quote_start is None:
                quote_start = pos
            i += 1
            continue
        if ch == "\\" and 0 < ord(at(i + 1) or "\0") <= 126:
            out.append(text[i + 1])
            pos += 1
            i += 2
            continue
        if ch == "\n" and quote_start is not None and not in_code and at(i + 1) != ">":
            if pos > quote_start:
                entities.append({"type": "blockquote", "offset": quote_start,
                                 "length": pos - quote_start})
            quote_start = None
        reserved = "`" if in_code else _MDV2_RESERVED
        if ch not in reserved:
            out.append(ch)
            pos += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        top = stack[-1]["type"] if stack else None
        is_end = (
            (top == "bold" and ch == "*")
            or (top == "italic" and ch == "_" and at(i + 1) != "_")
            or (top == "code" and ch == "`")
            or (top == "pre" and ch == "`" and at(i + 1) == "`" and at(i + 2) == "`")
            or (top in ("text_link", "custom_emoji") and ch == "]")
            or (top == "underline" and ch == "_" and at(i + 1) == "_")
            or (top == "strikethrough" and ch == "~")
            or (top == "spoiler" and ch == "|" and at(i + 1) == "|")
        )
        if not is_end:
            byte = _byte_offset(text, i)
            language = ""
            if ch == "_" and at(i + 1) == "_":
                kind = "underline"
                i += 1
            elif ch == "_":
                kind = "italic"
            elif ch == "*":
                kind = "bold"
            elif ch == "~":
                kind = "strikethrough"
            elif ch == "|" and at(i + 1) == "|":
                kind = "spoiler"
                i += 1
            elif ch == "[":
                kind = "text_link"
            elif ch == "!" and at(i + 1) == "[":
                kind = "custom_emoji"
                i += 1
            elif ch == "`" and at(i + 1) == "`" and at(i + 2) == "`":
                kind = "pre"
                i += 3
                end = i
                while end < n and text[end] not in _SPACE and text[end] != "`":
                    end += 1
                if end != i and end < n and text[end] != "`":
                    language = text[i:end]
                    i = end
                if at(i) in ("\n", "\r") and at(i):
                    i += 2 if at(i + 1) in ("\n", "\r") and at(i + 1) and at(i + 1) != at(i) else 1
                i -= 1
            elif ch == "`":
                kind = "code"
            else:
                raise _ParseError(
                    f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
            stack.append({"type": kind, "language": language, "start": pos, "byte": byte,
                          "out": len(out)})
            i += 1
            continue
        info = stack.pop()
        kind = info["type"]
        entity: JSONDict | None = {"type": kind}
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind == "pre":
            i += 2
            if info["language"]:
                entity["language"] = info["language"]
        elif kind in ("text_link", "custom_emoji"):
            if at(i + 1) != "(":
                url = "".join(out[info["out"]:])
            else:
                i += 2
                url_start = i
                chars: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and 0 < ord(at(i + 1) or "\0") <= 126:
                        chars.append(text[i + 1])
                        i += 2
                        continue
                    chars.append(text[i])
                    i += 1
                if i >= n:
                    raise _ParseError("Can't find end of a URL at byte offset "
                                      f"{_byte_offset(text, url_start)}")
                url = "".join(chars)
            if kind == "custom_emoji":
                emoji = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                if not emoji:
                    raise _ParseError("Custom emoji URL must have an emoji identifier")
                entity["custom_emoji_id"] = emoji.group(1)
            else:
                entity = _link_entity(url, users)
        if entity is not None and pos > info["start"]:
            entity.update(offset=info["start"], length=pos - info["start"])
            entities.append(entity)
        i += 1
    if stack:
        info = stack[-1]
        raise _ParseError(f"Can't find end of {_MDV2_NAMES[info['type']]} entity at byte offset "
                          f"{info['byte']}")
    if quote_start is not None and pos > quote_start:
        entities.append({"type": "blockquote", "offset": quote_start,
                         "length": pos - quote_start})
    return "".join(out), entities


def parse_markdown(text: str, *,
                   users: Mapping[int, JSONDict] | None = None) -> tuple[str, list[JSONDict]]:
    """Parse legacy Markdown (``*bold* _italic_ `code` ```pre``` [text](url)``) like tdlib."""
    users = users or {}
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else ""

    out: list[str] = []
    pos = 0
    entities: list[JSONDict] = []
    i = 0
    while i < n:
        ch = text[i]
        if ch == "\\" and at(i + 1) in ("_", "*", "`", "["):
            out.append(text[i + 1])
            pos += 1
            i += 2
            continue
        if ch not in "_*`[":
            out.append(ch)
            pos += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        end_char = "]" if ch == "[" else ch
        i += 1
        is_pre = False
        language = ""
        if ch == "`" and at(i) == "`" and at(i + 1) == "`":
            i += 2
            is_pre = True
            end = i
            while end < n and text[end] not in _SPACE and text[end] != "`":
                end += 1
            if end != i and end < n and text[end] != "`":
                language = text[i:end]
                i = end
            if at(i) in ("\n", "\r") and at(i):
                i += 2 if at(i + 1) in ("\n", "\r") and at(i + 1) and at(i + 1) != at(i) else 1
        start, out_start = pos, len(out)
        while i < n and (text[i] != end_char
                         or (is_pre and not (at(i + 1) == "`" and at(i + 2) == "`"))):
            out.append(text[i])
            pos += 2 if ord(text[i]) > 0xFFFF else 1
            i += 1
        if i >= n:
            raise _ParseError("Can't find end of the entity starting at byte offset "
                              f"{_byte_offset(text, begin)}")
        if pos > start:
            entity: JSONDict | None
            if ch == "_":
                entity = {"type": "italic"}
            elif ch == "*":
                entity = {"type": "bold"}
            elif ch == "`":
                entity = {"type": "pre" if is_pre else "code"}
                if language:
                    entity["language"] = language
            else:
                url = "".join(out[out_start:])
                if at(i + 1) == "(":
                    i += 2
                    url_start = i
                    while i < n and text[i] != ")":
                        i += 1
                    url = text[url_start:i]
                entity = _link_entity(url, users)
            if entity is not None:
                entity.update(offset=start, length=pos - start)
                entities.append(entity)
        i += 1
        if is_pre:
            i += 2
    return "".join(out), entities


# Entities Telegram finds by itself in plain text, in the order they claim text.
_DETECTORS = (
    ("email", re.compile(
        r"(?<![\w.+@-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w@])")),
    ("url", re.compile(r"(?<![\w@/.])(?:[Hh][Tt][Tt][Pp][Ss]?://|www\.)[^\s<>\"]+")),
    ("bot_command", re.compile(
        r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#(?=\w*[^\W\d_])\w{1,256}")),
)
# Explicit entities inside which Telegram does not look for more.
_OPAQUE = frozenset({
    "code", "pre", "text_link", "text_mention", "url", "email", "mention", "bot_command",
    "hashtag", "cashtag", "custom_emoji", "phone_number",
})


def detect_entities(text: str, existing: Iterable[JSONDict] = ()) -> list[JSONDict]:
    """Auto-detected url/email/mention/bot_command/hashtag entities not overlapping `existing`."""
    offsets = _u16_prefix(text)
    taken = [(e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _OPAQUE]
    found: list[JSONDict] = []
    for kind, pattern in _DETECTORS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url":
                while end > start and text[end - 1] in ".,;:!?)]}'":
                    end -= 1
            begin, finish = offsets[start], offsets[end]
            if finish <= begin or any(begin < b and a < finish for a, b in taken):
                continue
            taken.append((begin, finish))
            found.append({"type": kind, "offset": begin, "length": finish - begin})
    return found


def _sort_entities(entities: Iterable[JSONDict]) -> list[JSONDict]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _finalize(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Trim surrounding whitespace like Telegram, clip entities, drop those inside code/pre."""
    stripped = text.strip()
    shift = _u16(text[: len(text) - len(text.lstrip())]) if stripped else 0
    total = _u16(stripped)
    clipped: list[JSONDict] = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    code = [(e["offset"], e["offset"] + e["length"]) for e in clipped
            if e["type"] in ("code", "pre")]
    kept = [e for e in clipped
            if e["type"] in ("code", "pre")
            or not any(a <= e["offset"] and e["offset"] + e["length"] <= b for a, b in code)]
    return stripped, _sort_entities(kept)


# --------------------------------------------------------------------------------------------
# Request parameters.
# --------------------------------------------------------------------------------------------


def _normalize(values: Mapping[str, Any], files: Mapping[str, _Upload]) -> JSONDict:
    """Parameters as the bot meant them: JSON strings decoded, numbers and booleans coerced."""
    out: JSONDict = {}
    for key, value in values.items():
        if isinstance(value, str):
            if key in JSON_KEYS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif key in INT_KEYS and _INT_RE.fullmatch(value):
                value = int(value)
            elif key in FLOAT_KEYS:
                with contextlib.suppress(ValueError):
                    number = float(value)
                    value = int(number) if number.is_integer() else number
            elif key in BOOL_KEYS:
                value = value.strip().lower() in ("true", "1")
        out[key] = value
    for key, upload in files.items():
        out[key] = {"filename": upload.filename, "mime_type": upload.mime_type,
                    "size": len(upload.content)}
    return out


class _Params:
    """Typed access to one request's parameters, whatever the body encoding was."""

    def __init__(self, values: Mapping[str, Any], files: Mapping[str, _Upload],
                 alive: Callable[[], bool] = lambda: True):
        self.values = dict(values)
        self.files = dict(files)
        self.alive = alive  # False once the client hung up (checked by long polls)

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None or name in self.files

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            raise _bad(f'field "{name}" must be of type String')
        return str(value)

    def get_int(self, name: str, default: int | None = None, *,
                error: str | None = None) -> int | None:
        value = self.values.get(name)
        if value is None:
            if error:
                raise _bad(error)
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.fullmatch(value):
            return int(value)
        raise _bad(error or f"invalid {name} specified")

    def get_float(self, name: str, default: float = 0.0) -> float:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad(f"invalid {name} specified") from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str, default: Any = None, *, error: str | None = None) -> Any:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise _bad(error or f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise _bad(f"{name} is empty")
        if isinstance(value, bool):
            raise _bad("chat not found")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if _INT_RE.fullmatch(text):
            return int(text)
        if text.startswith("@") and len(text) > 1:
            return text
        raise _bad("chat not found")

    def upload(self, name: str) -> _Upload | str | None:
        if name in self.files:
            return self.files[name]
        value = self.str(name)
        if value and value.startswith("attach://"):
            attached = self.files.get(value[len("attach://"):])
            if attached is None:
                raise _bad(f"file {value} not found in the request")  # tdlib wording varies
            return attached
        return value or None


def _parse_multipart(body: bytes, content_type: str) -> tuple[JSONDict, dict[str, _Upload]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise _bad("can't parse multipart/form-data request")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: JSONDict = {}
    files: dict[str, _Upload] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        part = part.removeprefix(b"\r\n")
        head, _, data = part.partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        params = {k.lower(): v.replace("%22", '"')
                  for k, v in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', disposition)}
        name = params.get("name")
        if name is None:
            continue
        if "filename" in params:
            files[name] = _Upload(params["filename"],
                                  headers.get("content-type", "application/octet-stream"), data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, files


def _parse_body(content_type: str, body: bytes) -> tuple[JSONDict, dict[str, _Upload]]:
    mime = content_type.split(";")[0].strip().lower()
    if not body:
        return {}, {}
    if mime == "application/json":
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError:
            raise _bad("can't parse JSON object") from None
        if not isinstance(data, dict):
            raise _bad("can't parse JSON object")
        return data, {}
    if mime == "multipart/form-data":
        return _parse_multipart(body, content_type)
    if mime in ("application/x-www-form-urlencoded", ""):
        return dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                           keep_blank_values=True)), {}
    return {}, {}


# --------------------------------------------------------------------------------------------
# The server.
# --------------------------------------------------------------------------------------------

_METHODS = {
    "getMe": "_m_get_me", "getUpdates": "_m_get_updates", "setWebhook": "_m_set_webhook",
    "deleteWebhook": "_m_delete_webhook", "getWebhookInfo": "_m_get_webhook_info",
    "logOut": "_m_true", "close": "_m_true", "sendMessage": "_m_send_message",
    "editMessageText": "_m_edit_message_text", "editMessageCaption": "_m_edit_message_caption",
    "editMessageReplyMarkup": "_m_edit_message_reply_markup",
    "deleteMessage": "_m_delete_message", "answerCallbackQuery": "_m_answer_callback_query",
    "sendChatAction": "_m_send_chat_action", "getChat": "_m_get_chat",
    "getChatMember": "_m_get_chat_member", "getChatAdministrators": "_m_get_chat_administrators",
    "getChatMemberCount": "_m_get_chat_member_count", "leaveChat": "_m_leave_chat",
    "setMyCommands": "_m_set_my_commands", "getMyCommands": "_m_get_my_commands",
    "deleteMyCommands": "_m_delete_my_commands", "getFile": "_m_get_file",
    "sendDocument": "_m_send_document",
    "setMyDescription": "_m_set_my_text", "getMyDescription": "_m_get_my_text",
    "setMyShortDescription": "_m_set_my_text", "getMyShortDescription": "_m_get_my_text",
    "setMyName": "_m_set_my_text", "getMyName": "_m_get_my_text",
}
_METHOD_BY_LOWER = {name.lower(): name for name in _METHODS}
# getMyX/setMyX: result field and length limit.
_MY_TEXTS = {"Description": ("description", 512), "ShortDescription": ("short_description", 120),
             "Name": ("name", 64)}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: "LoopbackBotAPI"

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("loopback Bot API: connection error", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LoopbackBotAPI/1.0"
    timeout = 120  # idle keep-alive connections are dropped after this
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.api._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.api._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: request lines contain the bot token."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _client_alive(self) -> bool:
        """False once the client closed the connection (e.g. a cancelled long poll)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return not readable or bool(self.connection.recv(1, socket.MSG_PEEK))
        except (OSError, ValueError):
            return False

    def _serve(self) -> None:
        api = self.server.api
        try:
            body = self._read_body()
            status, content_type, payload = api._handle_http(self.path, self.headers, body,
                                                             self._client_alive)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True


def _json_response(status: int, body: JSONDict) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(body, ensure_ascii=False).encode("utf-8")


class LoopbackBotAPI:
    """A fake Telegram Bot API server on 127.0.0.1 that the real PTB Application talks to.

    Use as a (sync or async) context manager, or call :meth:`start` / :meth:`stop`.
    """

    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_username: str = "faq_test_bot",
                 bot_first_name: str = "FAQ Test Bot", bot_id: int | None = None,
                 host: str = "127.0.0.1", port: int = 0, privacy_mode: bool = True,
                 strict_html: bool = True, can_join_groups: bool = True) -> None:
        """`privacy_mode` mirrors BotFather's setting: in groups the bot then receives only
        commands, mentions of it, replies to it and service messages (unless it is an admin).
        """
        self.token = token
        prefix = token.partition(":")[0]
        self.bot_id = bot_id if bot_id is not None else (
            int(prefix) if prefix.isdigit() else 1_000_001)
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.privacy_mode = privacy_mode
        self.strict_html = strict_html
        self.can_join_groups = can_join_groups
        self._host = host
        self._port = port
        self._cond = threading.Condition(threading.RLock())
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        self._connections: set[socket.socket] = set()
        self._listeners: list[Callable[[str, JSONDict], None]] = []
        self._reset_state()

    def _reset_state(self) -> None:
        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._blocked: set[int] = set()
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._bot_messages: list[tuple[int, int]] = []
        self._deleted: set[tuple[int, int]] = set()
        self._next_message_id: dict[int, int] = {}
        self._updates: list[JSONDict] = []  # unconfirmed
        self._update_log: list[JSONDict] = []
        self._next_update_id = 100_000
        self._delivered_upto = 0
        self._allowed: frozenset[str] = DEFAULT_ALLOWED
        self._poll_generation = 0
        self._poll_reason = OTHER_POLL
        self._webhook: JSONDict | None = None
        self._calls: list[tuple[str, JSONDict]] = []
        self._errors: list[tuple[str, int, str]] = []
        self._callback_queries: dict[str, JSONDict] = {}
        self._callback_answers: list[JSONDict] = []
        self._chat_actions: list[tuple[int, str]] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._my_texts: dict[tuple[str, str], str] = {}
        self._files: dict[str, JSONDict] = {}
        self._files_by_path: dict[str, str] = {}
        self._file_counter = 0
        self._reply_keyboards: dict[int, JSONDict] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._flood_per_chat: float | None = None
        self._flood_global: float | None = None
        self._flood_chat_log: dict[str, deque[float]] = {}
        self._flood_global_log: deque[float] = deque()
        self._events: list[tuple[str, JSONDict]] = []
        self._current_method = ""
        self._inflight = 0
        self._last_activity = time.monotonic()

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> "LoopbackBotAPI":
        """Bind an ephemeral port (unless one was given) and serve in a daemon thread."""
        if self._server is not None:
            return self
        with self._cond:
            self._closing = False
        server = _Server((self._host, self._port), _Handler)
        server.api = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="loopback-bot-api", daemon=True)
        self._thread.start()
        log.debug("loopback Bot API listening on %s:%s", self._host, self.port)
        return self

    def stop(self) -> None:
        """Stop serving: wake long polls, close the socket and every open connection."""
        server, thread = self._server, self._thread
        if server is None:
            return
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        server.shutdown()
        server.server_close()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "LoopbackBotAPI":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> "LoopbackBotAPI":
        return self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound TCP port (only meaningful once started)."""
        if self._server is None:
            raise RuntimeError("LoopbackBotAPI is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)``."""
        return f"http://{self._host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)`` / ``Bot(base_file_url=...)``."""
        return f"http://{self._host}:{self.port}/file/bot"

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._cond:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    # ---- HTTP dispatch --------------------------------------------------------------------

    def _check_token(self, token: str) -> ApiError | None:
        if token == self.token:
            return None
        if re.fullmatch(r"\d+:[\w-]+", token):
            return ApiError(401, "Unauthorized")
        return ApiError(404, "Not Found")  # Telegram's answer to a malformed token

    def _handle_http(self, raw_path: str, headers: Mapping[str, str], body: bytes,
                     alive: Callable[[], bool] = lambda: True) -> tuple[int, str, bytes]:
        split = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(split.path)
        if path.startswith("/file/bot"):
            token, _, file_path = path[len("/file/bot"):].partition("/")
            error = self._check_token(token)
            if error:
                return _json_response(error.error_code, error.envelope())
            with self._cond:
                file_id = self._files_by_path.get(file_path)
                content = self._files[file_id]["content"] if file_id else None
            if content is None:
                return _json_response(404, ApiError(404, "Not Found").envelope())
            return 200, "application/octet-stream", content
        if not path.startswith("/bot"):
            return _json_response(404, ApiError(404, "Not Found").envelope())
        token, slash, method = path[len("/bot"):].partition("/")
        error = self._check_token(token)
        if error:
            return _json_response(error.error_code, error.envelope())
        values: JSONDict = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        try:
            body_values, files = _parse_body(headers.get("Content-Type", ""), body)
        except ApiError as exc:
            return _json_response(exc.error_code, exc.envelope())
        values.update(body_values)
        canonical = _METHOD_BY_LOWER.get(method.lower()) if slash else None
        if canonical is None:
            log.warning("loopback Bot API: unknown method %r", method[:64])
            with self._cond:
                self._calls.append((method, _normalize(values, files)))
                self._errors.append((method, 404, "Not Found"))
                self._cond.notify_all()
            return _json_response(404, ApiError(404, "Not Found").envelope())
        return self._call(canonical, values, files, alive)

    def _call(self, method: str, values: JSONDict, files: dict[str, _Upload],
              alive: Callable[[], bool]) -> tuple[int, str, bytes]:
        polling = method == "getUpdates"
        with self._cond:
            if not polling:
                self._inflight += 1
            self._calls.append((method, _normalize(values, files)))
            self._current_method = method
            try:
                self._check_injected_failure(method)
                params = _Params(values, files, alive)
                self._check_flood(method, params)
                result = getattr(self, _METHODS[method])(params)
            except ApiError as exc:
                self._errors.append((method, exc.error_code, exc.description))
                status, body = exc.error_code, exc.envelope()
            else:
                status, body = 200, {"ok": True, "result": result}
                if isinstance(result, _Described):
                    body = {"ok": True, "result": result.result, "description": result.description}
            finally:
                if not polling:
                    self._inflight -= 1
                    self._last_activity = time.monotonic()
            self._cond.notify_all()
            events, self._events = self._events, []
        self._fire(events)
        return _json_response(status, body)

    def _fire(self, events: list[tuple[str, JSONDict]]) -> None:
        for event, payload in events:
            for listener in list(self._listeners):
                try:
                    listener(event, payload)
                except Exception:
                    log.exception("loopback Bot API listener failed on %s", event)

    def _check_injected_failure(self, method: str) -> None:
        queue = self._failures.get(method.lower())
        if not queue:
            return
        failure = queue[0]
        if failure.times is not None:
            failure.times -= 1
            if failure.times <= 0:
                queue.pop(0)
        raise failure.error

    def _check_flood(self, method: str, params: _Params) -> None:
        if method not in FLOOD_METHODS or (self._flood_per_chat is None
                                           and self._flood_global is None):
            return
        now = time.monotonic()
        windows: list[tuple[deque[float], float]] = []
        if self._flood_global is not None:
            windows.append((self._flood_global_log, self._flood_global))
        if self._flood_per_chat is not None:
            chat = str(params.values.get("chat_id"))
            windows.append((self._flood_chat_log.setdefault(chat, deque()), self._flood_per_chat))
        for window, limit in windows:
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= limit:
                retry = max(1, math.ceil(window[0] + 1.0 - now))
                raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        for window, _ in windows:
            window.append(now)

    # ---- objects ---------------------------------------------------------------------------

    def bot_user(self) -> JSONDict:
        """The bot as a User object, as it appears in the ``from`` of its messages."""
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name,
                "username": self.bot_username}

    def _member(self, chat_id: int, user: JSONDict, status: str) -> JSONDict:
        member: JSONDict = {"status": status, "user": copy.deepcopy(user)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False, is_anonymous=False, can_manage_chat=True,
                can_delete_messages=True, can_manage_video_chats=True, can_restrict_members=True,
                can_promote_members=False, can_change_info=True, can_invite_users=True,
                can_post_stories=False, can_edit_stories=False, can_delete_stories=False,
                can_pin_messages=True)
            if self._chats.get(chat_id, {}).get("type") == "supergroup":
                member["can_manage_topics"] = False
        elif status == "restricted":
            member.update(
                is_member=True, can_send_messages=False, can_send_audios=False,
                can_send_documents=False, can_send_photos=False, can_send_videos=False,
                can_send_video_notes=False, can_send_voice_notes=False, can_send_polls=False,
                can_send_other_messages=False, can_add_web_page_previews=False,
                can_change_info=False, can_invite_users=False, can_pin_messages=False,
                can_manage_topics=False, can_edit_tag=False, can_react_to_messages=False,
                until_date=0)
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _status(self, chat: JSONDict, user_id: int) -> str:
        if chat["type"] == "private":
            return "member" if user_id in (chat["id"], self.bot_id) else "left"
        return self._members.get((chat["id"], user_id), "left")

    # ---- helpers for handlers --------------------------------------------------------------

    def _resolve_chat(self, chat_id: int | str) -> JSONDict:
        if isinstance(chat_id, str):
            wanted = chat_id[1:].lower()
            for chat in self._chats.values():
                if chat["type"] != "private" and chat.get("username", "").lower() == wanted:
                    return chat
            raise _bad("chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id in self._users:
                raise _forbidden("bot can't initiate conversation with a user")
            raise _bad("chat not found")
        return chat

    def _check_can_send(self, chat: JSONDict) -> None:
        if chat["type"] == "private":
            if chat["id"] in self._blocked:
                raise _forbidden("bot was blocked by the user")
            return
        kind = {"group": "group chat", "supergroup": "supergroup chat",
                "channel": "channel chat"}.get(chat["type"], "chat")
        status = self._status(chat, self.bot_id)
        if status == "kicked":
            raise _forbidden(f"bot was kicked from the {kind}")
        if status == "left":
            raise _forbidden(f"bot is not a member of the {kind}")
        if status == "restricted":
            raise _bad("not enough rights to send text messages to the chat")

    def _live(self, chat_id: int, message_id: int | None) -> JSONDict | None:
        if message_id is None or (chat_id, message_id) in self._deleted:
            return None
        return self._messages.get((chat_id, message_id))

    def _format(self, params: _Params, key: str, entities_key: str, limit: int, *,
                empty: str | None, too_long: str) -> tuple[str, list[JSONDict]]:
        raw = params.get_str(key, "") or ""
        mode = (params.get_str("parse_mode") or "").strip().lower()
        explicit = params.get_json(entities_key, error="can't parse entities JSON object")
        try:
            if explicit is not None:
                text, entities = raw, self._validate_entities(explicit)
            elif mode == "html":
                text, entities = parse_html(raw, strict=self.strict_html, users=self._users)
            elif mode == "markdownv2":
                text, entities = parse_markdown_v2(raw, users=self._users)
            elif mode == "markdown":
                text, entities = parse_markdown(raw, users=self._users)
            elif mode:
                raise _bad("unsupported parse_mode")
            else:
                text, entities = raw, []
        except _ParseError as exc:
            raise _bad(f"can't parse entities: {exc}") from None
        text, entities = _finalize(text, entities)
        entities = _sort_entities(entities + detect_entities(text, entities))
        if not text and empty is not None:
            raise _bad(empty)
        if _u16(text) > limit:  # UTF-16 units: never more lenient than Telegram
            raise _bad(too_long)
        return text, entities

    def _validate_entities(self, entities: Any) -> list[JSONDict]:
        if not isinstance(entities, list):
            raise _bad("can't parse entities JSON object")
        result = []
        for entity in entities:
            if not isinstance(entity, dict):
                raise _bad("can't parse MessageEntity: Object expected")
            kind, offset, length = entity.get("type"), entity.get("offset"), entity.get("length")
            if not isinstance(kind, str) or not isinstance(offset, int) \
                    or not isinstance(length, int):
                raise _bad("can't parse MessageEntity: fields type, offset and length are required")
            if kind not in ENTITY_TYPES:
                raise _bad(f'can\'t parse MessageEntity: unsupported entity type "{kind}"')
            clean: JSONDict = {"type": kind, "offset": offset, "length": length}
            if kind == "text_link":
                url = _check_url(str(entity.get("url", "")))
                if url is None:
                    continue
                clean["url"] = url
            elif kind == "text_mention":
                user = entity.get("user")
                if not isinstance(user, dict) or not isinstance(user.get("id"), int):
                    raise _bad("can't parse MessageEntity: user is required for text_mention")
                clean["user"] = user
            elif kind == "pre" and entity.get("language"):
                clean["language"] = str(entity["language"])
            elif kind == "custom_emoji":
                clean["custom_emoji_id"] = str(entity.get("custom_emoji_id", ""))
            result.append(clean)
        return result

    def _parse_markup(self, params: _Params, *, inline_only: bool = False
                      ) -> tuple[JSONDict | None, tuple[str, JSONDict | None] | None]:
        """(inline markup for the message, reply-keyboard change to apply after success)."""
        markup = params.get_json("reply_markup",
                                 error="can't parse reply keyboard markup JSON object")
        if markup is None:
            return None, None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return _validate_inline_keyboard(markup["inline_keyboard"]), None
        if inline_only:
            raise _bad("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad("can't parse reply keyboard markup JSON object")
            for row in rows:
                for button in row:
                    if not isinstance(button, str) and not (
                            isinstance(button, dict) and isinstance(button.get("text"), str)):
                        raise _bad("can't parse keyboard button: KeyboardButton must be a String "
                                   "or an Object")
            return None, ("set", markup)
        if "remove_keyboard" in markup:
            return None, ("remove", None)
        if "force_reply" in markup:
            return None, None
        raise _bad("can't parse reply keyboard markup JSON object")

    def _reply_target(self, chat: JSONDict, params: _Params) -> JSONDict | None:
        reply = params.get_json("reply_parameters",
                                error="can't parse reply parameters JSON object")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
            target_chat = chat
            if reply.get("chat_id") not in (None, chat["id"]):
                raw = reply["chat_id"]
                target_chat = self._resolve_chat(
                    int(raw) if isinstance(raw, str) and _INT_RE.fullmatch(raw) else raw)
        elif reply is not None:
            raise _bad("can't parse reply parameters JSON object")
        else:
            message_id = params.get_int("reply_to_message_id")
            allow = params.get_bool("allow_sending_without_reply")
            target_chat = chat
            if message_id is None:
                return None
        if not isinstance(message_id, int):
            raise _bad("message to be replied not found")
        target = self._live(target_chat["id"], message_id)
        if target is None:
            if allow:
                return None
            raise _bad("message to be replied not found")
        if target_chat is not chat:
            return None  # Telegram shows an external_reply; not modelled here
        snapshot = copy.deepcopy(target)
        snapshot.pop("reply_to_message", None)
        return snapshot

    def _allocate_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _new_bot_message(self, chat: JSONDict, params: _Params, content: JSONDict,
                         markup: JSONDict | None) -> JSONDict:
        reply = self._reply_target(chat, params)
        message: JSONDict = {
            "message_id": self._allocate_message_id(chat["id"]),
            "from": self.bot_user(),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        thread_id = params.get_int("message_thread_id")
        if chat.get("is_forum") and thread_id:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(content)
        if markup:
            message["reply_markup"] = markup
        if params.get_bool("protect_content"):
            message["has_protected_content"] = True
        key = (chat["id"], message["message_id"])
        self._messages[key] = message
        self._bot_messages.append(key)
        self._events.append(("sent", copy.deepcopy(message)))
        return copy.deepcopy(message)

    def _apply_keyboard(self, chat_id: int, change: tuple[str, JSONDict | None] | None) -> None:
        if change is None:
            return
        action, markup = change
        if action == "set" and markup is not None:
            self._reply_keyboards[chat_id] = copy.deepcopy(markup)
        else:
            self._reply_keyboards.pop(chat_id, None)

    def _edit_target(self, params: _Params) -> JSONDict:
        if params.has("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")  # inline messages are not modelled
        if not params.has("message_id"):
            raise _bad("message identifier is not specified")
        chat = self._resolve_chat(params.chat_id())
        message = self._live(chat["id"], params.get_int("message_id"))
        if message is None:
            raise _bad("message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise _bad("message can't be edited")
        return message

    def _commit_edit(self, message: JSONDict, changes: JSONDict) -> JSONDict:
        for key, value in changes.items():
            if value in (None, [], ""):
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(time.time())
        self._events.append(("edited", copy.deepcopy(message)))
        return copy.deepcopy(message)

    def _scope_key(self, scope: Any) -> str:
        scope = scope or {"type": "default"}
        if isinstance(scope, str):
            scope = {"type": scope}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise _bad("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            key: JSONDict = {"type": kind}
        elif kind in ("chat", "chat_administrators", "chat_member"):
            raw = scope.get("chat_id")
            if isinstance(raw, str) and _INT_RE.fullmatch(raw):
                raw = int(raw)
            if not isinstance(raw, (int, str)) or isinstance(raw, bool):
                raise _bad("chat not found")
            chat = self._resolve_chat(raw)
            key = {"type": kind, "chat_id": chat["id"]}
            if kind == "chat_member":
                user_id = scope.get("user_id")
                if not isinstance(user_id, int):
                    raise _bad("invalid user_id specified")
                key["user_id"] = user_id
        else:
            raise _bad("unsupported bot command scope type")  # approximate wording
        return json.dumps(key, sort_keys=True)

    @staticmethod
    def _language_code(params: _Params) -> str:
        code = params.get_str("language_code", "") or ""
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise _bad("invalid language code specified")  # approximate wording
        return code

    def _register_file(self, content: bytes, file_path: str, file_id: str | None = None,
                       **meta: Any) -> JSONDict:
        self._file_counter += 1
        file_id = file_id or "BQACAgIAAxkBAAI" + secrets.token_urlsafe(24)
        record = {"file_id": file_id, "file_unique_id": "AgAD" + secrets.token_urlsafe(9),
                  "file_size": len(content), "file_path": file_path, "content": content, **meta}
        self._files[file_id] = record
        self._files_by_path[file_path] = file_id
        return record

    # ---- Bot API methods -------------------------------------------------------------------

    def _m_true(self, params: _Params) -> bool:
        return True

    def _m_get_me(self, params: _Params) -> JSONDict:
        return {**self.bot_user(), "can_join_groups": self.can_join_groups,
                "can_read_all_group_messages": not self.privacy_mode,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    def _m_get_updates(self, params: _Params) -> list[JSONDict]:
        if self._webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = params.get_int("offset", 0) or 0
        limit = min(100, max(1, params.get_int("limit", 100) or 100))
        timeout = min(50.0, max(0.0, params.get_float("timeout", 0.0)))
        allowed = params.get_json("allowed_updates", error="can't parse allowed updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise _bad("can't parse allowed updates")
            wanted = frozenset(str(kind) for kind in allowed) & frozenset(ALL_UPDATE_TYPES)
            self._allowed = wanted or DEFAULT_ALLOWED
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        self._poll_reason = OTHER_POLL
        generation = self._poll_generation
        self._cond.notify_all()
        deadline = time.monotonic() + timeout
        while True:
            if self._closing:
                return []
            if timeout and not params.alive():
                return []  # the client gave up (PTB cancels its poll on shutdown): drop quietly
            if generation != self._poll_generation:
                raise ApiError(409, f"Conflict: {self._poll_reason}")
            batch = self._updates[:limit]
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0:
                break
            self._cond.wait(min(remaining, 0.25))
        if batch:
            self._delivered_upto = max(self._delivered_upto, batch[-1]["update_id"])
            self._last_activity = time.monotonic()
        return copy.deepcopy(batch)

    def _m_set_webhook(self, params: _Params) -> _Described:
        url = params.get_str("url", "") or ""
        if not url:
            return self._m_delete_webhook(params)
        if not url.lower().startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if _check_url(url) is None:
            raise _bad("bad webhook: Failed to resolve host: Name or service not known")
        already = self._webhook is not None and self._webhook["url"] == url
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(map(str, allowed)) & frozenset(ALL_UPDATE_TYPES) \
                or DEFAULT_ALLOWED
        self._webhook = {"url": url, "max_connections": params.get_int("max_connections", 40),
                         "ip_address": "127.0.0.1"}
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        self._poll_reason = "terminated by setWebhook request"
        self._poll_generation += 1
        return _Described(True, "Webhook is already set" if already else "Webhook was set")

    def _m_delete_webhook(self, params: _Params) -> _Described:
        existed = self._webhook is not None
        self._webhook = None
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        return _Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    def _m_get_webhook_info(self, params: _Params) -> JSONDict:
        info: JSONDict = {"url": "", "has_custom_certificate": False,
                          "pending_update_count": len(self._updates)}
        if self._webhook is not None:
            info.update(self._webhook)
            info["allowed_updates"] = sorted(self._allowed)
        return info

    def _m_send_message(self, params: _Params) -> JSONDict:
        chat = self._resolve_chat(params.chat_id())
        self._check_can_send(chat)
        text, entities = self._format(params, "text", "entities", TEXT_LIMIT,
                                      empty="message text is empty", too_long="message is too long")
        markup, keyboard = self._parse_markup(params)
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        preview = params.get_json("link_preview_options",
                              error="can't parse link preview options JSON object")
        if isinstance(preview, dict) and preview:
            content["link_preview_options"] = preview
        message = self._new_bot_message(chat, params, content, markup)
        self._apply_keyboard(chat["id"], keyboard)
        return message

    def _m_send_document(self, params: _Params) -> JSONDict:
        chat = self._resolve_chat(params.chat_id())
        self._check_can_send(chat)
        document = params.upload("document")
        if document is None:
            raise _bad("there is no document in the request")
        caption, entities = self._format(params, "caption", "caption_entities", CAPTION_LIMIT,
                                         empty=None, too_long="message caption is too long")
        markup, keyboard = self._parse_markup(params)
        if isinstance(document, _Upload):
            if not document.content:
                raise _bad("file must be non-empty")
            if len(document.content) > UPLOAD_LIMIT:
                raise ApiError(413, "Request Entity Too Large")
            suffix = re.search(r"\.[A-Za-z0-9]{1,8}$", document.filename)
            record = self._register_file(
                document.content, f"documents/file_{self._file_counter}"
                f"{suffix.group(0) if suffix else ''}",
                file_name=document.filename, mime_type=document.mime_type)
        elif document in self._files:
            record = self._files[document]
        elif re.match(r"https?://", document, re.IGNORECASE):
            name = urllib.parse.urlsplit(document).path.rsplit("/", 1)[-1] or "file"
            record = self._register_file(b"", f"documents/file_{self._file_counter}_{name}",
                                         file_name=name, mime_type="application/octet-stream")
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        meta = {key: record[key] for key in ("file_id", "file_unique_id", "file_name",
                                             "mime_type", "file_size") if record.get(key)}
        content: JSONDict = {"document": meta}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        message = self._new_bot_message(chat, params, content, markup)
        self._apply_keyboard(chat["id"], keyboard)
        return message

    def _m_edit_message_text(self, params: _Params) -> JSONDict:
        message = self._edit_target(params)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        text, entities = self._format(params, "text", "entities", TEXT_LIMIT,
                                      empty="message text is empty", too_long="message is too long")
        markup, _ = self._parse_markup(params, inline_only=True)
        preview = params.get_json("link_preview_options")
        if (text == message["text"] and entities == message.get("entities", [])
                and markup == message.get("reply_markup")):
            raise _bad(NOT_MODIFIED)
        changes: JSONDict = {"text": text, "entities": entities, "reply_markup": markup}
        if isinstance(preview, dict):
            changes["link_preview_options"] = preview
        return self._commit_edit(message, changes)

    def _m_edit_message_caption(self, params: _Params) -> JSONDict:
        message = self._edit_target(params)
        if not any(key in message for key in ("document", "photo", "video", "audio",
                                                 "animation", "voice")):
            raise _bad("there is no caption in the message to edit")
        caption, entities = self._format(params, "caption", "caption_entities", CAPTION_LIMIT,
                                         empty=None, too_long="message caption is too long")
        markup, _ = self._parse_markup(params, inline_only=True)
        if (caption == message.get("caption", "")
                and entities == message.get("caption_entities", [])
                and markup == message.get("reply_markup")):
            raise _bad(NOT_MODIFIED)
        return self._commit_edit(message, {"caption": caption, "caption_entities": entities,
                                           "reply_markup": markup})

    def _m_edit_message_reply_markup(self, params: _Params) -> JSONDict:
        message = self._edit_target(params)
        markup, _ = self._parse_markup(params, inline_only=True)
        if markup == message.get("reply_markup"):
            raise _bad(NOT_MODIFIED)
        return self._commit_edit(message, {"reply_markup": markup})

    def _m_delete_message(self, params: _Params) -> bool:
        chat = self._resolve_chat(params.chat_id())
        message_id = params.get_int("message_id", error="message identifier is not specified")
        message = self._live(chat["id"], message_id)
        if message is None:
            raise _bad("message to delete not found")
        if message.get("from", {}).get("id") != self.bot_id and chat["type"] != "private" \
                and self._status(chat, self.bot_id) not in ("administrator", "creator"):
            raise _bad("message can't be deleted")
        self._deleted.add((chat["id"], message["message_id"]))
        self._events.append(("deleted", {"chat_id": chat["id"],
                                         "message_id": message["message_id"]}))
        return True

    def _m_answer_callback_query(self, params: _Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        query = self._callback_queries.get(query_id)
        if query is None or query["answered"]:
            raise _bad(QUERY_INVALID)
        text = params.get_str("text", "") or ""
        if len(text) > CALLBACK_TEXT_LIMIT:
            raise _bad("MESSAGE_TOO_LONG")
        url = params.get_str("url")
        if url and not re.match(rf"https?://t\.me/{re.escape(self.bot_username)}\?start",
                                url, re.IGNORECASE):
            raise _bad("URL_INVALID")
        query["answered"] = True
        answer: JSONDict = {"callback_query_id": query_id, "text": text,
                            "show_alert": params.get_bool("show_alert"),
                            "cache_time": params.get_int("cache_time", 0)}
        if url:
            answer["url"] = url
        self._callback_answers.append(answer)
        self._events.append(("callback_answer", copy.deepcopy(answer)))
        return True

    def _m_send_chat_action(self, params: _Params) -> bool:
        chat = self._resolve_chat(params.chat_id())
        self._check_can_send(chat)
        action = params.get_str("action", "") or ""
        if action not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self._chat_actions.append((chat["id"], action))
        self._events.append(("chat_action", {"chat_id": chat["id"], "action": action}))
        return True

    def _m_get_chat(self, params: _Params) -> JSONDict:
        chat = self._resolve_chat(params.chat_id())
        return {**copy.deepcopy(chat), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}

    def _m_get_chat_member(self, params: _Params) -> JSONDict:
        chat = self._resolve_chat(params.chat_id())
        user_id = params.get_int("user_id", error="invalid user_id specified")
        assert user_id is not None
        user = self.bot_user() if user_id == self.bot_id else self._users.get(user_id)
        if user is None:
            raise _bad("user not found")
        return self._member(chat["id"], user, self._status(chat, user_id))

    def _m_get_chat_administrators(self, params: _Params) -> list[JSONDict]:
        chat = self._resolve_chat(params.chat_id())
        if chat["type"] == "private":
            raise _bad("there are no administrators in the private chat")
        admins = []
        for (chat_id, user_id), status in self._members.items():
            if chat_id == chat["id"] and status in ("creator", "administrator"):
                user = self.bot_user() if user_id == self.bot_id else self._users.get(user_id)
                if user is not None:
                    admins.append(self._member(chat_id, user, status))
        return admins

    def _m_get_chat_member_count(self, params: _Params) -> int:
        chat = self._resolve_chat(params.chat_id())
        if chat["type"] == "private":
            return 2
        return sum(1 for (chat_id, _), status in self._members.items()
                   if chat_id == chat["id"] and status in ("creator", "administrator", "member",
                                                            "restricted"))

    def _m_leave_chat(self, params: _Params) -> bool:
        chat = self._resolve_chat(params.chat_id())
        if chat["type"] == "private":
            raise _bad("chat member status can't be changed in private chats")
        old = self._status(chat, self.bot_id)
        if old in ("left", "kicked"):
            raise _forbidden(f"bot is not a member of the {chat['type']} chat")
        self._members[(chat["id"], self.bot_id)] = "left"
        self._queue_member_update(chat, self.bot_user(), old, "left")
        return True

    def _m_set_my_commands(self, params: _Params) -> bool:
        commands = params.get_json("commands", error="can't parse commands JSON object")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        clean = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand: Object expected")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": description})
        key = (self._scope_key(params.get_json("scope")), self._language_code(params))
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    def _m_get_my_commands(self, params: _Params) -> list[JSONDict]:
        key = (self._scope_key(params.get_json("scope")), self._language_code(params))
        return copy.deepcopy(self._commands.get(key, []))

    def _m_delete_my_commands(self, params: _Params) -> bool:
        key = (self._scope_key(params.get_json("scope")), self._language_code(params))
        self._commands.pop(key, None)
        return True

    def _my_text_kind(self) -> str:
        method = self._current_method
        return method[len("setMy"):] if method.startswith("set") else method[len("getMy"):]

    def _m_set_my_text(self, params: _Params) -> bool:
        field, limit = _MY_TEXTS[self._my_text_kind()]
        value = params.get_str(field, "") or ""
        if len(value) > limit:
            raise _bad(f"{field.replace('_', ' ')} is too long")
        self._my_texts[(field, self._language_code(params))] = value
        return True

    def _m_get_my_text(self, params: _Params) -> JSONDict:
        field, _ = _MY_TEXTS[self._my_text_kind()]
        value = self._my_texts.get((field, self._language_code(params)), "")
        if field == "name" and not value:
            value = self.bot_first_name
        return {field: value}

    def _m_get_file(self, params: _Params) -> JSONDict:
        file_id = params.get_str("file_id") or ""
        record = self._files.get(file_id)
        if record is None:
            raise _bad("invalid file_id")
        if record["file_size"] > DOWNLOAD_LIMIT:
            raise _bad("file is too big")
        return {key: record[key] for key in ("file_id", "file_unique_id", "file_size",
                                             "file_path")}

    # ---- test side: the world --------------------------------------------------------------

    def user(self, id: int, first_name: str, language_code: str | None = None,
             username: str | None = None, *, last_name: str | None = None) -> JSONDict:
        """Register (or update) a human user and return its User object."""
        user: JSONDict = {"id": id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        with self._cond:
            self._users[id] = user
        return copy.deepcopy(user)

    def private_chat(self, user: UserRef) -> JSONDict:
        """Register the private chat with `user` (the user has pressed Start) and return it."""
        with self._cond:
            person = self._user_of(user)
            chat: JSONDict = {"id": person["id"], "type": "private",
                              "first_name": person["first_name"]}
            for key in ("last_name", "username"):
                if key in person:
                    chat[key] = person[key]
            self._chats[chat["id"]] = chat
            return copy.deepcopy(chat)

    def group(self, id: int, title: str, type: str = "supergroup", *,
              username: str | None = None, is_forum: bool = False,
              bot_status: str = "member") -> JSONDict:
        """Register a group/supergroup/channel the bot is in (`bot_status`) and return it."""
        if type not in ("group", "supergroup", "channel"):
            raise ValueError(f"not a group type: {type!r}")
        if bot_status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {bot_status!r}")
        chat: JSONDict = {"id": id, "type": type, "title": title}
        if username:
            chat["username"] = username
        if is_forum:
            chat["is_forum"] = True
        with self._cond:
            self._chats[id] = chat
            self._members[(id, self.bot_id)] = bot_status
        return copy.deepcopy(chat)

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Set what getChatMember reports for `user_id` in `chat_id` (no update is sent)."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}; expected one of {MEMBER_STATUSES}")
        with self._cond:
            self._members[(chat_id, user_id)] = status
            self._cond.notify_all()

    def block_bot(self, user: UserRef, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sends answer 403, a my_chat_member is queued."""
        with self._cond:
            person = self._user_of(user)
            chat = self._chats.get(person["id"])
            if chat is None:
                raise ValueError("the user has no private chat with the bot")
            if (person["id"] in self._blocked) == blocked:
                return
            if blocked:
                self._blocked.add(person["id"])
            else:
                self._blocked.discard(person["id"])
            old, new = ("member", "kicked") if blocked else ("kicked", "member")
            self._queue_member_update(chat, person, old, new)

    def add_to_group(self, chat: ChatRef, by_user: UserRef) -> JSONDict:
        """`by_user` adds the bot to `chat`: queues my_chat_member and the service message."""
        with self._cond:
            group = self._chat_of(chat)
            person = self._user_of(by_user)
            old = self._members.get((group["id"], self.bot_id), "left")
            if old not in ("left", "kicked"):
                old = "left"
            self._members[(group["id"], self.bot_id)] = "member"
            self._members.setdefault((group["id"], person["id"]), "member")
            update = self._queue_member_update(group, person, old, "member")
            if group["type"] != "channel":
                self._user_message(group, person, {"new_chat_members": [self.bot_user()]})
            return copy.deepcopy(update or {})

    def add_file(self, file_id: str, content: bytes, file_path: str) -> JSONDict:
        """Make a file available to getFile and to download at ``<base_file_url><token>/path``."""
        with self._cond:
            record = self._register_file(content, file_path, file_id)
            return {key: record[key] for key in ("file_id", "file_unique_id", "file_size",
                                                 "file_path")}

    def file_content(self, file_id: str) -> bytes:
        """The bytes of a stored file, e.g. a document the bot uploaded."""
        with self._cond:
            return self._files[file_id]["content"]

    # ---- test side: user activity ----------------------------------------------------------

    def send_text(self, chat: ChatRef, user: UserRef, text: str, *,
                  reply_to: JSONDict | int | None = None,
                  entities: list[JSONDict] | None = None) -> JSONDict:
        """`user` writes `text` in `chat`; returns the Message (queued if the bot may see it).

        Entities default to what Telegram detects: bot_command (incl. ``/cmd@bot``), mention,
        url, email, hashtag.
        """
        content: JSONDict = {"text": text}
        found = entities if entities is not None else detect_entities(text)
        if found:
            content["entities"] = copy.deepcopy(found)
        with self._cond:
            return self._user_message(self._chat_of(chat), self._user_of(user), content, reply_to)

    def send_sticker(self, chat: ChatRef, user: UserRef, *, emoji: str = "👍",
                     reply_to: JSONDict | int | None = None) -> JSONDict:
        """`user` sends a sticker in `chat`."""
        with self._cond:
            record = self._register_file(b"RIFF\x00\x00\x00\x00WEBP",
                                         f"stickers/file_{self._file_counter}.webp")
            sticker = {"file_id": record["file_id"], "file_unique_id": record["file_unique_id"],
                       "type": "regular", "width": 512, "height": 512, "is_animated": False,
                       "is_video": False, "emoji": emoji, "file_size": record["file_size"]}
            return self._user_message(self._chat_of(chat), self._user_of(user),
                                      {"sticker": sticker}, reply_to)

    def send_photo(self, chat: ChatRef, user: UserRef, caption: str | None = None, *,
                   content: bytes = b"\xff\xd8\xff\xe0loopback-jpeg\xff\xd9",
                   reply_to: JSONDict | int | None = None) -> JSONDict:
        """`user` sends a photo (downloadable through getFile) with an optional caption."""
        with self._cond:
            record = self._register_file(content, f"photos/file_{self._file_counter}.jpg")
            sizes = [{"file_id": record["file_id"] + suffix,
                      "file_unique_id": record["file_unique_id"] + suffix,
                      "width": width, "height": height, "file_size": record["file_size"]}
                     for suffix, width, height in (("s", 90, 67), ("m", 320, 240), ("", 800, 600))]
            for size in sizes[:-1]:
                self._files[size["file_id"]] = {**record, "file_id": size["file_id"]}
            message: JSONDict = {"photo": sizes}
            if caption:
                message["caption"] = caption
                found = detect_entities(caption)
                if found:
                    message["caption_entities"] = found
            return self._user_message(self._chat_of(chat), self._user_of(user), message,
                                      reply_to)

    def edit_text(self, message: JSONDict, new_text: str) -> JSONDict:
        """The author edits their text message: queues an edited_message update."""
        with self._cond:
            key = (message["chat"]["id"], message["message_id"])
            stored = self._messages.get(key)
            if stored is None or key in self._deleted or "text" not in stored:
                raise ValueError("no such text message")
            if stored["from"]["id"] == self.bot_id:
                raise ValueError("use the bot to edit its own messages")
            stored["text"] = new_text
            found = detect_entities(new_text)
            if found:
                stored["entities"] = found
            else:
                stored.pop("entities", None)
            stored["edit_date"] = int(time.time())
            chat = self._chats[key[0]]
            if self._visible_to_bot(chat, stored):
                self._queue_update("edited_message", stored)
            return copy.deepcopy(stored)

    def press(self, message: JSONDict, data: str, user: UserRef) -> str:
        """`user` presses the inline button with `data` on a bot message; returns the query id."""
        with self._cond:
            key = (message["chat"]["id"], message["message_id"])
            stored = self._live(*key)
            if stored is None or stored["from"]["id"] != self.bot_id:
                raise ValueError("no such bot message")
            buttons = [button for row in stored.get("reply_markup", {}).get("inline_keyboard", [])
                       for button in row]
            if not any(button.get("callback_data") == data for button in buttons):
                raise ValueError(f"the message has no button with callback_data {data!r}")
            query_id = str(secrets.randbits(62))
            query = {"id": query_id, "from": copy.deepcopy(self._user_of(user)),
                     "message": copy.deepcopy(stored),
                     "chat_instance": str((key[0] * 7_919 + self.bot_id) % 10**19), "data": data}
            self._callback_queries[query_id] = {"answered": False, "query": query}
            self._queue_update("callback_query", query)
            return query_id

    # ---- test side: internals --------------------------------------------------------------

    def _user_of(self, user: UserRef) -> JSONDict:
        if isinstance(user, dict):
            known = self._users.get(user["id"])
            if known is None:
                known = self._users[user["id"]] = copy.deepcopy(user)
            return known
        if user not in self._users:
            raise ValueError(f"unknown user {user}; register it with user()")
        return self._users[user]

    def _chat_of(self, chat: ChatRef) -> JSONDict:
        if isinstance(chat, dict):
            known = self._chats.get(chat["id"])
            if known is None:
                known = self._chats[chat["id"]] = copy.deepcopy(chat)
                if chat["type"] != "private":
                    self._members.setdefault((chat["id"], self.bot_id), "member")
            return known
        if chat not in self._chats:
            raise ValueError(f"unknown chat {chat}; register it with private_chat() or group()")
        return self._chats[chat]

    def _user_message(self, chat: JSONDict, user: JSONDict, content: JSONDict,
                      reply_to: JSONDict | int | None = None) -> JSONDict:
        if chat["type"] == "private" and chat["id"] != user["id"]:
            raise ValueError("only the chat's own user can write in a private chat")
        if chat["type"] == "private" and user["id"] in self._blocked:
            self._blocked.discard(user["id"])  # writing again restarts the bot
            self._queue_member_update(chat, user, "kicked", "member")
        if chat["type"] != "private" \
                and self._members.get((chat["id"], user["id"]), "left") == "left":
            self._members[(chat["id"], user["id"])] = "member"
        message: JSONDict = {"message_id": self._allocate_message_id(chat["id"]),
                             "from": copy.deepcopy(user), "chat": copy.deepcopy(chat),
                             "date": int(time.time())}
        if reply_to is not None:
            reply_id = reply_to if isinstance(reply_to, int) else reply_to["message_id"]
            target = self._live(chat["id"], reply_id)
            if target is None:
                raise ValueError(f"no message {reply_id} in chat {chat['id']}")
            snapshot = copy.deepcopy(target)
            snapshot.pop("reply_to_message", None)
            message["reply_to_message"] = snapshot
        message.update(content)
        self._messages[(chat["id"], message["message_id"])] = message
        if self._visible_to_bot(chat, message):
            self._queue_update("message", message)
        return copy.deepcopy(message)

    def _visible_to_bot(self, chat: JSONDict, message: JSONDict) -> bool:
        """Telegram's privacy mode: what a group bot that is not an admin receives."""
        if chat["type"] == "private":
            return True
        status = self._status(chat, self.bot_id)
        if status in ("left", "kicked"):
            return "new_chat_members" in message
        if not self.privacy_mode or status in ("administrator", "creator"):
            return True
        if "text" not in message and "caption" not in message and "sticker" not in message \
                and "photo" not in message:
            return True  # service messages
        replied = message.get("reply_to_message", {})
        if replied.get("from", {}).get("id") == self.bot_id:
            return True
        text = message.get("text", message.get("caption", ""))
        username = self.bot_username.lower()
        for entity in message.get("entities", message.get("caption_entities", [])):
            segment = _u16_slice(text, entity["offset"], entity["length"])
            if entity["type"] == "bot_command":
                target = segment.partition("@")[2].lower()
                if not target or target == username:
                    return True
            elif entity["type"] == "mention" and segment[1:].lower() == username:
                return True
        return False

    def _queue_update(self, kind: str, payload: JSONDict) -> JSONDict | None:
        update_id = self._next_update_id
        self._next_update_id += 1
        if kind not in self._allowed:
            log.debug("loopback Bot API: %s update dropped by allowed_updates", kind)
            return None
        update = {"update_id": update_id, kind: copy.deepcopy(payload)}
        self._updates.append(update)
        self._update_log.append(update)
        self._cond.notify_all()
        return update

    def _queue_member_update(self, chat: JSONDict, by: JSONDict, old: str,
                             new: str) -> JSONDict | None:
        bot = self.bot_user()
        return self._queue_update("my_chat_member", {
            "chat": copy.deepcopy(chat), "from": copy.deepcopy(by), "date": int(time.time()),
            "old_chat_member": self._member(chat["id"], bot, old),
            "new_chat_member": self._member(chat["id"], bot, new),
        })

    # ---- test side: observation ------------------------------------------------------------

    def sent(self, chat_id: int | None = None, *, include_deleted: bool = False) -> list[JSONDict]:
        """Messages the bot sent (current state: edits applied), oldest first."""
        with self._cond:
            return [copy.deepcopy(self._messages[key]) for key in self._bot_messages
                    if (chat_id is None or key[0] == chat_id)
                    and (include_deleted or key not in self._deleted)]

    def deleted(self, chat_id: int | None = None) -> list[tuple[int, int]]:
        """(chat_id, message_id) of every deleted message."""
        with self._cond:
            return sorted(key for key in self._deleted if chat_id is None or key[0] == chat_id)

    def calls(self, method: str | None = None) -> list[tuple[str, JSONDict]]:
        """(method, params) of every request with the right token, failed ones included."""
        with self._cond:
            wanted = method.lower() if method else None
            return [(name, copy.deepcopy(params)) for name, params in self._calls
                    if wanted is None or name.lower() == wanted]

    def errors(self) -> list[tuple[str, int, str]]:
        """(method, error_code, description) of every request that was answered with an error."""
        with self._cond:
            return list(self._errors)

    def updates(self) -> list[JSONDict]:
        """Every update that was queued for the bot, oldest first."""
        with self._cond:
            return copy.deepcopy(self._update_log)

    @property
    def callback_answers(self) -> list[JSONDict]:
        """answerCallbackQuery calls that succeeded: callback_query_id, text, show_alert, ..."""
        with self._cond:
            return copy.deepcopy(self._callback_answers)

    @property
    def chat_actions(self) -> list[tuple[int, str]]:
        """(chat_id, action) of every sendChatAction that succeeded."""
        with self._cond:
            return list(self._chat_actions)

    def commands(self, scope: JSONDict | str | None = None,
                 language_code: str | None = None) -> list[JSONDict]:
        """The command list stored for exactly this scope (default: default) and language."""
        with self._cond:
            key = (self._scope_key(scope), language_code or "")
            return copy.deepcopy(self._commands.get(key, []))

    def reply_keyboard(self, chat_id: int) -> JSONDict | None:
        """The reply keyboard currently shown in the chat, if any."""
        with self._cond:
            return copy.deepcopy(self._reply_keyboards.get(chat_id))

    def member_status(self, chat_id: int, user_id: int) -> str:
        """What getChatMember would report as status."""
        with self._cond:
            return self._status(self._chats[chat_id], user_id)

    def subscribe(self, listener: Callable[[str, JSONDict], None]) -> Callable[[], None]:
        """Call `listener(event, payload)` from the server thread on "sent", "edited",
        "deleted", "callback_answer" and "chat_action"; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # ---- test side: faults -----------------------------------------------------------------

    def fail(self, method: str, error_code: int = 400, description: str | None = None, *,
             times: int | None = 1, retry_after: int | None = None) -> None:
        """Make the next `times` calls (None: all) of `method` fail with Telegram's error JSON.

        A 429 gets ``parameters.retry_after`` (default 1) and "Too Many Requests: retry after N".
        """
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request: injected failure",
                401: "Unauthorized",
                403: "Forbidden: bot was blocked by the user",
                404: "Not Found",
                409: f"Conflict: {OTHER_POLL}",
                429: f"Too Many Requests: retry after {retry_after}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(error_code, "Internal Server Error")
        failure = _Failure(ApiError(error_code, description, retry_after), times)
        with self._cond:
            self._failures.setdefault(method.lower(), []).append(failure)

    def clear_failures(self) -> None:
        """Forget every pending injected failure."""
        with self._cond:
            self._failures.clear()

    def flood_limit(self, per_chat_per_second: float | None = None,
                    global_per_second: float | None = None) -> None:
        """Answer 429 "Too Many Requests: retry after N" to message-posting methods above these
        rates (sliding one-second window); None disables a limit."""
        with self._cond:
            self._flood_per_chat = per_chat_per_second
            self._flood_global = global_per_second
            self._flood_chat_log.clear()
            self._flood_global_log.clear()

    # ---- waiting -----------------------------------------------------------------------------

    def wait_until(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Block until `predicate()` is truthy (re-checked on every state change)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout}s; {self._summary()}")
                self._cond.wait(min(remaining, 0.05))

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0,
                       interval: float = 0.01) -> T:
        """Await `predicate()` being truthy without blocking the event loop."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                with self._cond:
                    summary = self._summary()
                raise TimeoutError(f"condition not met within {timeout}s; {summary}")
            await asyncio.sleep(interval)

    async def wait_for_sent(self, chat_id: int | None = None, count: int = 1,
                            timeout: float = 5.0) -> list[JSONDict]:
        """Await at least `count` bot messages (deleted ones count) in `chat_id` (None: any)."""
        def check() -> list[JSONDict]:
            messages = self.sent(chat_id, include_deleted=True)
            return messages if len(messages) >= count else []
        return await self.wait_for(check, timeout)

    async def wait_for_calls(self, method: str, count: int = 1,
                             timeout: float = 5.0) -> list[tuple[str, JSONDict]]:
        """Await at least `count` requests of `method`."""
        def check() -> list[tuple[str, JSONDict]]:
            found = self.calls(method)
            return found if len(found) >= count else []
        return await self.wait_for(check, timeout)

    async def wait_for_callback_answers(self, count: int = 1,
                                        timeout: float = 5.0) -> list[JSONDict]:
        """Await at least `count` successful answerCallbackQuery calls."""
        def check() -> list[JSONDict]:
            found = self.callback_answers
            return found if len(found) >= count else []
        return await self.wait_for(check, timeout)

    def is_idle(self, quiet: float = 0.2) -> bool:
        """Every queued update was fetched, no request is being served, and nothing happened
        for `quiet` seconds: the bot has finished reacting."""
        with self._cond:
            fetched = not self._updates or self._updates[-1]["update_id"] <= self._delivered_upto
            return (fetched and self._inflight == 0
                    and time.monotonic() - self._last_activity >= quiet)

    async def wait_idle(self, timeout: float = 5.0, quiet: float = 0.2) -> None:
        """Await :meth:`is_idle`; use before asserting that the bot did *not* answer."""
        await self.wait_for(lambda: self.is_idle(quiet), timeout)

    def _summary(self) -> str:
        recent = [name for name, _ in self._calls[-8:]]
        return (f"{len(self._bot_messages)} bot message(s), {len(self._updates)} unconfirmed "
                f"update(s), recent calls {recent}, recent errors {self._errors[-3:]}")


def _validate_inline_keyboard(rows: Any) -> JSONDict | None:
    """Telegram's checks on an inline keyboard; None when it has no buttons."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad('can\'t parse inline keyboard button: Field "inline_keyboard" of the '
                   "InlineKeyboardMarkup must be an Array of Arrays")
    kept = []
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be "
                           "an Object")
            if not isinstance(button.get("text"), str):
                raise _bad('can\'t parse inline keyboard button: Field "text" must be of type '
                           "String")
            if not any(kind in button for kind in BUTTON_KINDS):
                raise _bad("can't parse inline keyboard button: Text buttons are unallowed in "
                           "the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                        1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT):
                    raise _bad("BUTTON_DATA_INVALID")
            if "url" in button and (not isinstance(button["url"], str)
                                    or _check_url(button["url"]) is None):
                raise _bad("BUTTON_URL_INVALID")
        if row:
            kept.append(copy.deepcopy(row))
    return {"inline_keyboard": kept} if kept else None
