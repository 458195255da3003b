"""Bot API methods that post, change or react to messages.

Each is ``method(state, params) -> result`` and runs with the state lock held. Checks run in
Telegram's order, so the first mistake in a request is the one reported.
"""

import copy
import re
import time
import urllib.parse

from .entities import format_text, u16
from .markup import reply_markup
from .params import INT_RE, Params, Upload
from .protocol import (
    CALLBACK_TEXT_LIMIT,
    CAPTION_LIMIT,
    NOT_MODIFIED,
    QUERY_INVALID,
    TEXT_LIMIT,
    UPLOAD_LIMIT,
    ApiError,
    JSONDict,
    bad,
)
from .state import State

CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})


def _format(state: State, params: Params, key: str, entities_key: str, limit: int, *,
            empty: str | None, too_long: str) -> tuple[str, list[JSONDict]]:
    """The text (or caption) parameter `key` as Telegram stores it, with its entities."""
    raw = params.get_str(key, "") or ""
    parse_mode = params.get_str("parse_mode") or ""
    explicit = params.get_json(entities_key, error="can't parse entities JSON object")
    text, entities = format_text(raw, parse_mode, explicit, state.users)
    if not text and empty is not None:
        raise bad(empty)
    if u16(text) > limit:  # UTF-16 units: never more lenient than Telegram
        raise bad(too_long)
    return text, entities


def _reply_target(state: State, chat: JSONDict, params: Params) -> JSONDict | None:
    """The message being replied to (without its own reply), from either parameter style."""
    reply = params.get_json("reply_parameters",
                            error="can't parse reply parameters JSON object")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow = bool(reply.get("allow_sending_without_reply"))
        target_chat = chat
        if reply.get("chat_id") not in (None, chat["id"]):
            raw = reply["chat_id"]
            target_chat = state.resolve_chat(
                int(raw) if isinstance(raw, str) and INT_RE.fullmatch(raw) else raw)
    elif reply is not None:
        raise bad("can't parse reply parameters JSON object")
    else:
        message_id = params.get_int("reply_to_message_id")
        allow = params.get_bool("allow_sending_without_reply")
        target_chat = chat
        if message_id is None:
            return None
    if not isinstance(message_id, int):
        raise bad("message to be replied not found")
    target = state.live(target_chat["id"], message_id)
    if target is None:
        if allow:
            return None
        raise bad("message to be replied not found")
    if target_chat is not chat:
        return None  # Telegram shows an external_reply; not modelled here
    snapshot = copy.deepcopy(target)
    snapshot.pop("reply_to_message", None)
    return snapshot


def _new_bot_message(state: State, chat: JSONDict, params: Params, content: JSONDict,
                     markup: JSONDict | None) -> JSONDict:
    """Store a message from the bot and announce it to listeners."""
    reply = _reply_target(state, chat, params)
    message: JSONDict = {
        "message_id": state.allocate_message_id(chat["id"]),
        "from": state.bot_user(),
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
    state.messages[key] = message
    state.bot_messages.append(key)
    state.events.append(("sent", copy.deepcopy(message)))
    return copy.deepcopy(message)


def send_message(state: State, params: Params) -> JSONDict:
    chat = state.resolve_chat(params.chat_id())
    state.check_can_send(chat)
    text, entities = _format(state, params, "text", "entities", TEXT_LIMIT,
                             empty="message text is empty", too_long="message is too long")
    markup = reply_markup(params)
    content: JSONDict = {"text": text}
    if entities:
        content["entities"] = entities
    preview = params.get_json("link_preview_options",
                              error="can't parse link preview options JSON object")
    if isinstance(preview, dict) and preview:
        content["link_preview_options"] = preview
    return _new_bot_message(state, chat, params, content, markup)


def send_document(state: State, params: Params) -> JSONDict:
    chat = state.resolve_chat(params.chat_id())
    state.check_can_send(chat)
    document = params.upload("document")
    if document is None:
        raise bad("there is no document in the request")
    caption, entities = _format(state, params, "caption", "caption_entities", CAPTION_LIMIT,
                                empty=None, too_long="message caption is too long")
    markup = reply_markup(params)
    if isinstance(document, Upload):
        if not document.content:
            raise bad("file must be non-empty")
        if len(document.content) > UPLOAD_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        suffix = re.search(r"\.[A-Za-z0-9]{1,8}$", document.filename)
        record = state.register_file(
            document.content, f"documents/file_{state.file_counter}"
            f"{suffix.group(0) if suffix else ''}",
            file_name=document.filename, mime_type=document.mime_type)
    elif document in state.files:
        record = state.files[document]
    elif re.match(r"https?://", document, re.IGNORECASE):
        name = urllib.parse.urlsplit(document).path.rsplit("/", 1)[-1] or "file"
        record = state.register_file(b"", f"documents/file_{state.file_counter}_{name}",
                                     file_name=name, mime_type="application/octet-stream")
    else:
        raise bad("wrong file identifier/HTTP URL specified")
    meta = {key: record[key] for key in ("file_id", "file_unique_id", "file_name",
                                         "mime_type", "file_size") if record.get(key)}
    content: JSONDict = {"document": meta}
    if caption:
        content["caption"] = caption
    if entities:
        content["caption_entities"] = entities
    return _new_bot_message(state, chat, params, content, markup)


def edit_message_text(state: State, params: Params) -> JSONDict:
    if params.has("inline_message_id"):
        raise bad("MESSAGE_ID_INVALID")  # inline messages are not modelled
    if not params.has("message_id"):
        raise bad("message identifier is not specified")
    chat = state.resolve_chat(params.chat_id())
    message = state.live(chat["id"], params.get_int("message_id"))
    if message is None:
        raise bad("message to edit not found")
    if message["from"]["id"] != state.bot_id:
        raise bad("message can't be edited")
    if "text" not in message:
        raise bad("there is no text in the message to edit")
    text, entities = _format(state, params, "text", "entities", TEXT_LIMIT,
                             empty="message text is empty", too_long="message is too long")
    markup = reply_markup(params, inline_only=True)
    preview = params.get_json("link_preview_options")
    if (text == message["text"] and entities == message.get("entities", [])
            and markup == message.get("reply_markup")):
        raise bad(NOT_MODIFIED)
    changes: JSONDict = {"text": text, "entities": entities, "reply_markup": markup}
    if isinstance(preview, dict):
        changes["link_preview_options"] = preview
    for key, value in changes.items():
        if value in (None, [], ""):
            message.pop(key, None)  # e.g. no reply_markup given: the keyboard goes
        else:
            message[key] = value
    message["edit_date"] = int(time.time())
    state.events.append(("edited", copy.deepcopy(message)))
    return copy.deepcopy(message)


def delete_message(state: State, params: Params) -> bool:
    chat = state.resolve_chat(params.chat_id())
    message_id = params.get_int("message_id", error="message identifier is not specified")
    message = state.live(chat["id"], message_id)
    if message is None:
        raise bad("message to delete not found")
    if message.get("from", {}).get("id") != state.bot_id and chat["type"] != "private" \
            and state.status(chat, state.bot_id) not in ("administrator", "creator"):
        raise bad("message can't be deleted")
    state.deleted.add((chat["id"], message["message_id"]))
    state.events.append(("deleted", {"chat_id": chat["id"],
                                     "message_id": message["message_id"]}))
    return True


def answer_callback_query(state: State, params: Params) -> bool:
    query_id = params.get_str("callback_query_id") or ""
    query = state.callback_queries.get(query_id)
    if query is None or query["answered"]:
        raise bad(QUERY_INVALID)
    text = params.get_str("text", "") or ""
    if len(text) > CALLBACK_TEXT_LIMIT:
        raise bad("MESSAGE_TOO_LONG")
    url = params.get_str("url")
    if url and not re.match(rf"https?://t\.me/{re.escape(state.bot_username)}\?start",
                            url, re.IGNORECASE):
        raise bad("URL_INVALID")
    query["answered"] = True
    answer: JSONDict = {"callback_query_id": query_id, "text": text,
                        "show_alert": params.get_bool("show_alert"),
                        "cache_time": params.get_int("cache_time", 0)}
    if url:
        answer["url"] = url
    state.callback_answers.append(answer)
    state.events.append(("callback_answer", copy.deepcopy(answer)))
    return True


def send_chat_action(state: State, params: Params) -> bool:
    chat = state.resolve_chat(params.chat_id())
    state.check_can_send(chat)
    action = params.get_str("action", "") or ""
    if action not in CHAT_ACTIONS:
        raise bad("wrong parameter action in request")
    state.chat_actions.append((chat["id"], action))
    state.events.append(("chat_action", {"chat_id": chat["id"], "action": action}))
    return True
