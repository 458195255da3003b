"""What every handler needs from an update: the knowledge, the asker, their language."""

from __future__ import annotations

import logging

import sqlite_utils
from telegram import InlineKeyboardMarkup, MaybeInaccessibleMessage, ReplyParameters, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.answering import Answerer, Asker
from bot.kb.people import user_settings
from bot.tg.messages import html_pieces

log = logging.getLogger(__name__)


def answerer(context: ContextTypes.DEFAULT_TYPE) -> Answerer:
    """The application's Answerer."""
    return context.bot_data["answerer"]


def database(context: ContextTypes.DEFAULT_TYPE) -> sqlite_utils.Database:
    """The application's knowledge base."""
    return context.bot_data["db"]


def on_behalf_of_chat(update: Update) -> bool:
    """True for a message written on behalf of a chat: by an anonymous group admin, or by a
    channel (its post in a linked discussion group, or a user posting as it)."""
    message = update.message or update.edited_message
    return message is not None and message.sender_chat is not None


def chooser_id(update: Update) -> int | None:
    """Whose saved choices (reply language, digits) an update reads and sets: the chat a
    message was written on behalf of, since Telegram sends every such message from one
    shared user (GroupAnonymousBot, Channel_Bot) whatever the group or channel; otherwise
    the user's. A chat's id is negative, so it never meets a user's."""
    if on_behalf_of_chat(update):
        return (update.message or update.edited_message).sender_chat.id
    user = update.effective_user
    return None if user is None else user.id


def asker_for(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Asker:
    """The asker's saved choices and their Telegram client's language."""
    chooser = chooser_id(update)
    if chooser is None:
        return Asker()
    lang, digits = user_settings(database(context), chooser)
    user = update.effective_user
    return Asker(lang=lang, locale=user.language_code if user else None, digits=digits)


def is_private(update: Update) -> bool:
    """True in a one-to-one chat with the bot."""
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def send(message: MaybeInaccessibleMessage, text: str, *,
               keyboard: InlineKeyboardMarkup | None = None, quote: bool = False) -> None:
    """Reply with plain `text` as escaped HTML, split at the limit; buttons on the last piece.

    In groups the reply quotes the question so the thread stays readable. `message` may be
    one Telegram no longer shows the bot (a button pressed on a message over 48 hours old):
    the reply then goes to its chat, in the main thread.
    """
    pieces = html_pieces(text)
    topic = message.message_thread_id if getattr(message, "is_topic_message", False) else None
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        await message.get_bot().send_message(
            chat_id=message.chat.id,
            text=piece,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard if last else None,
            reply_parameters=ReplyParameters(message.message_id,
                                              allow_sending_without_reply=True)
            if quote and i == 0 else None,
            message_thread_id=topic,
        )


async def cosmetic(call, what: str) -> None:
    """Run a Bot API call that only improves looks; if Telegram refuses it, log and go on."""
    try:
        await call
    except TelegramError as exc:
        log.warning("%s failed: %s", what, exc)
