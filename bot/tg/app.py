"""The Telegram application: python-telegram-bot's Application with every handler wired."""

from __future__ import annotations

import logging
import sqlite3
import traceback
from datetime import timedelta
from urllib.parse import urlsplit

import sqlite_utils
from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.answering import Answerer, Asker
from bot.config import KEEP_QUESTIONS_DAYS
from bot.i18n.catalogs import translator
from bot.kb.people import forget_questions
from bot.tg import keyboards
from bot.tg.context import asker_for, cosmetic, is_private, send
from bot.tg.handlers import admin as admin_commands
from bot.tg.handlers import ask, settings
from bot.tg.menus import register_commands

log = logging.getLogger(__name__)


class RedactToken(logging.Filter):
    """Keeps the bot token out of every log line (httpx logs request URLs)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        if self.token in record.getMessage():
            record.msg = record.getMessage().replace(self.token, "<token>")
            record.args = ()
        if record.exc_info and self.token in "".join(traceback.format_exception(
                *record.exc_info)):
            # Exceptions such as InvalidToken quote the token: log the redacted text instead.
            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_info = None
            record.exc_text = text.replace(self.token, "<token>").rstrip()
        return True


class BriefBootstrap(logging.Filter):
    """Logs a failed start (python-telegram-bot's bootstrap: the token refused, the Bot API
    out of reach) without its traceback: `faqbot run` then says what went wrong in one
    line, and the traceback, a hundred lines of httpx, tells an operator nothing more."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram.ext") and record.getMessage().startswith(
                "Network Retry Loop (Bootstrap"):
            record.exc_info, record.exc_text = None, None
        return True


def protect_logs(token: str) -> None:
    """Install the token filter and the brief bootstrap failure on every handler of the
    root logger, and quiet httpx."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken(token))
        handler.addFilter(BriefBootstrap())


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure; tell the user in a private chat, in their language, without details."""
    log.error("update failed", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_message is None:
        return
    if not is_private(update):
        return
    try:
        lang = asker_for(update, context).language
    except Exception:  # the failure may be the database itself
        user = update.effective_user
        lang = Asker(locale=user.language_code if user else None).language
    await cosmetic(
        send(update.effective_message, translator(lang).gettext(
            "Sorry, something went wrong on my side. Please try again in a moment.")),
        "error reply",
    )


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have, in a private chat: point to /help."""
    lang = asker_for(update, context).language
    await send(update.effective_message, translator(lang).gettext(
        "I don't know that command. Send /help to see what I can do."))


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button whose data the bot no longer understands (e.g. from an old version)."""
    lang = asker_for(update, context).language
    await cosmetic(update.callback_query.answer(translator(lang).gettext(
        "This button has expired. Please ask again.")), "answerCallbackQuery")


def webhook_path(webhook_url: str) -> str:
    """The path PTB's webhook server listens on: the public URL's path, as the proxy forwards it."""
    return urlsplit(webhook_url).path.strip("/")


async def prepare(application: Application) -> None:
    """What a started bot needs before its first update, once the Bot API has accepted the
    token (Application.initialize asks getMe first): the answering core, if it was not
    given (loading the stored index, or learning it: a minute on a new database, which a
    wrong token should not wait for), the command menus, and a question log without the
    questions older than it keeps (then daily, see build_application)."""
    forget_old_questions(application.bot_data["db"], application.bot_data["keep_questions_days"])
    if application.bot_data.get("answerer") is None:
        application.bot_data["answerer"] = Answerer(application.bot_data["db"])
    await register_commands(application.bot, application.bot_data.get("admins", frozenset()))


def forget_old_questions(db: sqlite_utils.Database, days: int) -> None:
    """Delete the logged questions asked more than `days` days ago; a busy database is
    tried again the next time."""
    try:
        forgotten = forget_questions(db, days)
    except sqlite3.Error as exc:
        log.warning("old questions not deleted: %s", exc)
        return
    if forgotten:
        log.info("deleted %d questions asked more than %d days ago", forgotten, days)


async def forget_old_questions_daily(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The daily job: forget_old_questions, as the bot was told (see build_application)."""
    forget_old_questions(context.bot_data["db"], context.bot_data["keep_questions_days"])


def build_application(*, token: str, base_url: str, db: sqlite_utils.Database,
                      answerer: Answerer | None = None, base_file_url: str | None = None,
                      admins: frozenset[int] = frozenset(),
                      keep_questions_days: int = KEEP_QUESTIONS_DAYS) -> Application:
    """An Application talking to the Bot API at `base_url`, ready to poll or take webhooks;
    without an `answerer`, one over `db` is made when it starts (see prepare). `admins`
    (Telegram user ids) have the admins' commands in their private chats. Questions older
    than `keep_questions_days` are deleted from the log when it starts, then daily."""
    builder = ApplicationBuilder().token(token).base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    application = (builder.rate_limiter(AIORateLimiter(max_retries=2))
                   .post_init(prepare).build())
    application.bot_data.update(db=db, answerer=answerer, admins=admins)
    add_handlers(application, admins)
    application.bot_data["keep_questions_days"] = keep_questions_days
    application.job_queue.run_repeating(forget_old_questions_daily, interval=timedelta(days=1),
                                        name="forget old questions")
    return application


def add_handlers(application: Application, admins: frozenset[int] = frozenset()) -> None:
    """Every handler, in one place. Edited messages and channel posts are left alone. The
    admins' commands are theirs alone, in private chats: to anyone else they are commands
    the bot does not have."""
    new = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE
    # No admins: a filter of no users lets nobody through (allow_empty=False).
    admin = filters.User(user_id=admins)
    groups = filters.ChatType.GROUPS
    worded = filters.TEXT | filters.CAPTION  # a photo's caption asks as a text does
    application.add_handlers([
        CommandHandler("start", settings.start, filters=new),
        CommandHandler("help", settings.help_command, filters=new),
        CommandHandler("lang", settings.lang_command, filters=new),
        CommandHandler("digits", settings.digits_command, filters=new),
        CommandHandler("summary", settings.summary, filters=new),
        CommandHandler("ask", ask.ask_command, filters=new),
        CommandHandler("unanswered", admin_commands.unanswered_command,
                       filters=new & private & admin, block=False),
        MessageHandler(new & private & worded & ~filters.COMMAND, ask.private_text),
        MessageHandler(new & groups & worded & ~filters.COMMAND, ask.group_text),
        MessageHandler(new & private & ~worded & ~filters.StatusUpdate.ALL, ask.not_text),
        CallbackQueryHandler(ask.choice_pressed, pattern=rf"^{keyboards.ENTRY}:"),
        CallbackQueryHandler(settings.lang_pressed, pattern=keyboards.choice_pattern(
            keyboards.LANG, keyboards.LANG_CHOICES)),
        CallbackQueryHandler(settings.digits_pressed, pattern=keyboards.choice_pattern(
            keyboards.DIGITS, keyboards.DIGITS_CHOICES)),
        CallbackQueryHandler(stale_button),
        MessageHandler(new & private & filters.COMMAND, unknown_command),
    ])
    application.add_error_handler(on_error)
