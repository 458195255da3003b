"""Telegram's text formatting: HTML parse mode, entity validation and auto-detection.

Entity offsets and lengths are in UTF-16 code units, as in the Bot API; the helpers here convert.
Only the HTML parse mode is implemented (the bot uses nothing else); see :func:`format_text`.
"""

import copy
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from .protocol import JSONDict, bad

_ENTITY_TYPES = frozenset({
    "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bold",
    "italic", "underline", "strikethrough", "spoiler", "blockquote", "expandable_blockquote",
    "code", "pre", "text_link", "text_mention", "custom_emoji", "date_time",
})
_SPACE = " \t\r\n\v\f"


class ParseError(Exception):
    """A formatting error; becomes ``Bad Request: can't parse entities: <message>``."""


def u16(text: str) -> int:
    """Length of `text` in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def u16_slice(text: str, offset: int, length: int) -> str:
    """The part of `text` an entity's (offset, length) covers."""
    data = text.encode("utf-16-le")
    return data[2 * offset: 2 * (offset + length)].decode("utf-16-le", "replace")


def _u16_prefix(text: str) -> list[int]:
    """``result[i]`` is the UTF-16 offset of ``text[i]``; one extra item for the end."""
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return offsets


def _byte_offset(text: str, index: int) -> int:
    """Where ``text[index]`` starts in UTF-8, the unit of tdlib's parse error positions."""
    return len(text[:index].encode("utf-8"))


def check_url(url: str) -> str | None:
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
    checked = check_url(url)
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


def parse_html(text: str, users: Mapping[int, JSONDict]) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML like the Bot API server (tdlib) does.

    Returns the plain text and its entities; raises ``ParseError`` with Telegram's message.
    Stricter than Telegram ("strict_html"): a bare ``&`` or ``>`` is refused, because the Bot
    API documentation requires them escaped even though Telegram tolerates them.
    `users` gives ``tg://user?id=`` links their text_mention user.
    """
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
                pos += u16(decoded[0])
                i = decoded[1]
                continue
            raise ParseError(
                f'Unescaped "&" at byte offset {_byte_offset(text, i)}; write &amp; '
                "(loopback strict_html: Telegram tolerates it, its documentation does not)")
        if ch == ">":
            raise ParseError(
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
                raise ParseError(f"Unexpected end tag at byte offset {offset}")
            i += 2
            name_start = i
            while i < n and text[i] not in _SPACE and text[i] != ">":
                i += 1
            end_name = text[name_start:i].lower()
            while i < n and text[i] in _SPACE:
                i += 1
            if i >= n or text[i] != ">":
                raise ParseError(f"Unclosed end tag at byte offset {offset}")
            i += 1
            tag, argument, start, out_start = stack.pop()
            if end_name and end_name != tag:
                raise ParseError(f'Unmatched end tag at byte offset {offset}, expected "</{tag}>",'
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
            raise ParseError(f"Unclosed start tag at byte offset {offset}")
        tag = text[name_start:i].lower()
        if tag not in _HTML_TAGS:
            raise ParseError(f'Unsupported start tag "{tag}" at byte offset {offset}')
        argument = ""
        while True:
            while i < n and text[i] in _SPACE:
                i += 1
            if i >= n:
                raise ParseError(f"Unclosed start tag at byte offset {offset}")
            if text[i] == ">":
                break
            attr_start = i
            while i < n and text[i] not in _SPACE and text[i] not in "=>":
                i += 1
            attribute = text[attr_start:i].lower()
            if not attribute:
                raise ParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
            while i < n and text[i] in _SPACE:
                i += 1
            if tag == "blockquote" and attribute == "expandable" and (i >= n or text[i] != "="):
                argument = "1"
                continue
            if i >= n or text[i] != "=":
                raise ParseError("Expected equal sign in declaration of an attribute of the tag "
                                  f'"{tag}" at byte offset {offset}')
            i += 1
            while i < n and text[i] in _SPACE:
                i += 1
            if i >= n:
                raise ParseError(f'Unclosed start tag "{tag}" at byte offset {offset}')
            if text[i] not in "'\"":
                token_start = i
                while i < n and text[i].isascii() and (text[i].isalnum() or text[i] in ".-"):
                    i += 1
                value = text[token_start:i].lower()
                if i < n and text[i] not in _SPACE and text[i] != ">":
                    raise ParseError("Unexpected end of name token at byte offset "
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
                raise ParseError(f"Unclosed start tag at byte offset {offset}")
            if tag == "a" and attribute == "href":
                argument = value
            elif tag == "code" and attribute == "class" and value.startswith("language-"):
                argument = value[len("language-"):]
            elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value[len("tg-"):]
            elif tag == "tg-emoji" and attribute == "emoji-id":
                argument = value
        if tag == "span" and argument != "spoiler":
            raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        stack.append((tag, argument, pos, len(out)))
        i += 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        entity.pop("_language", None)
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
    """Telegram's order: by offset, an enclosing entity before the ones inside it."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _finalize(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Trim surrounding whitespace like Telegram, clip entities, drop those inside code/pre."""
    stripped = text.strip()
    shift = u16(text[: len(text) - len(text.lstrip())]) if stripped else 0
    total = u16(stripped)
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



def _validate_entities(entities: Any) -> list[JSONDict]:
    """Explicit ``entities`` / ``caption_entities`` checked and cleaned as Telegram does."""
    if not isinstance(entities, list):
        raise bad("can't parse entities JSON object")
    result = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise bad("can't parse MessageEntity: Object expected")
        kind, offset, length = entity.get("type"), entity.get("offset"), entity.get("length")
        if not isinstance(kind, str) or not isinstance(offset, int) \
                or not isinstance(length, int):
            raise bad("can't parse MessageEntity: fields type, offset and length are required")
        if kind not in _ENTITY_TYPES:
            raise bad(f'can\'t parse MessageEntity: unsupported entity type "{kind}"')
        clean: JSONDict = {"type": kind, "offset": offset, "length": length}
        if kind == "text_link":
            url = check_url(str(entity.get("url", "")))
            if url is None:
                continue
            clean["url"] = url
        elif kind == "text_mention":
            user = entity.get("user")
            if not isinstance(user, dict) or not isinstance(user.get("id"), int):
                raise bad("can't parse MessageEntity: user is required for text_mention")
            clean["user"] = user
        elif kind == "pre" and entity.get("language"):
            clean["language"] = str(entity["language"])
        elif kind == "custom_emoji":
            clean["custom_emoji_id"] = str(entity.get("custom_emoji_id", ""))
        result.append(clean)
    return result


def format_text(raw: str, parse_mode: str, explicit: Any,
                users: Mapping[int, JSONDict]) -> tuple[str, list[JSONDict]]:
    """The text and entities Telegram stores for a message text or caption.

    Explicit entities win over `parse_mode`. Only "HTML" is parsed: the bot uses nothing else,
    so "MarkdownV2" and "Markdown" are accepted but not parsed -- the text stays as sent, with
    no formatting entities (markup characters included). Then, as Telegram does, surrounding
    whitespace is trimmed and urls, mentions, commands... are detected.
    """
    mode = parse_mode.strip().lower()
    try:
        if explicit is not None:
            text, entities = raw, _validate_entities(explicit)
        elif mode == "html":
            text, entities = parse_html(raw, users)
        elif mode in ("", "markdownv2", "markdown"):
            text, entities = raw, []
        else:
            raise bad("unsupported parse_mode")
    except ParseError as exc:
        raise bad(f"can't parse entities: {exc}") from None
    text, entities = _finalize(text, entities)
    return text, _sort_entities(entities + detect_entities(text, entities))
