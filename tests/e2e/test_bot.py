"""The real bot over HTTP: python-telegram-bot's Application with every handler, polling a
Bot API server on 127.0.0.1. Each test is a conversation a person could have."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.answering import Answerer, Asker
from bot.i18n.formatting import format_day
from bot.tg.app import build_application, forget_old_questions_daily, protect_logs
from bot.tg.loopback import LoopbackBotAPI

TOKEN = "424242:e2e-secret-token-value"
RLM = "\u200f"
LRM = "\u200e"
ADMIN = 505  # the one id of FAQBOT_ADMINS


class Chat:
    """One user in one chat, with helpers to talk and to read the bot's replies."""

    def __init__(self, api: LoopbackBotAPI, chat: dict, user: dict) -> None:
        self.api, self.chat, self.user = api, chat, user

    async def say(self, text: str, **kwargs: Any) -> dict:
        """Send `text` and return the bot's first new message."""
        before = len(self.api.sent(self.chat["id"]))
        self.api.send_text(self.chat, self.user, text, **kwargs)
        sent = await self.api.wait_for_sent(self.chat["id"], count=before + 1)
        return sent[before]

    async def say_nothing_back(self, text: str) -> None:
        """Send `text` and check the bot stays silent."""
        before = len(self.api.sent(self.chat["id"]))
        self.api.send_text(self.chat, self.user, text)
        await self.api.wait_idle(timeout=5, quiet=0.3)
        assert len(self.api.sent(self.chat["id"])) == before

    async def press(self, message: dict, data: str, *, inaccessible: bool = False) -> dict:
        before = len(self.api.sent(self.chat["id"]))
        self.api.press(message, data, self.user, inaccessible=inaccessible)
        sent = await self.api.wait_for_sent(self.chat["id"], count=before + 1)
        return sent[before]


@pytest.fixture
async def api() -> AsyncIterator[LoopbackBotAPI]:
    async with LoopbackBotAPI(TOKEN, bot_username="faq_test_bot", privacy_mode=False) as server:
        # The admin has started the bot, so that their command menu can be set.
        server.private_chat(server.user(ADMIN, "ليلى", language_code="ar"))
        yield server


@asynccontextmanager
async def polling(api: LoopbackBotAPI, db) -> AsyncIterator[Any]:
    """The bot's Application over `db`, polling `api` as `faqbot run` does."""
    application = build_application(token=TOKEN, base_url=api.base_url,
                                    base_file_url=api.base_file_url, db=db,
                                    answerer=Answerer(db), admins=frozenset({ADMIN}))
    async with application:
        await application.post_init(application)  # as run_polling() does
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        yield application
        await application.updater.stop()
        await application.stop()


@pytest.fixture
async def bot(api: LoopbackBotAPI, fresh_db) -> AsyncIterator[Any]:
    async with polling(api, fresh_db) as application:
        yield application


@pytest.fixture
def arabic(api: LoopbackBotAPI, bot: Any) -> Chat:
    user = api.user(501, "سارة", language_code="ar")
    return Chat(api, api.private_chat(user), user)


@pytest.fixture
def english(api: LoopbackBotAPI, bot: Any) -> Chat:
    user = api.user(502, "Sam", language_code="en")
    return Chat(api, api.private_chat(user), user)


@pytest.fixture
def group(api: LoopbackBotAPI, bot: Any) -> Chat:
    user = api.user(503, "Omar", language_code="ar")
    return Chat(api, api.group(-100777, "Miners chat"), user)


async def test_private_arabic_question(arabic: Chat) -> None:
    reply = await arabic.say("كم جيجاواط تخطط شركات التعدين للذكاء الاصطناعي؟")
    assert reply["text"] == (
        f"{RLM}تخطط شركات تعدين البيتكوين العامة لإنشاء قدرة طاقة جديدة تصل إلى 30 غيغا واط "
        "مخصصة لأحمال عمل الذكاء الاصطناعي."
    )
    assert "reply_to_message" not in reply


async def test_private_english_question(english: Chat) -> None:
    reply = await english.say("how much did hive digital earn last quarter")
    assert reply["text"] == (
        "HIVE Digital's sales reached 93.1 million US dollars in its latest quarter, a record."
    )


async def test_arabic_indic_digits_by_choice(arabic: Chat) -> None:
    await arabic.say("/digits arab")
    reply = await arabic.say("بكم ارتفعت ايرادات هايف؟")
    assert reply["text"] == (f"{RLM}ارتفعت مبيعات HIVE Digital{RLM} في الربع الأخير بنسبة ٢١٩٪؜ "
                             "على أساس سنوي، لتبلغ ٩٣٫١ مليون دولار أمريكي.")


async def test_egyptian_locale_gets_arabic_indic_digits(api: LoopbackBotAPI, bot: Any) -> None:
    user = api.user(504, "منى", language_code="ar-EG")
    chat = Chat(api, api.private_chat(user), user)
    reply = await chat.say("متى كان التنصيف")
    assert "٢٠٢٤" in reply["text"]


async def test_start_and_help_follow_the_client_language(arabic: Chat, english: Chat) -> None:
    reply = await arabic.say("/start")
    assert reply["text"].startswith("أهلًا سارة!\n\nأجيب عن أسئلتك")
    reply = await english.say("/help")
    assert reply["text"].startswith("I answer questions about public Bitcoin miners")


async def test_lang_buttons_switch_the_reply_language(arabic: Chat) -> None:
    menu = await arabic.say("/lang")
    assert menu["text"] == "بأي لغة تريد أن أرد عليك؟"
    confirmation = await arabic.press(menu, "lang:en")
    assert confirmation["text"] == "I will reply in English."
    reply = await arabic.say("كم جيجاواط تخطط شركات التعدين للذكاء الاصطناعي؟")
    assert "30 gigawatts" in reply["text"]
    await arabic.say("/lang auto")
    reply = await arabic.say("كم جيجاواط تخطط شركات التعدين للذكاء الاصطناعي؟")
    assert "30 غيغا واط" in reply["text"]


async def test_the_log_keeps_the_questions_language_not_the_replys(arabic: Chat,
                                                                  fresh_db) -> None:
    """Asked in English by someone who reads Arabic replies: the log, and so the CSV of
    `faqbot kb unanswered` that an import reads back, says English."""
    menu = await arabic.say("/lang")
    await arabic.press(menu, "lang:ar")
    reply = await arabic.say("who won the match yesterday")
    assert reply["text"].startswith("عذرًا، ليست لدي إجابة")
    for _ in range(100):  # logged once the reply has gone out
        if fresh_db["questions"].count:
            break
        await asyncio.sleep(0.05)
    assert [(row["text"], row["lang"]) for row in fresh_db["questions"].rows] == [
        ("who won the match yesterday", "en")]


async def test_did_you_mean_button_answers_the_choice(english: Chat, bot: Any, fresh_db,
                                                      add_twins) -> None:
    add_twins(fresh_db)
    bot.bot_data["answerer"].reload()
    suggestion = await english.say("help desk")
    assert suggestion["text"] == "Did you mean one of these?"
    buttons = [row[0] for row in suggestion["reply_markup"]["inline_keyboard"]]
    assert [b["text"] for b in buttons] == ["help desk", "help desk"]
    answers = {"The help desk is open from nine to five.", "Call the help desk on extension 100."}
    answer = await english.press(suggestion, buttons[0]["callback_data"])
    assert answer["text"] in answers
    other = await english.press(suggestion, buttons[1]["callback_data"])
    assert {answer["text"], other["text"]} == answers
    assert english.api.callback_answers


async def test_buttons_on_messages_too_old_to_show_still_work(arabic: Chat) -> None:
    menu = await arabic.say("/lang")
    confirmation = await arabic.press(menu, "lang:en", inaccessible=True)
    assert confirmation["text"] == "I will reply in English."
    assert arabic.api.errors() == []


async def test_out_of_scope_gets_the_fallback(english: Chat, arabic: Chat) -> None:
    reply = await english.say("what's the weather in paris tomorrow?")
    assert reply["text"] == (
        "Sorry, I don't have an answer to that yet.\nYou can ask me things like:\n"
        "• Why are Bitcoin miners pivoting to AI?\n• How much new power is planned?\n"
        "• Has the strategy started paying off?"
    )
    reply = await arabic.say("كيف اطبخ المقلوبة")
    assert reply["text"].startswith("عذرًا، ليست لدي إجابة عن هذا السؤال حتى الآن.\n")


async def test_greeting_is_small_talk(arabic: Chat) -> None:
    reply = await arabic.say("السلام عليكم")
    assert "/help" in reply["text"]


async def test_group_answers_mentions_and_replies_only(group: Chat) -> None:
    await group.say_nothing_back("كم جيجاواط تخطط شركات التعدين للذكاء الاصطناعي؟")
    asked = group.api.send_text(group.chat, group.user,
                                "@faq_test_bot كم جيجاواط تخطط الشركات للذكاء الاصطناعي؟")
    [reply] = await group.api.wait_for_sent(group.chat["id"], count=1)
    assert "30 غيغا واط" in reply["text"]
    assert reply["reply_to_message"]["message_id"] == asked["message_id"]
    follow_up = await group.say("وكم الطاقة الحالية؟", reply_to=reply)
    assert "11 غيغا واط" in follow_up["text"]
    answer = await group.say("/ask@faq_test_bot when was the halving?")
    assert "2024" in answer["text"]


async def test_a_follow_up_of_one_question_word_asks_for_the_whole_question(
        group: Chat, fresh_db) -> None:
    """"ليش؟" in reply to the bot's answer: the bot asks for the question (before, it
    answered why mining profits are low), and the log, which shows admins what the bot
    could not answer, does not keep it."""
    asked = group.api.send_text(group.chat, group.user, "@faq_test_bot متى التنصيف؟")
    [answer] = await group.api.wait_for_sent(group.chat["id"], count=1)
    assert answer["reply_to_message"]["message_id"] == asked["message_id"]
    follow_up = await group.say("ليش؟", reply_to=answer)
    assert follow_up["text"].startswith("من فضلك اكتب سؤالك كاملًا.\nيمكنك أن تسألني مثلًا:")
    await group.say("@faq_test_bot when was the halving?")  # logged after the one before
    for _ in range(100):
        if fresh_db["questions"].count >= 2:
            break
        await asyncio.sleep(0.05)
    assert [row["text"] for row in fresh_db["questions"].rows] == [
        "متى التنصيف؟", "when was the halving?"]


async def test_a_reply_to_the_bot_that_names_someone_else_is_for_them(group: Chat) -> None:
    """Members answer the bot's reply to talk to one another: no fallback for them."""
    asked = group.api.send_text(group.chat, group.user, "@faq_test_bot متى التنصيف؟")
    [answer] = await group.api.wait_for_sent(group.chat["id"], count=1)
    assert answer["reply_to_message"]["message_id"] == asked["message_id"]
    sam = group.api.user(502, "Sam", language_code="en")
    for text, entities in (("@omar wow, nice", None),
                           ("Sam شفت؟ رقم كبير", [{"type": "text_mention", "offset": 0,
                                                   "length": 3, "user": sam}])):
        group.api.send_text(group.chat, group.user, text, reply_to=answer, entities=entities)
        await group.api.wait_idle(timeout=5, quiet=0.3)
        assert len(group.api.sent(group.chat["id"])) == 1
    # naming the bot too, or no one, it is a question again
    follow_up = await group.say("@omar @faq_test_bot وكم الطاقة الحالية؟", reply_to=answer)
    assert "11 غيغا واط" in follow_up["text"]
    follow_up = await group.say("وكم الطاقة الحالية؟", reply_to=answer)
    assert "11 غيغا واط" in follow_up["text"]


async def test_group_ignores_stickers_and_private_explains(group: Chat, english: Chat) -> None:
    before = len(group.api.sent(group.chat["id"]))
    group.api.send_sticker(group.chat, group.user)
    await group.api.wait_idle(timeout=5, quiet=0.3)
    assert len(group.api.sent(group.chat["id"])) == before
    english.api.send_photo(english.chat, english.user)
    [reply] = await english.api.wait_for_sent(english.chat["id"])
    assert reply["text"] == "Please send your question as text, in Arabic or English."


@pytest.mark.parametrize(
    "text",
    ["😀😀😀", "\u200f\u200b\u2067", "<b>hi</b> & <script>alert(1)</script> *bold* _x_",
     "x" * 4000, "كم GW عند HIVE Digital؟ how much"],
)
async def test_odd_input_never_crashes(english: Chat, text: str) -> None:
    reply = await english.say(text)
    assert reply["text"]
    assert not reply["text"].startswith("Sorry, something went wrong")  # the error handler's
    assert english.api.errors() == []


async def test_edited_messages_are_left_alone(english: Chat) -> None:
    message = english.api.send_text(english.chat, english.user, "hello")
    await english.api.wait_for_sent(english.chat["id"], count=1)
    english.api.edit_text(message, "how much did hive earn")
    await english.api.wait_idle(timeout=5, quiet=0.3)
    assert len(english.api.sent(english.chat["id"])) == 1


async def test_long_answers_are_split(api: LoopbackBotAPI, fresh_db, english: Chat,
                                      bot: Any) -> None:
    fresh_db.execute("UPDATE answers SET text = ? WHERE entry_id = 'winter-storm' "
                     "AND lang = 'en'", ["Storm. " * 1000])
    bot.bot_data["answerer"].reload()
    english.api.send_text(english.chat, english.user, "how did the winter storm affect miners")
    sent = await api.wait_for_sent(english.chat["id"], count=2)
    # 1000 sentences of 7 characters: the first message ends at the last full sentence.
    assert [len(m["text"]) for m in sent] == [585 * 7 - 1, 415 * 7 - 1]
    assert all(m["text"].endswith("Storm.") for m in sent)


async def test_command_menus_are_registered_per_language(api: LoopbackBotAPI, bot: Any) -> None:
    await api.wait_for(lambda: api.commands(language_code="ar"))
    arabic = {c["command"]: c["description"] for c in api.commands(language_code="ar")}
    assert arabic["ask"] == "اطرح سؤالًا"
    groups = [c["command"] for c in api.commands("all_group_chats", language_code="en")]
    assert groups == ["ask", "summary", "help"]


async def test_an_admin_who_starts_the_bot_later_gets_the_admins_menu(fresh_db) -> None:
    """Telegram refuses an admin's menu until the admin has started the bot: /start sets it."""
    async with LoopbackBotAPI(TOKEN, bot_username="faq_test_bot") as api, polling(api, fresh_db):
        admin_menu = {"type": "chat", "chat_id": ADMIN}  # refused: no chat with the bot
        user = api.user(ADMIN, "ليلى", language_code="ar")
        await Chat(api, api.private_chat(user), user).say("/start")
        await api.wait_for(lambda: api.commands(admin_menu, language_code="ar"))
        menu = [c["command"] for c in api.commands(admin_menu, language_code="ar")]
        assert menu[-1] == "unanswered"
        # anyone else's /start sets no menu of theirs
        other = api.user(507, "Lee", language_code="en")
        await Chat(api, api.private_chat(other), other).say("/start")
        assert api.commands({"type": "chat", "chat_id": 507}) == []


async def test_arabic_help_keeps_its_commands_readable(arabic: Chat) -> None:
    """Each command line of the help opens right to left, and each command keeps its slash
    in front of it ("ask/" without the marks)."""
    lines = (await arabic.say("/help"))["text"].split("\n")
    assert f"{RLM}{LRM}/ask سؤالك - اطرح سؤالًا (يعمل في المجموعات أيضًا)" in lines
    assert f"{RLM}{LRM}/help - عرض هذه الرسالة" in lines
    assert f"اكتب سؤالك مباشرة. وفي المجموعات، اذكرني بالإشارة أو استخدم {LRM}/ask." in lines


async def test_refused_cosmetic_calls_do_not_block_answers(fresh_db, add_twins) -> None:
    add_twins(fresh_db)
    async with LoopbackBotAPI(TOKEN, bot_username="faq_test_bot") as api:
        api.fail("setMyCommands", times=None)
        api.fail("answerCallbackQuery", times=None)
        async with polling(api, fresh_db):
            user = api.user(505, "Lee", language_code="en")
            chat = Chat(api, api.private_chat(user), user)
            suggestion = await chat.say("help desk")
            answer = await chat.press(suggestion, suggestion["reply_markup"][
                "inline_keyboard"][0][0]["callback_data"])
            assert "help desk" in answer["text"]


async def test_the_token_never_reaches_the_logs(api: LoopbackBotAPI, fresh_db,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    protect_logs(TOKEN)
    logging.getLogger("telegram").debug("request to %s", f"{api.base_url}{TOKEN}/getMe")
    application = build_application(token=TOKEN, base_url=api.base_url, db=fresh_db,
                                    answerer=Answerer(fresh_db), admins=frozenset({ADMIN}))
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        user = api.user(506, "Ana", language_code="en")
        await Chat(api, api.private_chat(user), user).say("hello")
        await application.updater.stop()
        await application.stop()
    assert caplog.records
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


async def test_the_bot_forgets_questions_older_than_it_keeps(api: LoopbackBotAPI,
                                                            fresh_db) -> None:
    """At start, then daily: the log shows admins what the bot could not answer lately; it
    does not keep what people typed for ever."""
    def asked(days_ago: int, text: str) -> dict:
        stamp = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(timespec="seconds")
        return {"asked_at": stamp, "chat_type": "private", "lang": "en", "text": text,
                "outcome": "fallback", "entry_id": None, "score": 0.1}

    fresh_db["questions"].insert_all([asked(31, "who won the match"),
                                      asked(29, "what is the weather")])
    application = build_application(token=TOKEN, base_url=api.base_url, db=fresh_db,
                                    answerer=Answerer(fresh_db), keep_questions_days=30)
    async with application:
        await application.post_init(application)  # as run_polling() does
        await application.start()
        assert [row["text"] for row in fresh_db["questions"].rows] == ["what is the weather"]
        fresh_db["questions"].insert(asked(45, "is it raining"))
        jobs = application.job_queue.get_jobs_by_name("forget old questions")
        await jobs[0].run(application)  # as it runs each day
        await application.stop()
    assert [row["text"] for row in fresh_db["questions"].rows] == ["what is the weather"]
    assert [(job.callback, job.trigger.interval) for job in jobs] == [
        (forget_old_questions_daily, timedelta(days=1))]


HALVING_AR = f"{RLM}بحسب المقال، جرى تخفيض مكافأة البيتكوين (التنصيف) في عام 2024."


@pytest.mark.parametrize("text", ["@faq_test_bot متى التنصيف؟", "متى التنصيف؟ @FAQ_test_bot",
                                  "https://example.com/bitcoin-news متى التنصيف؟",
                                  "@someone متى التنصيف؟"])
async def test_a_mention_or_a_link_beside_a_question_changes_nothing(arabic: Chat,
                                                                      text: str) -> None:
    """Their Latin letters made the reply English, and the bot's own name matched nothing."""
    assert (await arabic.say(text))["text"] == HALVING_AR


async def test_a_mention_by_name_is_taken_out_of_the_question(group: Chat) -> None:
    bot_user = group.api._state.bot_user()
    name = bot_user["first_name"]
    reply = await group.say(f"{name} متى التنصيف؟", entities=[
        {"type": "text_mention", "offset": 0, "length": len(name), "user": bot_user}])
    assert reply["text"] == HALVING_AR


async def test_a_command_or_mention_with_nothing_after_it_asks_for_the_question(
        arabic: Chat, group: Chat) -> None:
    assert (await arabic.say("/ask @faq_test_bot"))["text"] == (
        f"اكتب سؤالك بعد الأمر، مثلًا: {LRM}/ask ما هو تنصيف البيتكوين؟")
    assert (await group.say("@faq_test_bot ؟"))["text"] == (
        f"اكتب سؤالك بعد الإشارة إليّ، مثلًا: {LRM}/ask ما هو تنصيف البيتكوين؟")


async def test_a_photos_caption_is_a_question(group: Chat, english: Chat) -> None:
    """Private chats asked for text; groups stayed silent though the bot was mentioned."""
    group.api.send_photo(group.chat, group.user, "@faq_test_bot متى التنصيف؟")
    [reply] = await group.api.wait_for_sent(group.chat["id"])
    assert reply["text"] == HALVING_AR
    english.api.send_photo(english.chat, english.user, "when was the halving?")
    [reply] = await english.api.wait_for_sent(english.chat["id"])
    assert "2024" in reply["text"]


GIGAWATTS_AR = "@faq_test_bot كم جيجاواط تخطط شركات التعدين للذكاء الاصطناعي؟"


async def test_choices_written_on_behalf_of_a_chat_are_that_chats(group: Chat) -> None:
    """Telegram sends every anonymous admin's and every channel's messages from one shared
    user: one anonymous admin's /lang changed the replies of all of them, in every group."""
    api = group.api
    other = api.group(-100888, "Another group")
    channel = api.group(-100999, "Miners channel", "channel")
    api.send_on_behalf(group.chat, group.chat, "/lang en")
    [confirmation] = await api.wait_for_sent(group.chat["id"])
    assert confirmation["text"] == "I will reply in English."

    async def asked(chat: dict, sender: dict | None) -> str:
        before = len(api.sent(chat["id"]))
        if sender is None:
            api.send_text(chat, group.user, GIGAWATTS_AR)
        else:
            api.send_on_behalf(chat, sender, GIGAWATTS_AR)
        return (await api.wait_for_sent(chat["id"], count=before + 1))[before]["text"]

    assert "30 gigawatts" in await asked(group.chat, group.chat)
    for chat, sender in ((other, other), (group.chat, channel), (group.chat, None)):
        assert "30 غيغا واط" in await asked(chat, sender)


async def test_a_chat_chooses_by_command_not_by_buttons(group: Chat) -> None:
    """A button press names whoever pressed it, never the chat an anonymous admin writes
    for: such an admin is told the commands instead of shown buttons."""
    api = group.api
    api.send_on_behalf(group.chat, group.chat, "/lang")
    [menu] = await api.wait_for_sent(group.chat["id"])
    assert menu["text"] == (
        "Choose the language of my replies with /lang ar, /lang en or /lang auto.")
    assert "reply_markup" not in menu
    api.send_on_behalf(group.chat, group.chat, "/lang ar")
    api.send_on_behalf(group.chat, group.chat, "/digits")
    [_, _, menu] = await api.wait_for_sent(group.chat["id"], count=3)
    assert menu["text"] == (
        f"اختر شكل الأرقام بأحد الأوامر: {LRM}/digits latn للأرقام 123، أو {LRM}/digits arab "
        f"للأرقام ١٢٣، أو {LRM}/digits auto للاختيار التلقائي.")
    assert "reply_markup" not in menu


async def test_a_choice_by_command_in_a_group_quotes_it(group: Chat) -> None:
    command = group.api.send_text(group.chat, group.user, "/digits arab")
    [confirmation] = await group.api.wait_for_sent(group.chat["id"])
    assert confirmation["text"] == "ستظهر الأرقام هكذا: ١٬٢٣٤٫٥"
    assert confirmation["reply_to_message"]["message_id"] == command["message_id"]


@pytest.mark.parametrize("data", ["lang:fr", "digits:roman", "lang:", "lang:en:x", "zzz"])
async def test_a_button_whose_data_is_unknown_has_expired(arabic: Chat, data: str) -> None:
    """Data no button of this version carries (forged, or from another version) is told it
    has expired, and changes nothing; a known action with an unknown choice was answered
    with an empty toast."""
    menu = await arabic.say("/lang")
    before = len(arabic.api.sent(arabic.chat["id"]))
    arabic.api.press(menu, data, arabic.user, forged=True)
    await arabic.api.wait_idle(timeout=5, quiet=0.3)
    assert len(arabic.api.sent(arabic.chat["id"])) == before
    assert arabic.api.callback_answers[-1]["text"] == "انتهت صلاحية هذا الزر. اطرح سؤالك من جديد."
    reply = await arabic.say("كم جيجاواط تخطط شركات التعدين للذكاء الاصطناعي؟")
    assert "30 غيغا واط" in reply["text"]


async def test_an_admin_reads_what_the_bot_could_not_answer(api: LoopbackBotAPI, bot: Any,
                                                            arabic: Chat, english: Chat) -> None:
    user = api.user(ADMIN, "ليلى", language_code="ar")
    admin = Chat(api, api.private_chat(user), user)
    juice = "the juice the miners want for AI"
    for text in (juice, juice.upper()):
        assert (await english.say(text))["text"].startswith("Sorry, I don't have an answer")
    assert (await arabic.say("ما سعر الذهب اليوم؟"))["text"].startswith(
        "عذرًا، ليست لدي إجابة")
    await arabic.say("كم جيجاواط تخطط شركات التعدين للذكاء الاصطناعي؟")  # answered
    answerer = bot.bot_data["answerer"]
    juice_guess, gold_guess = (answerer.answer(text, Asker()).guess
                               for text in (juice.upper(), "ما سعر الذهب اليوم؟"))
    since = format_day(datetime.now(UTC).date() - timedelta(days=7), "ar")
    reply = await admin.say("/unanswered ٧")
    assert (ADMIN, "typing") in api.chat_actions  # while the questions are asked again
    assert reply["text"] == "\n\n".join([
        f"{RLM}أسئلة لم أستطع الإجابة عنها منذ {since}: 2",
        f"2× {juice.upper()}\n    → {juice_guess}",
        "1× ما سعر الذهب اليوم؟" + (f"\n    → {gold_guess}" if gold_guess else "")])
    for days in ("week", "0", "36526", "²"):
        assert (await admin.say(f"/unanswered {days}"))["text"] == (
            f"اكتب عدد الأيام التي أرجع إليها، مثلًا: {LRM}/unanswered 7")
    assert (await english.say("/unanswered"))["text"] == (
        "I don't know that command. Send /help to see what I can do.")


async def test_an_admins_menu_has_the_admins_commands(api: LoopbackBotAPI, bot: Any) -> None:
    """Set at start-up for each admin who has started the bot (refused, and logged, for one
    who has not)."""
    admin_menu = {"type": "chat", "chat_id": ADMIN}
    await api.wait_for(lambda: api.commands(admin_menu, language_code="ar"))
    menu = {c["command"]: c["description"]
            for c in api.commands(admin_menu, language_code="ar")}
    assert menu["unanswered"] == "أسئلة لم أستطع الإجابة عنها"
    assert "lang" in menu
    assert "unanswered" not in {c["command"] for c in api.commands(language_code="ar")}


async def test_a_choice_by_button_in_a_group_names_who_pressed(group: Chat) -> None:
    """Anyone in a group can press the buttons another member summoned: the choice is the
    presser's own, and the confirmation says whose."""
    api = group.api
    sam = api.user(502, "Sam", language_code="en")
    huda = api.user(506, "هدى", language_code="ar")
    menu = await group.say("/lang")
    # an English line that opens with an Arabic name reads left to right only with a mark
    for user, data, confirmation in ((sam, "lang:en", "Sam: I will reply in English."),
                                     (huda, "lang:en", f"{LRM}هدى: I will reply in English."),
                                     (huda, "lang:ar", f"{RLM}هدى: تمام، سأرد عليك بالعربية.")):
        before = len(api.sent(group.chat["id"]))
        api.press(menu, data, user)
        sent = await api.wait_for_sent(group.chat["id"], count=before + 1)
        assert sent[before]["text"] == confirmation
    assert "30 غيغا واط" in (await group.say(GIGAWATTS_AR))["text"]  # Omar's own: unchanged
    assert "30 gigawatts" in (await Chat(api, group.chat, sam).say(GIGAWATTS_AR))["text"]
