"""The Bot API vocabulary every loopback module shares: the JSON type, the error envelope,
limits and Telegram's exact wording.

Descriptions are copied from Telegram because bots (and PTB's exception mapping) match on them;
a wrong word here would let a test pass that production fails.
"""

from dataclasses import dataclass
from typing import Any

JSONDict = dict[str, Any]

DEFAULT_TOKEN = "123456789:AAHloopback_test_token_0123456789abc"

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
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
# The service users Telegram names as the sender of a message written on behalf of a chat:
# by an anonymous group admin, and by a channel (or a user posting as one).
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                   "username": "GroupAnonymousBot"}
CHANNEL_SENDER = {"id": 136817688, "is_bot": True, "first_name": "Channel",
                  "username": "Channel_Bot"}
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")


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


def bad(message: str) -> ApiError:
    """A 400, the answer to nearly every wrong request."""
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    """A 403: the bot may not act in that chat (blocked, kicked, never started)."""
    return ApiError(403, f"Forbidden: {message}")


@dataclass
class Described:
    """A successful result that Telegram accompanies with a ``description`` (webhook calls)."""

    result: Any
    description: str
