"""``reply_markup``: Telegram's checks on inline and reply keyboards.

The checks matter more than the storage: a ``callback_data`` over 64 bytes or a button without
an action is refused by Telegram, and must be refused here so tests catch it.
"""

import copy
from typing import Any

from .entities import check_url
from .params import Params
from .protocol import JSONDict, bad

CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8
BUTTON_KINDS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)


def reply_markup(params: Params, *, inline_only: bool = False) -> JSONDict | None:
    """The inline keyboard to attach to the message, if any.

    Reply keyboards (``keyboard``, ``remove_keyboard``, ``force_reply``) are validated but not
    kept: they belong to the chat, not the message, and nothing observes them here.
    """
    markup = params.get_json("reply_markup",
                             error="can't parse reply keyboard markup JSON object")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return _inline_keyboard(markup["inline_keyboard"])
    if inline_only:
        raise bad("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad("can't parse reply keyboard markup JSON object")
        for row in rows:
            for button in row:
                if not isinstance(button, str) and not (
                        isinstance(button, dict) and isinstance(button.get("text"), str)):
                    raise bad("can't parse keyboard button: KeyboardButton must be a String "
                              "or an Object")
        return None
    if "remove_keyboard" in markup or "force_reply" in markup:
        return None
    raise bad("can't parse reply keyboard markup JSON object")


def _inline_keyboard(rows: Any) -> JSONDict | None:
    """Telegram's checks on an inline keyboard; None when it has no buttons."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad('can\'t parse inline keyboard button: Field "inline_keyboard" of the '
                  "InlineKeyboardMarkup must be an Array of Arrays")
    kept = []
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise bad("can't parse inline keyboard button: InlineKeyboardButton must be "
                          "an Object")
            if not isinstance(button.get("text"), str):
                raise bad('can\'t parse inline keyboard button: Field "text" must be of type '
                          "String")
            if not any(kind in button for kind in BUTTON_KINDS):
                raise bad("can't parse inline keyboard button: Text buttons are unallowed in "
                          "the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                        1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT):
                    raise bad("BUTTON_DATA_INVALID")
            if "url" in button and (not isinstance(button["url"], str)
                                    or check_url(button["url"]) is None):
                raise bad("BUTTON_URL_INVALID")
        if row:
            kept.append(copy.deepcopy(row))
    return {"inline_keyboard": kept} if kept else None
