"""What the fake Telegram knows: users, chats, memberships, messages, updates, files, logs.

One :class:`State` is shared by the HTTP side (Bot API methods) and the test side
(:class:`~bot.tg.loopback.api.LoopbackBotAPI`). It does no locking itself: every caller holds
``state.cond`` while it reads or changes anything, and changes that someone may be waiting for
(a queued update, a finished request) end with ``cond.notify_all()``.
"""

import copy
import json
import logging
import secrets
import threading
import time
from typing import Any

from .entities import u16_slice
from .params import INT_RE
from .protocol import DEFAULT_ALLOWED, OTHER_POLL, JSONDict, bad, forbidden

log = logging.getLogger(__name__)

ChatRef = JSONDict | int
UserRef = JSONDict | int


class State:
    """The world model and the call log; helpers enforce Telegram's rules on it."""

    def __init__(self, *, bot_id: int, bot_username: str, bot_first_name: str,
                 privacy_mode: bool) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.privacy_mode = privacy_mode
        self.cond = threading.Condition(threading.RLock())
        self.closing = False  # set by stop(): long polls return at once
        # The world.
        self.users: dict[int, JSONDict] = {}
        self.chats: dict[int, JSONDict] = {}
        self.members: dict[tuple[int, int], str] = {}  # (chat_id, user_id) -> status
        self.blocked: set[int] = set()  # users who blocked the bot
        self.messages: dict[tuple[int, int], JSONDict] = {}
        self.bot_messages: list[tuple[int, int]] = []
        self.deleted: set[tuple[int, int]] = set()
        self.next_message_id: dict[int, int] = {}
        self.callback_queries: dict[str, JSONDict] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}  # (scope key, language)
        self.files: dict[str, JSONDict] = {}
        self.files_by_path: dict[str, str] = {}
        self.file_counter = 0
        # Updates and polling.
        self.updates: list[JSONDict] = []  # not yet confirmed by an offset
        self.update_log: list[JSONDict] = []
        self.next_update_id = 100_000
        self.delivered_upto = 0
        self.allowed: frozenset[str] = DEFAULT_ALLOWED
        self.poll_generation = 0  # a new getUpdates (or setWebhook) ends older long polls
        self.poll_reason = OTHER_POLL
        self.webhook: JSONDict | None = None
        # What the bot did.
        self.calls: list[tuple[str, JSONDict]] = []
        self.errors: list[tuple[str, int, str]] = []
        self.callback_answers: list[JSONDict] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.events: list[tuple[str, JSONDict]] = []  # for listeners, fired after the lock
        self.inflight = 0
        self.last_activity = time.monotonic()

    # ---- objects ---------------------------------------------------------------------------

    def bot_user(self) -> JSONDict:
        """The bot as a User object, as it appears in the ``from`` of its messages."""
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name,
                "username": self.bot_username}

    def member(self, chat_id: int, user: JSONDict, status: str) -> JSONDict:
        """A ChatMember object with the fields PTB requires for `status`."""
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
            if self.chats.get(chat_id, {}).get("type") == "supergroup":
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

    def status(self, chat: JSONDict, user_id: int) -> str:
        """The member status of `user_id` in `chat`."""
        if chat["type"] == "private":
            return "member" if user_id in (chat["id"], self.bot_id) else "left"
        return self.members.get((chat["id"], user_id), "left")

    @staticmethod
    def file_info(record: JSONDict) -> JSONDict:
        """The File object for a stored file."""
        return {key: record[key] for key in ("file_id", "file_unique_id", "file_size",
                                             "file_path")}

    # ---- rules the Bot API methods share ---------------------------------------------------

    def resolve_chat(self, chat_id: int | str) -> JSONDict:
        """The chat a ``chat_id`` parameter names, or Telegram's error."""
        if isinstance(chat_id, str):
            wanted = chat_id[1:].lower()
            for chat in self.chats.values():
                if chat["type"] != "private" and chat.get("username", "").lower() == wanted:
                    return chat
            raise bad("chat not found")
        chat = self.chats.get(chat_id)
        if chat is None:
            if chat_id in self.users:
                raise forbidden("bot can't initiate conversation with a user")
            raise bad("chat not found")
        return chat

    def check_can_send(self, chat: JSONDict) -> None:
        """Telegram's refusal when the bot is blocked, kicked, absent or muted in `chat`."""
        if chat["type"] == "private":
            if chat["id"] in self.blocked:
                raise forbidden("bot was blocked by the user")
            return
        kind = {"group": "group chat", "supergroup": "supergroup chat",
                "channel": "channel chat"}.get(chat["type"], "chat")
        status = self.status(chat, self.bot_id)
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {kind}")
        if status == "left":
            raise forbidden(f"bot is not a member of the {kind}")
        if status == "restricted":
            raise bad("not enough rights to send text messages to the chat")

    def live(self, chat_id: int, message_id: int | None) -> JSONDict | None:
        """The stored message, unless it was deleted."""
        if message_id is None or (chat_id, message_id) in self.deleted:
            return None
        return self.messages.get((chat_id, message_id))

    def allocate_message_id(self, chat_id: int) -> int:
        message_id = self.next_message_id.get(chat_id, 1)
        self.next_message_id[chat_id] = message_id + 1
        return message_id

    def register_file(self, content: bytes, file_path: str, file_id: str | None = None,
                      **meta: Any) -> JSONDict:
        """Store a file for getFile and download; `meta` adds e.g. file_name, mime_type."""
        self.file_counter += 1
        file_id = file_id or "BQACAgIAAxkBAAI" + secrets.token_urlsafe(24)
        record = {"file_id": file_id, "file_unique_id": "AgAD" + secrets.token_urlsafe(9),
                  "file_size": len(content), "file_path": file_path, "content": content, **meta}
        self.files[file_id] = record
        self.files_by_path[file_path] = file_id
        return record

    def scope_key(self, scope: Any) -> str:
        """A BotCommandScope (or just its type) as a hashable key; chats resolved to ids."""
        scope = scope or {"type": "default"}
        if isinstance(scope, str):
            scope = {"type": scope}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            key: JSONDict = {"type": kind}
        elif kind in ("chat", "chat_administrators", "chat_member"):
            raw = scope.get("chat_id")
            if isinstance(raw, str) and INT_RE.fullmatch(raw):
                raw = int(raw)
            if not isinstance(raw, (int, str)) or isinstance(raw, bool):
                raise bad("chat not found")
            chat = self.resolve_chat(raw)
            key = {"type": kind, "chat_id": chat["id"]}
            if kind == "chat_member":
                user_id = scope.get("user_id")
                if not isinstance(user_id, int):
                    raise bad("invalid user_id specified")
                key["user_id"] = user_id
        else:
            raise bad("unsupported bot command scope type")  # approximate wording
        return json.dumps(key, sort_keys=True)

    # ---- updates ---------------------------------------------------------------------------

    def queue_update(self, kind: str, payload: JSONDict) -> JSONDict | None:
        """Queue an update for getUpdates; None when allowed_updates filters it out."""
        update_id = self.next_update_id
        self.next_update_id += 1
        if kind not in self.allowed:
            log.debug("loopback Bot API: %s update dropped by allowed_updates", kind)
            return None
        update = {"update_id": update_id, kind: copy.deepcopy(payload)}
        self.updates.append(update)
        self.update_log.append(update)
        self.cond.notify_all()
        return update

    def queue_member_update(self, chat: JSONDict, by: JSONDict, old: str,
                            new: str) -> JSONDict | None:
        """Queue the my_chat_member update for a change of the bot's own status."""
        bot = self.bot_user()
        return self.queue_update("my_chat_member", {
            "chat": copy.deepcopy(chat), "from": copy.deepcopy(by), "date": int(time.time()),
            "old_chat_member": self.member(chat["id"], bot, old),
            "new_chat_member": self.member(chat["id"], bot, new),
        })

    # ---- the test side's users -------------------------------------------------------------

    def user_of(self, user: UserRef) -> JSONDict:
        """The stored User for a User object (registered on first sight) or a user id."""
        if isinstance(user, dict):
            known = self.users.get(user["id"])
            if known is None:
                known = self.users[user["id"]] = copy.deepcopy(user)
            return known
        if user not in self.users:
            raise ValueError(f"unknown user {user}; register it with user()")
        return self.users[user]

    def chat_of(self, chat: ChatRef) -> JSONDict:
        """The stored Chat for a Chat object (registered on first sight) or a chat id."""
        if isinstance(chat, dict):
            known = self.chats.get(chat["id"])
            if known is None:
                known = self.chats[chat["id"]] = copy.deepcopy(chat)
                if chat["type"] != "private":
                    self.members.setdefault((chat["id"], self.bot_id), "member")
            return known
        if chat not in self.chats:
            raise ValueError(f"unknown chat {chat}; register it with private_chat() or group()")
        return self.chats[chat]

    def user_message(self, chat: JSONDict, user: JSONDict, content: JSONDict,
                     reply_to: JSONDict | int | None = None) -> JSONDict:
        """Store a message from `user` and queue it if the bot may see it."""
        if chat["type"] == "private" and chat["id"] != user["id"]:
            raise ValueError("only the chat's own user can write in a private chat")
        if chat["type"] == "private" and user["id"] in self.blocked:
            self.blocked.discard(user["id"])  # writing again restarts the bot
            self.queue_member_update(chat, user, "kicked", "member")
        if chat["type"] != "private" \
                and self.members.get((chat["id"], user["id"]), "left") == "left":
            self.members[(chat["id"], user["id"])] = "member"
        message: JSONDict = {"message_id": self.allocate_message_id(chat["id"]),
                             "from": copy.deepcopy(user), "chat": copy.deepcopy(chat),
                             "date": int(time.time())}
        if reply_to is not None:
            reply_id = reply_to if isinstance(reply_to, int) else reply_to["message_id"]
            target = self.live(chat["id"], reply_id)
            if target is None:
                raise ValueError(f"no message {reply_id} in chat {chat['id']}")
            snapshot = copy.deepcopy(target)
            snapshot.pop("reply_to_message", None)
            message["reply_to_message"] = snapshot
        message.update(content)
        self.messages[(chat["id"], message["message_id"])] = message
        if self.visible_to_bot(chat, message):
            self.queue_update("message", message)
        return copy.deepcopy(message)

    def visible_to_bot(self, chat: JSONDict, message: JSONDict) -> bool:
        """Telegram's privacy mode: what a group bot that is not an admin receives."""
        if chat["type"] == "private":
            return True
        status = self.status(chat, self.bot_id)
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
            segment = u16_slice(text, entity["offset"], entity["length"])
            if entity["type"] == "bot_command":
                target = segment.partition("@")[2].lower()
                if not target or target == username:
                    return True
            elif entity["type"] == "mention" and segment[1:].lower() == username:
                return True
        return False
