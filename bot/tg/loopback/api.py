""":class:`LoopbackBotAPI`: the server's lifecycle and everything the test side does with it.

The test side registers users and chats, injects their activity as updates, observes what the
bot did, injects faults and waits for the bot to react. Every method takes the state lock, so
any thread (pytest, an asyncio loop, a console reading stdin) may call it.
"""

import asyncio
import copy
import logging
import secrets
import time
from collections.abc import Callable
from typing import TypeVar

from .dispatch import Dispatcher, Listener
from .entities import detect_entities
from .faults import Faults
from .protocol import ANONYMOUS_ADMIN, CHANNEL_SENDER, DEFAULT_TOKEN, MEMBER_STATUSES, JSONDict
from .server import LoopbackServer
from .state import ChatRef, State, UserRef

log = logging.getLogger(__name__)

T = TypeVar("T")


def _text_content(text: str, entities: list[JSONDict] | None = None) -> JSONDict:
    """A text message's content: the text and its entities, by default those Telegram
    detects (bot_command incl. ``/cmd@bot``, mention, url, email, hashtag)."""
    content: JSONDict = {"text": text}
    found = entities if entities is not None else detect_entities(text)
    if found:
        content["entities"] = copy.deepcopy(found)
    return content
HOST = "127.0.0.1"


class LoopbackBotAPI:
    """A fake Telegram Bot API server on 127.0.0.1 that the real PTB Application talks to.

    Use as a (sync or async) context manager, or call :meth:`start` / :meth:`stop`.
    """

    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_username: str = "faq_test_bot",
                 bot_first_name: str = "FAQ Test Bot", privacy_mode: bool = True) -> None:
        """`privacy_mode` mirrors BotFather's setting: in groups the bot then receives only
        commands, mentions of it, replies to it and service messages (unless it is an admin).
        The bot's id is the token's numeric prefix, as on Telegram.
        """
        self.token = token
        prefix = token.partition(":")[0]
        self._state = State(bot_id=int(prefix) if prefix.isdigit() else 1_000_001,
                            bot_username=bot_username, bot_first_name=bot_first_name,
                            privacy_mode=privacy_mode)
        self._cond = self._state.cond
        self._faults = Faults()
        self._listeners: list[Listener] = []
        self._server: LoopbackServer | None = None

    @property
    def bot_id(self) -> int:
        return self._state.bot_id

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> "LoopbackBotAPI":
        """Bind an ephemeral port and serve in a daemon thread."""
        if self._server is not None:
            return self
        with self._cond:
            self._state.closing = False
        dispatcher = Dispatcher(self.token, self._state, self._faults, self._listeners)
        self._server = LoopbackServer((HOST, 0), dispatcher)
        self._server.start()
        log.debug("loopback Bot API listening on %s:%s", HOST, self.port)
        return self

    def stop(self) -> None:
        """Stop serving: wake long polls, close the socket and every open connection."""
        server = self._server
        if server is None:
            return
        with self._cond:
            self._state.closing = True
            self._cond.notify_all()
        server.close()
        self._server = None

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
        return self._server.port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)``."""
        return f"http://{HOST}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)`` / ``Bot(base_file_url=...)``."""
        return f"http://{HOST}:{self.port}/file/bot"

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
            self._state.users[id] = user
        return copy.deepcopy(user)

    def private_chat(self, user: UserRef) -> JSONDict:
        """Register the private chat with `user` (the user has pressed Start) and return it."""
        with self._cond:
            person = self._state.user_of(user)
            chat: JSONDict = {"id": person["id"], "type": "private",
                              "first_name": person["first_name"]}
            for key in ("last_name", "username"):
                if key in person:
                    chat[key] = person[key]
            self._state.chats[chat["id"]] = chat
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
            self._state.chats[id] = chat
            self._state.members[(id, self.bot_id)] = bot_status
        return copy.deepcopy(chat)

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Set what getChatMember reports for `user_id` in `chat_id` (no update is sent)."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}; expected one of {MEMBER_STATUSES}")
        with self._cond:
            self._state.members[(chat_id, user_id)] = status
            self._cond.notify_all()

    def block_bot(self, user: UserRef, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sends answer 403, a my_chat_member is queued."""
        with self._cond:
            state = self._state
            person = state.user_of(user)
            chat = state.chats.get(person["id"])
            if chat is None:
                raise ValueError("the user has no private chat with the bot")
            if (person["id"] in state.blocked) == blocked:
                return
            if blocked:
                state.blocked.add(person["id"])
            else:
                state.blocked.discard(person["id"])
            old, new = ("member", "kicked") if blocked else ("kicked", "member")
            state.queue_member_update(chat, person, old, new)

    def add_to_group(self, chat: ChatRef, by_user: UserRef) -> JSONDict:
        """`by_user` adds the bot to `chat`: queues my_chat_member and the service message."""
        with self._cond:
            state = self._state
            group = state.chat_of(chat)
            person = state.user_of(by_user)
            old = state.members.get((group["id"], self.bot_id), "left")
            if old not in ("left", "kicked"):
                old = "left"
            state.members[(group["id"], self.bot_id)] = "member"
            state.members.setdefault((group["id"], person["id"]), "member")
            update = state.queue_member_update(group, person, old, "member")
            if group["type"] != "channel":
                state.user_message(group, person, {"new_chat_members": [state.bot_user()]})
            return copy.deepcopy(update or {})

    def add_file(self, file_id: str, content: bytes, file_path: str) -> JSONDict:
        """Make a file available to getFile and to download at ``<base_file_url><token>/path``."""
        with self._cond:
            return self._state.file_info(self._state.register_file(content, file_path, file_id))

    def file_content(self, file_id: str) -> bytes:
        """The bytes of a stored file, e.g. a document the bot uploaded."""
        with self._cond:
            return self._state.files[file_id]["content"]

    # ---- test side: user activity ----------------------------------------------------------

    def send_text(self, chat: ChatRef, user: UserRef, text: str, *,
                  reply_to: JSONDict | int | None = None,
                  entities: list[JSONDict] | None = None) -> JSONDict:
        """`user` writes `text` in `chat`; returns the Message (queued if the bot may see it).

        Entities default to what Telegram detects: bot_command (incl. ``/cmd@bot``), mention,
        url, email, hashtag.
        """
        content = _text_content(text, entities)
        with self._cond:
            state = self._state
            return state.user_message(state.chat_of(chat), state.user_of(user), content,
                                      reply_to)

    def send_on_behalf(self, chat: ChatRef, sender_chat: ChatRef, text: str) -> JSONDict:
        """`text` written in `chat` on behalf of `sender_chat`: by an anonymous admin when it
        is `chat` itself, else by a channel (its post in a linked discussion group, or a
        user posting as it). Telegram gives all such messages one shared sender, the service
        user GroupAnonymousBot or Channel_Bot, and names the chat in `sender_chat`."""
        content = _text_content(text)
        with self._cond:
            state = self._state
            where, sender = state.chat_of(chat), state.chat_of(sender_chat)
            service = ANONYMOUS_ADMIN if sender["id"] == where["id"] else CHANNEL_SENDER
            content["sender_chat"] = copy.deepcopy(sender)
            return state.user_message(where, state.user_of(service), content)

    def send_sticker(self, chat: ChatRef, user: UserRef, *, emoji: str = "👍",
                     reply_to: JSONDict | int | None = None) -> JSONDict:
        """`user` sends a sticker in `chat`."""
        with self._cond:
            state = self._state
            record = state.register_file(b"RIFF\x00\x00\x00\x00WEBP",
                                         f"stickers/file_{state.file_counter}.webp")
            sticker = {"file_id": record["file_id"], "file_unique_id": record["file_unique_id"],
                       "type": "regular", "width": 512, "height": 512, "is_animated": False,
                       "is_video": False, "emoji": emoji, "file_size": record["file_size"]}
            return state.user_message(state.chat_of(chat), state.user_of(user),
                                      {"sticker": sticker}, reply_to)

    def send_photo(self, chat: ChatRef, user: UserRef, caption: str | None = None, *,
                   content: bytes = b"\xff\xd8\xff\xe0loopback-jpeg\xff\xd9",
                   reply_to: JSONDict | int | None = None) -> JSONDict:
        """`user` sends a photo (downloadable through getFile) with an optional caption."""
        with self._cond:
            state = self._state
            record = state.register_file(content, f"photos/file_{state.file_counter}.jpg")
            sizes = [{"file_id": record["file_id"] + suffix,
                      "file_unique_id": record["file_unique_id"] + suffix,
                      "width": width, "height": height, "file_size": record["file_size"]}
                     for suffix, width, height in (("s", 90, 67), ("m", 320, 240), ("", 800, 600))]
            for size in sizes[:-1]:
                state.files[size["file_id"]] = {**record, "file_id": size["file_id"]}
            message: JSONDict = {"photo": sizes}
            if caption:
                message["caption"] = caption
                found = detect_entities(caption)
                if found:
                    message["caption_entities"] = found
            return state.user_message(state.chat_of(chat), state.user_of(user), message,
                                      reply_to)

    def edit_text(self, message: JSONDict, new_text: str) -> JSONDict:
        """The author edits their text message: queues an edited_message update."""
        with self._cond:
            state = self._state
            key = (message["chat"]["id"], message["message_id"])
            stored = state.messages.get(key)
            if stored is None or key in state.deleted or "text" not in stored:
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
            if state.visible_to_bot(state.chats[key[0]], stored):
                state.queue_update("edited_message", stored)
            return copy.deepcopy(stored)

    def press(self, message: JSONDict, data: str, user: UserRef, *,
              inaccessible: bool = False, forged: bool = False) -> str:
        """`user` presses the inline button with `data` on a bot message; returns the query id.

        `inaccessible` sends the message as Telegram does for one older than 48 hours: only
        its chat, id and a zero date. `forged` sends `data` whatever the message's buttons
        carry, as a modified client can (Telegram does not check it).
        """
        with self._cond:
            state = self._state
            key = (message["chat"]["id"], message["message_id"])
            stored = state.live(*key)
            if stored is None or stored["from"]["id"] != self.bot_id:
                raise ValueError("no such bot message")
            buttons = [button for row in stored.get("reply_markup", {}).get("inline_keyboard", [])
                       for button in row]
            if not forged and not any(button.get("callback_data") == data
                                      for button in buttons):
                raise ValueError(f"the message has no button with callback_data {data!r}")
            query_id = str(secrets.randbits(62))
            shown = ({"chat": copy.deepcopy(stored["chat"]), "message_id": key[1], "date": 0}
                     if inaccessible else copy.deepcopy(stored))
            query = {"id": query_id, "from": copy.deepcopy(state.user_of(user)),
                     "message": shown,
                     "chat_instance": str((key[0] * 7_919 + self.bot_id) % 10**19), "data": data}
            state.callback_queries[query_id] = {"answered": False, "query": query}
            state.queue_update("callback_query", query)
            return query_id

    # ---- test side: observation ------------------------------------------------------------

    def sent(self, chat_id: int | None = None, *, include_deleted: bool = False) -> list[JSONDict]:
        """Messages the bot sent (current state: edits applied), oldest first."""
        with self._cond:
            state = self._state
            return [copy.deepcopy(state.messages[key]) for key in state.bot_messages
                    if (chat_id is None or key[0] == chat_id)
                    and (include_deleted or key not in state.deleted)]

    def calls(self, method: str | None = None) -> list[tuple[str, JSONDict]]:
        """(method, params) of every request with the right token, failed ones included."""
        with self._cond:
            wanted = method.lower() if method else None
            return [(name, copy.deepcopy(params)) for name, params in self._state.calls
                    if wanted is None or name.lower() == wanted]

    def errors(self) -> list[tuple[str, int, str]]:
        """(method, error_code, description) of every request that was answered with an error."""
        with self._cond:
            return list(self._state.errors)

    def updates(self) -> list[JSONDict]:
        """Every update that was queued for the bot, oldest first."""
        with self._cond:
            return copy.deepcopy(self._state.update_log)

    @property
    def callback_answers(self) -> list[JSONDict]:
        """answerCallbackQuery calls that succeeded: callback_query_id, text, show_alert, ..."""
        with self._cond:
            return copy.deepcopy(self._state.callback_answers)

    @property
    def chat_actions(self) -> list[tuple[int, str]]:
        """(chat_id, action) of every sendChatAction that succeeded."""
        with self._cond:
            return list(self._state.chat_actions)

    def commands(self, scope: JSONDict | str | None = None,
                 language_code: str | None = None) -> list[JSONDict]:
        """The command list stored for exactly this scope (default: default) and language."""
        with self._cond:
            key = (self._state.scope_key(scope), language_code or "")
            return copy.deepcopy(self._state.commands.get(key, []))

    def subscribe(self, listener: Listener) -> Callable[[], None]:
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
        with self._cond:
            self._faults.fail(method, error_code, description, times, retry_after)

    def clear_failures(self) -> None:
        """Forget every pending injected failure."""
        with self._cond:
            self._faults.clear()

    def flood_limit(self, per_chat_per_second: float | None = None,
                    global_per_second: float | None = None) -> None:
        """Answer 429 "Too Many Requests: retry after N" to message-posting methods above these
        rates (sliding one-second window); None disables a limit."""
        with self._cond:
            self._faults.flood_limit(per_chat_per_second, global_per_second)

    # ---- waiting -----------------------------------------------------------------------------

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

    def is_idle(self, quiet: float = 0.2) -> bool:
        """Every queued update was fetched, no request is being served, and nothing happened
        for `quiet` seconds: the bot has finished reacting."""
        with self._cond:
            state = self._state
            fetched = not state.updates or state.updates[-1]["update_id"] <= state.delivered_upto
            return (fetched and state.inflight == 0
                    and time.monotonic() - state.last_activity >= quiet)

    async def wait_idle(self, timeout: float = 5.0, quiet: float = 0.2) -> None:
        """Await :meth:`is_idle`; use before asserting that the bot did *not* answer."""
        await self.wait_for(lambda: self.is_idle(quiet), timeout)

    def _summary(self) -> str:
        state = self._state
        recent = [name for name, _ in state.calls[-8:]]
        return (f"{len(state.bot_messages)} bot message(s), {len(state.updates)} unconfirmed "
                f"update(s), recent calls {recent}, recent errors {state.errors[-3:]}")
