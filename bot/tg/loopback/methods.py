"""The Bot API method table, and the methods for updates, webhooks, chats, command menus
and files (those about messages are in :mod:`.messages`).

Each is ``method(state, params) -> result`` and runs with the state lock held; raising
:class:`~bot.tg.loopback.protocol.ApiError` answers with Telegram's error. Methods outside
:data:`METHODS` get 404 "Not Found", as an unknown method does from Telegram.
"""

import copy
import re
import time
from collections.abc import Callable
from typing import Any

from . import messages
from .entities import check_url
from .params import Params
from .protocol import (
    ALL_UPDATE_TYPES,
    DEFAULT_ALLOWED,
    DOWNLOAD_LIMIT,
    OTHER_POLL,
    ApiError,
    Described,
    JSONDict,
    bad,
)
from .state import State


def get_me(state: State, params: Params) -> JSONDict:
    return {**state.bot_user(), "can_join_groups": True,
            "can_read_all_group_messages": not state.privacy_mode,
            "supports_inline_queries": False, "can_connect_to_business": False,
            "has_main_web_app": False}


def get_updates(state: State, params: Params) -> list[JSONDict]:
    """Confirm updates below `offset`, then long-poll up to `timeout` seconds for more.

    Waits on ``state.cond`` (releasing the lock); a newer getUpdates or a setWebhook ends
    this one with 409, as on Telegram.
    """
    if state.webhook is not None:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")
    offset = params.get_int("offset", 0) or 0
    limit = min(100, max(1, params.get_int("limit", 100) or 100))
    timeout = min(50.0, max(0.0, params.get_float("timeout", 0.0)))
    allowed = params.get_json("allowed_updates", error="can't parse allowed updates")
    if allowed is not None:
        if not isinstance(allowed, list):
            raise bad("can't parse allowed updates")
        wanted = frozenset(str(kind) for kind in allowed) & frozenset(ALL_UPDATE_TYPES)
        state.allowed = wanted or DEFAULT_ALLOWED
    if offset > 0:
        state.updates = [u for u in state.updates if u["update_id"] >= offset]
    elif offset < 0:
        state.updates = state.updates[offset:]
    state.poll_generation += 1
    state.poll_reason = OTHER_POLL
    generation = state.poll_generation
    state.cond.notify_all()
    deadline = time.monotonic() + timeout
    while True:
        if state.closing:
            return []
        if timeout and not params.alive():
            return []  # the client gave up (PTB cancels its poll on shutdown): drop quietly
        if generation != state.poll_generation:
            raise ApiError(409, f"Conflict: {state.poll_reason}")
        batch = state.updates[:limit]
        remaining = deadline - time.monotonic()
        if batch or remaining <= 0:
            break
        state.cond.wait(min(remaining, 0.25))
    if batch:
        state.delivered_upto = max(state.delivered_upto, batch[-1]["update_id"])
        state.last_activity = time.monotonic()
    return copy.deepcopy(batch)


def set_webhook(state: State, params: Params) -> Described:
    """Stored and reported only: updates stay queued for getUpdates, nothing is posted."""
    url = params.get_str("url", "") or ""
    if not url:
        return delete_webhook(state, params)
    if not url.lower().startswith("https://"):
        raise bad("bad webhook: An HTTPS URL must be provided for webhook")
    if check_url(url) is None:
        raise bad("bad webhook: Failed to resolve host: Name or service not known")
    already = state.webhook is not None and state.webhook["url"] == url
    allowed = params.get_json("allowed_updates")
    if isinstance(allowed, list):
        state.allowed = frozenset(map(str, allowed)) & frozenset(ALL_UPDATE_TYPES) \
            or DEFAULT_ALLOWED
    state.webhook = {"url": url, "max_connections": params.get_int("max_connections", 40),
                     "ip_address": "127.0.0.1"}
    if params.get_bool("drop_pending_updates"):
        state.updates.clear()
    state.poll_reason = "terminated by setWebhook request"
    state.poll_generation += 1
    return Described(True, "Webhook is already set" if already else "Webhook was set")


def delete_webhook(state: State, params: Params) -> Described:
    existed = state.webhook is not None
    state.webhook = None
    if params.get_bool("drop_pending_updates"):
        state.updates.clear()
    return Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")


def get_webhook_info(state: State, params: Params) -> JSONDict:
    info: JSONDict = {"url": "", "has_custom_certificate": False,
                      "pending_update_count": len(state.updates)}
    if state.webhook is not None:
        info.update(state.webhook)
        info["allowed_updates"] = sorted(state.allowed)
    return info


def get_chat(state: State, params: Params) -> JSONDict:
    chat = state.resolve_chat(params.chat_id())
    return {**copy.deepcopy(chat), "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                    "unique_gifts": False, "premium_subscription": False,
                                    "gifts_from_channels": False}}


def get_chat_member(state: State, params: Params) -> JSONDict:
    chat = state.resolve_chat(params.chat_id())
    user_id = params.get_int("user_id", error="invalid user_id specified")
    assert user_id is not None
    user = state.bot_user() if user_id == state.bot_id else state.users.get(user_id)
    if user is None:
        raise bad("user not found")
    return state.member(chat["id"], user, state.status(chat, user_id))


def get_chat_administrators(state: State, params: Params) -> list[JSONDict]:
    chat = state.resolve_chat(params.chat_id())
    if chat["type"] == "private":
        raise bad("there are no administrators in the private chat")
    admins = []
    for (chat_id, user_id), status in state.members.items():
        if chat_id == chat["id"] and status in ("creator", "administrator"):
            user = state.bot_user() if user_id == state.bot_id else state.users.get(user_id)
            if user is not None:
                admins.append(state.member(chat_id, user, status))
    return admins


def _commands_key(state: State, params: Params) -> tuple[str, str]:
    """Command lists are stored per (scope, language_code), as Telegram does."""
    scope = state.scope_key(params.get_json("scope"))
    code = params.get_str("language_code", "") or ""
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad("invalid language code specified")  # approximate wording
    return scope, code


def set_my_commands(state: State, params: Params) -> bool:
    commands = params.get_json("commands", error="can't parse commands JSON object")
    if not isinstance(commands, list):
        raise bad("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad("BOT_COMMANDS_TOO_MUCH")
    clean = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad("can't parse BotCommand: Object expected")
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
            raise bad("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": name, "description": description})
    key = _commands_key(state, params)
    if clean:
        state.commands[key] = clean
    else:
        state.commands.pop(key, None)
    return True


def get_my_commands(state: State, params: Params) -> list[JSONDict]:
    return copy.deepcopy(state.commands.get(_commands_key(state, params), []))


def delete_my_commands(state: State, params: Params) -> bool:
    state.commands.pop(_commands_key(state, params), None)
    return True


def get_file(state: State, params: Params) -> JSONDict:
    file_id = params.get_str("file_id") or ""
    record = state.files.get(file_id)
    if record is None:
        raise bad("invalid file_id")
    if record["file_size"] > DOWNLOAD_LIMIT:
        raise bad("file is too big")
    return state.file_info(record)


Method = Callable[[State, Params], Any]
METHODS: dict[str, Method] = {
    "getMe": get_me, "getUpdates": get_updates, "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook, "getWebhookInfo": get_webhook_info,
    "sendMessage": messages.send_message, "sendDocument": messages.send_document,
    "editMessageText": messages.edit_message_text, "deleteMessage": messages.delete_message,
    "answerCallbackQuery": messages.answer_callback_query,
    "sendChatAction": messages.send_chat_action,
    "getChat": get_chat, "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    "setMyCommands": set_my_commands, "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands, "getFile": get_file,
}
# Telegram matches method names case-insensitively.
METHOD_BY_LOWER = {name.lower(): name for name in METHODS}
