"""The loopback Bot API server, exercised over real HTTP: raw requests, PTB's Bot, and a
running PTB Application. No mocks: if these pass, the server speaks the Bot API."""

import datetime as dt
import json
import threading
import time
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.tg.loopback import LoopbackBotAPI

TOKEN = "123456789:AAHloopback_test_token_0123456789abc"


@pytest.fixture
def api() -> Any:
    with LoopbackBotAPI(TOKEN, bot_username="faq_test_bot") as server:
        yield server


@pytest.fixture
def alice(api: LoopbackBotAPI) -> dict:
    return api.user(1001, "Alice", "en", "alice_fan")


@pytest.fixture
def chat(api: LoopbackBotAPI, alice: dict) -> dict:
    return api.private_chat(alice)


_http = httpx.Client(timeout=10)  # one client: building an SSL context per call is slow


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Any:
    yield
    _http.close()


def call(api: LoopbackBotAPI, method: str, *, token: str = TOKEN, verb: str = "POST",
         **kwargs: Any) -> httpx.Response:
    """One raw Bot API request."""
    return _http.request(verb, f"{api.base_url}{token}/{method}", **kwargs)


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["ok"] is False
    assert body["error_code"] == response.status_code
    return body["error_code"], body["description"]


# ---- envelope, URL scheme, request encodings ------------------------------------------------


def test_get_me_case_insensitive_get(api: LoopbackBotAPI) -> None:
    response = call(api, "GETME", verb="GET")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "result": {
        "id": 123456789, "is_bot": True, "first_name": "FAQ Test Bot",
        "username": "faq_test_bot", "can_join_groups": True,
        "can_read_all_group_messages": False, "supports_inline_queries": False,
        "can_connect_to_business": False, "has_main_web_app": False}}


def test_wrong_token_unknown_method_and_malformed_token(api: LoopbackBotAPI) -> None:
    assert error_of(call(api, "getMe", token="987654321:AAwrong_token")) == (401, "Unauthorized")
    assert error_of(call(api, "sendPigeon")) == (404, "Not Found")
    assert error_of(call(api, "getMe", token="not-a-token")) == (404, "Not Found")
    assert api.calls("sendPigeon") == [("sendPigeon", {})]


def test_json_form_multipart_and_query_bodies(api: LoopbackBotAPI, chat: dict) -> None:
    markup = {"inline_keyboard": [[{"text": "More", "callback_data": "more:1"}]]}
    as_json = call(api, "sendMessage", json={"chat_id": chat["id"], "text": "json",
                                             "reply_markup": markup})
    as_form = call(api, "sendMessage", data={"chat_id": str(chat["id"]), "text": "form",
                                             "reply_markup": json.dumps(markup),
                                             "disable_notification": "true"})
    as_query = call(api, "sendmessage", verb="GET",
                    params={"chat_id": chat["id"], "text": "query"})
    as_multipart = call(api, "sendDocument",
                        data={"chat_id": str(chat["id"]), "caption": "<b>notes</b>",
                              "parse_mode": "HTML"},
                        files={"document": ("notes.txt", b"\x00\xffline\r\n", "text/plain")})
    for response in (as_json, as_form, as_query, as_multipart):
        assert response.status_code == 200, response.text
    assert as_json.json()["result"]["reply_markup"] == markup
    assert as_form.json()["result"]["reply_markup"] == markup
    assert api.calls("sendMessage")[1][1]["disable_notification"] is True
    document = as_multipart.json()["result"]["document"]
    assert document["file_name"] == "notes.txt"
    assert as_multipart.json()["result"]["caption_entities"] == [
        {"type": "bold", "offset": 0, "length": 5}]
    assert api.file_content(document["file_id"]) == b"\x00\xffline\r\n"
    assert [m.get("text") for m in api.sent(chat["id"])] == ["json", "form", "query", None]


def test_chat_id_as_username(api: LoopbackBotAPI) -> None:
    group = api.group(-100777, "Readers", username="readers_club")
    response = call(api, "sendMessage", data={"chat_id": "@readers_club", "text": "hi"})
    assert response.json()["result"]["chat"] == group
    assert error_of(call(api, "sendMessage", data={"chat_id": "@nobody_here", "text": "hi"})) \
        == (400, "Bad Request: chat not found")


@pytest.mark.parametrize(("params", "description"), [
    ({"text": "<b>bold"}, "Bad Request: can't parse entities: Can't find end tag corresponding "
                          'to start tag "b"'),
    ({"text": "<p>x</p>"}, "Bad Request: can't parse entities: Unsupported start tag \"p\" at "
                           "byte offset 0"),
    ({"text": "<b>x</i>"}, "Bad Request: can't parse entities: Unmatched end tag at byte "
                           'offset 4, expected "</b>", found "</i>"'),
    ({"text": "<span>x</span>"}, "Bad Request: can't parse entities: Tag \"span\" must have "
                                 'class "tg-spoiler" at byte offset 0'),
    ({"text": "x < y"}, "Bad Request: can't parse entities: Unsupported start tag \"\" at byte "
                        "offset 2"),
    ({"text": "   \n "}, "Bad Request: message text is empty"),
    ({"text": "<b></b>"}, "Bad Request: message text is empty"),
    ({"text": "x" * 4097}, "Bad Request: message is too long"),
    ({"text": "hi", "parse_mode": "BBCode"}, "Bad Request: unsupported parse_mode"),
    ({"text": "hi", "reply_markup": json.dumps(
        {"inline_keyboard": [[{"text": "x", "callback_data": "é" * 33}]]})},
     "Bad Request: BUTTON_DATA_INVALID"),
    ({"text": "hi", "reply_markup": json.dumps({"inline_keyboard": [[{"text": "x"}]]})},
     "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
     "inline keyboard"),
    ({"text": "hi", "reply_parameters": json.dumps({"message_id": 999})},
     "Bad Request: message to be replied not found"),
])
def test_send_message_bad_requests(api: LoopbackBotAPI, chat: dict, params: dict,
                                   description: str) -> None:
    data = {"chat_id": chat["id"], "parse_mode": "HTML", **params}
    assert error_of(call(api, "sendMessage", data=data)) == (400, description)
    assert api.sent() == []


def test_strict_html_flags_bare_ampersand_and_limits_count_characters(
        api: LoopbackBotAPI, chat: dict) -> None:
    code, description = error_of(call(api, "sendMessage", data={
        "chat_id": chat["id"], "text": "Q&A", "parse_mode": "HTML"}))
    assert (code, description.split(" at ")[0]) == (
        400, "Bad Request: can't parse entities: Unescaped \"&\"")
    ok = call(api, "sendMessage", data={"chat_id": chat["id"], "parse_mode": "HTML",
                                        "text": "Q&amp;A &#x1F600; " + "ب" * 4000})
    assert ok.json()["result"]["text"].startswith("Q&A 😀 ")


def test_unknown_chat_blocked_user_and_foreign_user(api: LoopbackBotAPI, chat: dict,
                                                    alice: dict) -> None:
    assert error_of(call(api, "sendMessage", data={"chat_id": 4242, "text": "x"})) \
        == (400, "Bad Request: chat not found")
    api.user(2002, "Bob")
    assert error_of(call(api, "sendMessage", data={"chat_id": 2002, "text": "x"})) \
        == (403, "Forbidden: bot can't initiate conversation with a user")
    api.block_bot(alice)
    assert error_of(call(api, "sendMessage", data={"chat_id": chat["id"], "text": "x"})) \
        == (403, "Forbidden: bot was blocked by the user")
    update = api.updates()[-1]["my_chat_member"]
    assert (update["old_chat_member"]["status"], update["new_chat_member"]["status"]) \
        == ("member", "kicked")


# ---- getUpdates -----------------------------------------------------------------------------


def test_get_updates_offset_semantics(api: LoopbackBotAPI, chat: dict, alice: dict) -> None:
    for text in ("one", "two", "three"):
        api.send_text(chat, alice, text)

    def poll(**params: Any) -> list[dict]:
        response = call(api, "getUpdates", json=params)
        assert response.status_code == 200
        return response.json()["result"]

    first = poll()
    ids = [update["update_id"] for update in first]
    assert [u["message"]["text"] for u in first] == ["one", "two", "three"]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]
    assert poll() == first  # nothing is confirmed without an offset
    assert [u["update_id"] for u in poll(offset=ids[1])] == ids[1:]
    assert [u["update_id"] for u in poll()] == ids[1:]  # the first one is forgotten
    assert [u["update_id"] for u in poll(limit=1)] == ids[1:2]
    api.send_text(chat, alice, "four")
    assert [u["message"]["text"] for u in poll(offset=-1)] == ["four"]
    assert poll(offset=ids[2] + 2) == []
    assert call(api, "getWebhookInfo").json()["result"]["pending_update_count"] == 0


def test_long_poll_wakes_on_injection_and_times_out_empty(api: LoopbackBotAPI, chat: dict,
                                                          alice: dict) -> None:
    started = time.monotonic()
    assert call(api, "getUpdates", data={"timeout": "0.3"}).json() == {"ok": True, "result": []}
    assert time.monotonic() - started >= 0.3

    threading.Timer(0.2, api.send_text, (chat, alice, "wake up")).start()
    started = time.monotonic()
    result = call(api, "getUpdates", data={"timeout": "5"}).json()["result"]
    assert time.monotonic() - started < 2
    assert [u["message"]["text"] for u in result] == ["wake up"]


def test_newer_poll_terminates_older_one(api: LoopbackBotAPI) -> None:
    responses: list[httpx.Response] = []
    older = threading.Thread(target=lambda: responses.append(
        call(api, "getUpdates", data={"timeout": 5})))
    older.start()
    time.sleep(0.2)
    assert call(api, "getUpdates", data={"timeout": 0}).json()["result"] == []
    older.join(timeout=3)
    assert error_of(responses[0]) == (409, "Conflict: terminated by other getUpdates request; "
                                           "make sure that only one bot instance is running")


def test_webhook_blocks_get_updates(api: LoopbackBotAPI) -> None:
    assert call(api, "setWebhook", data={"url": "http://insecure.example"}).status_code == 400
    assert call(api, "setWebhook", data={"url": "https://bot.example/hook"}).json() == {
        "ok": True, "result": True, "description": "Webhook was set"}
    assert error_of(call(api, "getUpdates"))[0] == 409
    assert call(api, "deleteWebhook").json()["description"] == "Webhook was deleted"
    assert call(api, "deleteWebhook").json()["description"] == "Webhook is already deleted"
    assert call(api, "getUpdates").json()["result"] == []


# ---- groups ---------------------------------------------------------------------------------


def test_privacy_mode_filters_group_messages(api: LoopbackBotAPI, alice: dict) -> None:
    group = api.group(-100123, "Book club")
    api.send_text(group, alice, "just chatting")
    api.send_text(group, alice, "/help@other_bot")
    api.send_text(group, alice, "/help@faq_test_bot")
    api.send_text(group, alice, "hey @faq_test_bot, who is the hero?")
    sent = call(api, "sendMessage", data={"chat_id": group["id"], "text": "Ask me"}).json()
    api.send_text(group, alice, "a reply to the bot", reply_to=sent["result"])
    seen = [u["message"]["text"] for u in api.updates()]
    assert seen == ["/help@faq_test_bot", "hey @faq_test_bot, who is the hero?",
                    "a reply to the bot"]
    api.set_member_status(group["id"], api.bot_id, "administrator")
    api.send_text(group, alice, "admins see everything")
    assert api.updates()[-1]["message"]["text"] == "admins see everything"
    command = api.updates()[0]["message"]["entities"]
    assert command == [{"type": "bot_command", "offset": 0, "length": 18}]


def test_bot_outside_group_is_forbidden(api: LoopbackBotAPI) -> None:
    group = api.group(-100999, "Elsewhere", bot_status="left")
    assert error_of(call(api, "sendMessage", data={"chat_id": group["id"], "text": "x"})) \
        == (403, "Forbidden: bot is not a member of the supergroup chat")


# ---- flood control and injected failures ----------------------------------------------------


def test_flood_limit_answers_429_with_retry_after(api: LoopbackBotAPI, chat: dict) -> None:
    api.flood_limit(per_chat_per_second=1)
    assert call(api, "sendMessage", data={"chat_id": chat["id"], "text": "1"}).status_code == 200
    response = call(api, "sendMessage", data={"chat_id": chat["id"], "text": "2"})
    assert response.status_code == 429
    assert response.json() == {"ok": False, "error_code": 429,
                               "description": "Too Many Requests: retry after 1",
                               "parameters": {"retry_after": 1}}
    api.flood_limit()
    assert call(api, "sendMessage", data={"chat_id": chat["id"], "text": "3"}).status_code == 200


def test_injected_failure_counts_down(api: LoopbackBotAPI) -> None:
    api.fail("getMe", 502, times=2)
    assert [call(api, "getMe").status_code for _ in range(3)] == [502, 502, 200]
    assert api.errors() == [("getMe", 502, "Bad Gateway")] * 2


# ---- python-telegram-bot's Bot --------------------------------------------------------------


def ptb_bot(api: LoopbackBotAPI) -> Bot:
    return Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url)


async def test_ptb_bot_round_trip(api: LoopbackBotAPI, chat: dict, alice: dict) -> None:
    async with ptb_bot(api) as bot:
        me = await bot.get_me()
        assert (me.username, me.is_bot, me.can_read_all_group_messages) == \
            ("faq_test_bot", True, False)

        keyboard = InlineKeyboardMarkup([[
            InlineKeyboardButton("Tell me more", callback_data="more:7"),
            InlineKeyboardButton("Source", url="https://example.org"),
        ]])
        message = await bot.send_message(chat["id"], "<b>Answer</b> &lt;1&gt; see /help",
                                         parse_mode=ParseMode.HTML, reply_markup=keyboard)
        assert message.text == "Answer <1> see /help"
        assert [(e.type, e.offset, e.length) for e in message.entities] == [
            ("bold", 0, 6), ("bot_command", 15, 5)]
        assert message.reply_markup == keyboard
        assert message.from_user.id == bot.id

        query_id = api.press(api.sent(chat["id"])[0], "more:7", alice)
        updates = await bot.get_updates(timeout=0)
        query = updates[-1].callback_query
        assert (query.id, query.data, query.from_user.id) == (query_id, "more:7", 1001)
        assert query.message.message_id == message.message_id
        assert await query.answer("Loading…")
        assert api.callback_answers == [{"callback_query_id": query_id, "text": "Loading…",
                                         "show_alert": False, "cache_time": 0}]
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await query.answer()

        edited = await bot.edit_message_text("<i>Longer answer</i>", chat["id"],
                                             message.message_id, parse_mode=ParseMode.HTML,
                                             reply_markup=keyboard)
        assert (edited.text, edited.edit_date is not None) == ("Longer answer", True)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text("<i>Longer answer</i>", chat["id"], message.message_id,
                                        parse_mode=ParseMode.HTML, reply_markup=keyboard)
        await bot.edit_message_text("Plain", chat["id"], message.message_id)
        assert "reply_markup" not in api.sent(chat["id"])[0]  # no markup given: keyboard gone

        reply = await bot.send_message(chat["id"], "Re", reply_to_message_id=message.message_id)
        assert reply.reply_to_message.text == "Plain"
        assert await bot.send_chat_action(chat["id"], "typing")
        assert api.chat_actions == [(chat["id"], "typing")]
        assert await bot.delete_message(chat["id"], reply.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
            await bot.delete_message(chat["id"], reply.message_id)


async def test_ptb_commands_per_scope_and_language(api: LoopbackBotAPI) -> None:
    group = api.group(-100500, "Study group")
    async with ptb_bot(api) as bot:
        await bot.set_my_commands([BotCommand("ask", "Ask a question")])
        await bot.set_my_commands([BotCommand("ask", "اطرح سؤالاً")], language_code="ar")
        await bot.set_my_commands([BotCommand("help", "Help")],
                                  scope=BotCommandScopeAllGroupChats(), language_code="en")
        await bot.set_my_commands([BotCommand("summary", "Summary")],
                                  scope=BotCommandScopeChat(group["id"]))
        assert [c.command for c in await bot.get_my_commands()] == ["ask"]
        assert (await bot.get_my_commands(language_code="ar"))[0].description == "اطرح سؤالاً"
        assert await bot.get_my_commands(scope=BotCommandScopeAllGroupChats()) == ()
        with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
            await bot.set_my_commands([BotCommand("Ask-Me", "x")])
        assert await bot.delete_my_commands(language_code="ar")
    assert api.commands(language_code="ar") == []
    assert api.commands("all_group_chats", "en") == [{"command": "help", "description": "Help"}]
    assert api.commands({"type": "chat", "chat_id": group["id"]}) == [
        {"command": "summary", "description": "Summary"}]


async def test_ptb_files(api: LoopbackBotAPI, chat: dict) -> None:
    api.add_file("FILE-1", "مرحبا".encode() + b"\x00\xff", "documents/ملف 1.txt")
    async with ptb_bot(api) as bot:
        file = await bot.get_file("FILE-1")
        assert file.file_size == 12
        assert bytes(await file.download_as_bytearray()) == "مرحبا".encode() + b"\x00\xff"
        with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
            await bot.get_file("nope")
        sent = await bot.send_document(chat["id"], b"%PDF-1.4 loopback", filename="faq.pdf",
                                       caption="The FAQ")
        downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
        assert bytes(downloaded) == b"%PDF-1.4 loopback"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_errors_are_typed(api: LoopbackBotAPI, chat: dict) -> None:
    async with ptb_bot(api) as bot:
        api.fail("sendMessage", 429, retry_after=3)
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(chat["id"], "hi")
        assert caught.value.retry_after in (3, dt.timedelta(seconds=3))
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(chat["id"], "<b>open", parse_mode=ParseMode.HTML)
        api.fail("sendMessage", 403, times=None)
        for _ in range(2):
            with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
                await bot.send_message(chat["id"], "hi")
        api.clear_failures()
        assert (await bot.send_message(chat["id"], "hi")).text == "hi"


async def test_ptb_parses_every_injected_update(api: LoopbackBotAPI, chat: dict,
                                                alice: dict) -> None:
    group = api.group(-100321, "Fans", bot_status="left")
    bob = api.user(2002, "Bob", "ar")
    api.set_member_status(group["id"], bob["id"], "creator")
    api.add_to_group(group, bob)
    api.send_sticker(chat, alice)
    api.send_photo(chat, alice, caption="look #spoilers")
    original = api.send_text(chat, alice, "typo")
    api.edit_text(original, "fixed")
    async with ptb_bot(api) as bot:
        updates = await bot.get_updates(timeout=0)
        assert all(isinstance(update, Update) for update in updates)
        joined = updates[0].my_chat_member
        assert (joined.old_chat_member.status, joined.new_chat_member.status) == ("left", "member")
        assert updates[1].message.new_chat_members[0].id == bot.id
        assert updates[2].message.sticker.emoji == "👍"
        photo = updates[3].message
        assert photo.caption_entities[0].type == "hashtag"
        assert await (await photo.photo[-1].get_file()).download_as_bytearray()
        assert updates[5].edited_message.text == "fixed"
        assert updates[5].edited_message.message_id == updates[4].message.message_id

        info = await bot.get_chat(group["id"])
        assert isinstance(info, ChatFullInfo) and info.title == "Fans"
        assert isinstance(await bot.get_chat_member(group["id"], bob["id"]), ChatMemberOwner)
        assert (await bot.get_chat_member(group["id"], alice["id"])).status == "left"
        api.set_member_status(group["id"], bot.id, "administrator")
        admins = await bot.get_chat_administrators(group["id"])
        assert {type(a) for a in admins} == {ChatMemberOwner, ChatMemberAdministrator}


# ---- a real Application ---------------------------------------------------------------------


async def test_application_echo_round_trip(api: LoopbackBotAPI, chat: dict, alice: dict) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(f"echo: <b>{update.message.text}</b>",
                                                  parse_mode=ParseMode.HTML, do_quote=True)

    app = (ApplicationBuilder().token(TOKEN).base_url(api.base_url)
           .base_file_url(api.base_file_url).build())
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            asked = api.send_text(chat, alice, "who wrote it?")
            [answer] = await api.wait_for_sent(chat["id"], count=1, timeout=5)
            assert answer["text"] == "echo: who wrote it?"
            assert answer["entities"] == [{"type": "bold", "offset": 6, "length": 13}]
            assert answer["reply_to_message"]["message_id"] == asked["message_id"]
            api.send_text(chat, alice, "/start")  # filtered out by ~filters.COMMAND
            await api.wait_idle(timeout=5, quiet=0.1)
            assert len(api.sent(chat["id"])) == 1
        finally:
            await app.updater.stop()
            await app.stop()
    assert api.errors() == []
