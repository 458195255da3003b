"""Questions: free text in private chats, /ask, mentions and replies in groups."""

from __future__ import annotations

import logging
import re
import sqlite3

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.answering import Outcome, Reply, normalized_question
from bot.i18n.catalogs import translator
from bot.kb.people import record_question
from bot.text.language import LANGUAGES, script_language
from bot.tg import keyboards
from bot.tg.context import (
    answerer,
    asker_for,
    cosmetic,
    database,
    is_private,
    send,
)

# What a message holds beside its question: mentions (the bot's own, or anyone's), links and
# addresses. Their Latin letters would make an Arabic question's reply English, and they
# match no entry: "@faq_bot متى التنصيف؟" was declined where "متى التنصيف؟" was answered.
ASIDE = frozenset({MessageEntity.MENTION, MessageEntity.TEXT_MENTION, MessageEntity.URL,
                   MessageEntity.EMAIL})
# Telegram counts entity offsets in UTF-16 code units.
UTF16 = "utf-16-le"

log = logging.getLogger(__name__)


def question_of(message: Message, username: str) -> str:
    """What a message (its text, or a photo's caption) asks: without the command it opens
    with, mentions, links and e-mail addresses."""
    text = message.text or message.caption or ""
    entities = message.entities if message.text else message.caption_entities
    units = text.encode(UTF16)
    for entity in sorted(entities, key=lambda e: e.offset, reverse=True):
        opening = entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0
        if entity.type in ASIDE or opening:
            start, end = 2 * entity.offset, 2 * (entity.offset + entity.length)
            units = units[:start] + " ".encode(UTF16) + units[end:]
    left = units.decode(UTF16)
    return re.sub(rf"@{re.escape(username)}\b", " ", left, flags=re.IGNORECASE).strip()


def log_question(context: ContextTypes.DEFAULT_TYPE, **question: str | float | None) -> None:
    """Log a question after its answer went out; a busy database costs the log, not the
    answer."""
    try:
        record_question(database(context), **question)
    except sqlite3.Error as exc:
        log.warning("question not logged: %s", exc)


def addressed_to_bot(message: Message, bot_id: int, username: str) -> bool:
    """In a group, a message (or a photo's caption) is for the bot if it mentions it, or if
    it replies to it without naming someone else: members answer the bot's reply to talk to
    one another ("@omar wow"), and the bot should not butt in with a fallback."""
    parse = message.parse_entities if message.text else message.parse_caption_entities
    mentions = [value.lower() for value in parse([MessageEntity.MENTION]).values()]
    named = [entity.user.id for entity in parse([MessageEntity.TEXT_MENTION]) if entity.user]
    if f"@{username}".lower() in mentions or bot_id in named:
        return True
    replied = message.reply_to_message
    to_bot = bool(replied and replied.from_user and replied.from_user.id == bot_id)
    return to_bot and not mentions and not named


async def reply_to_question(update: Update, context: ContextTypes.DEFAULT_TYPE,
                            question: str) -> None:
    """Answer `question`, log it, and send the reply (with choices as buttons)."""
    message = update.effective_message
    asker = asker_for(update, context)
    reply = answerer(context).answer(question, asker)
    await send_reply(message, reply, quote=not is_private(update))
    if reply.outcome != Outcome.EMPTY:
        # The question's own language, which the reply's follows unless the asker chose
        # one: `faqbot kb unanswered --csv` gives it back to an import as the phrasing's.
        log_question(context, text=question, lang=script_language(question) or reply.lang,
                     chat_type=update.effective_chat.type, outcome=reply.outcome,
                     entry_id=reply.entry_id, score=reply.score)


async def send_reply(message: Message, reply: Reply, *, quote: bool) -> None:
    """Send a Reply, with "did you mean" buttons when it has choices."""
    keyboard = keyboards.choices_keyboard(reply.choices, reply.lang) if reply.choices else None
    await send(message, reply.text, keyboard=keyboard, quote=quote)


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat, every text message (or photo caption) is a question."""
    await reply_to_question(update, context,
                            question_of(update.effective_message, context.bot.username))


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group, answer only what mentions the bot or replies to it; stay silent otherwise."""
    message = update.effective_message
    bot = context.bot
    if not addressed_to_bot(message, bot.id, bot.username):
        return
    question = question_of(message, bot.username)
    if not normalized_question(question):  # nothing after the mention, or only "?"
        lang = asker_for(update, context).language
        await send(message, translator(lang).gettext(
            "Ask me a question after the mention, for example: /ask What is the halving?"),
            quote=True)
        return
    await reply_to_question(update, context, question)


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION, in any chat."""
    question = question_of(update.effective_message, context.bot.username)
    if not normalized_question(question):
        lang = asker_for(update, context).language
        await send(update.effective_message, translator(lang).gettext(
            "Write your question after the command, for example: /ask What is the halving?"),
            quote=not is_private(update))
        return
    await reply_to_question(update, context, question)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice...: in a private chat, say that questions come as text."""
    lang = asker_for(update, context).language
    await send(update.effective_message,
               translator(lang).gettext("Please send your question as text, in Arabic or English."))


async def choice_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A "did you mean" button: answer the chosen entry, in a message of its own."""
    query = update.callback_query
    _, args = keyboards.parse(query.data)
    asker = asker_for(update, context)
    key, lang = ([*args, "", ""])[:2]
    entry_id = answerer(context).keys.get(key)
    lang = asker.lang or (lang if lang in LANGUAGES else asker.language)
    if entry_id is None:
        await cosmetic(query.answer(translator(lang).gettext(
            "This choice is no longer available. Please ask again.")), "answerCallbackQuery")
        return
    reply = answerer(context).answer_entry(entry_id, asker, lang=lang)
    await cosmetic(query.answer(), "answerCallbackQuery")
    if query.message is not None:
        await send(query.message, reply.text)
    log_question(context, text=f"[choice] {entry_id}", lang=reply.lang,
                 chat_type=update.effective_chat.type if update.effective_chat
                 else ChatType.PRIVATE,
                 outcome="chosen", entry_id=entry_id, score=1.0)
