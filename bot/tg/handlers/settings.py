"""/start, /help, /lang, /digits and /summary: the user's side of the bot."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.i18n.catalogs import translator
from bot.i18n.direction import bidi_fix
from bot.i18n.formatting import format_number
from bot.kb.people import choose
from bot.text.language import reading_locale
from bot.tg import keyboards
from bot.tg.context import (
    answerer,
    asker_for,
    chooser_id,
    cosmetic,
    database,
    is_private,
    on_behalf_of_chat,
    send,
)
from bot.tg.menus import register_admin_menu


def help_text(lang: str) -> str:
    """What the bot does and how to use it, in `lang`."""
    gettext = translator(lang).gettext
    return "\n".join([
        gettext("I answer questions about public Bitcoin miners turning to AI power, "
                "in Arabic and English."),
        "",
        gettext("Just write your question. In a group, mention me or use /ask."),
        "",
        gettext("/ask QUESTION - ask a question (works in groups too)"),
        gettext("/summary - a short summary of the story"),
        gettext("/lang - choose the reply language"),
        gettext("/digits - choose Latin or Arabic-Indic digits"),
        gettext("/help - this message"),
    ])


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: a greeting and the help text, in the user's language."""
    lang = asker_for(update, context).language
    user = update.effective_user
    gettext = translator(lang).gettext
    # Written on behalf of a chat, the sender is a service user ("Group"): greet the chat.
    name = (update.effective_message.sender_chat.title if on_behalf_of_chat(update)
            else user.first_name if user else "")
    greeting = gettext("Hello, {name}!").format(name=name) if name else gettext("Hello!")
    await send(update.effective_message, greeting + "\n\n" + help_text(lang))
    if is_private(update) and user and user.id in context.bot_data.get("admins", ()):
        # Telegram refused the admin's menu at start-up if they had not started the bot yet.
        await register_admin_menu(context.bot, user.id)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help."""
    await send(update.effective_message, help_text(asker_for(update, context).language))


async def summary(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/summary: the knowledge base's summary in the user's language."""
    text = answerer(context).summary(asker_for(update, context))
    await send(update.effective_message, text)


async def lang_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/lang [ar|en|auto]: set the reply language, or offer buttons to choose it."""
    arg = (context.args or [""])[0].lower()
    if arg in keyboards.LANG_CHOICES:
        await _set_lang(update, context, arg, update.effective_message)
        return
    gettext = translator(asker_for(update, context).language).gettext
    if on_behalf_of_chat(update):
        # A button press names the person who pressed, not the chat they write for.
        await send(update.effective_message, gettext(
            "Choose the language of my replies with /lang ar, /lang en or /lang auto."),
            quote=True)
        return
    await send(update.effective_message, gettext("Choose the language of my replies:"),
               keyboard=keyboards.language_keyboard())


async def _set_lang(update: Update, context: ContextTypes.DEFAULT_TYPE, choice: str,
                    message: Message) -> None:
    """Remember the language choice and confirm it in the language now in force."""
    chosen = None if choice == "auto" else choice
    choose(database(context), chooser_id(update), lang=chosen)
    lang = asker_for(update, context).language
    gettext = translator(lang).gettext
    text = (gettext("I will reply in the language of each question.") if chosen is None
            else gettext("I will reply in English.") if chosen == "en"
            else gettext("I will reply in Arabic."))
    await _confirm(update, message, text, lang)


async def lang_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A language button (its data matched keyboards.LANG_CHOICES, see app.py)."""
    query = update.callback_query
    await cosmetic(query.answer(), "answerCallbackQuery")
    if query.message is not None:
        await _set_lang(update, context, keyboards.chosen(query.data), query.message)


def _digits_example(lang: str, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    asker = asker_for(update, context)
    return format_number(1234.5, reading_locale(lang, asker.locale), asker.digits)


async def digits_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digits [latn|arab|auto]: choose how numbers are written."""
    arg = (context.args or [""])[0].lower()
    if arg in keyboards.DIGITS_CHOICES:
        await _set_digits(update, context, arg, update.effective_message)
        return
    gettext = translator(asker_for(update, context).language).gettext
    if on_behalf_of_chat(update):
        await send(update.effective_message, gettext(
            "Choose how I write numbers with /digits latn (123), /digits arab (١٢٣) "
            "or /digits auto."), quote=True)
        return
    await send(update.effective_message, gettext("How should I write numbers?"),
               keyboard=keyboards.digits_keyboard(gettext("Automatic")))


async def _set_digits(update: Update, context: ContextTypes.DEFAULT_TYPE, choice: str,
                      message: Message) -> None:
    """Remember the digits choice and show an example number."""
    choose(database(context), chooser_id(update),
           digits=None if choice == "auto" else choice)
    lang = asker_for(update, context).language
    gettext = translator(lang).gettext
    example = _digits_example(lang, update, context)
    await _confirm(update, message,
                   gettext("Numbers will look like this: {example}").format(example=example),
                   lang)


async def _confirm(update: Update, message: Message, text: str, lang: str) -> None:
    """Confirm a choice (`text`, in `lang`). In a group the chat sees whose choice it was:
    one made by command is quoted, one made by button (anyone in the chat can press it)
    is addressed to whoever pressed it."""
    query = update.callback_query
    if is_private(update) or query is None:
        await send(message, text, quote=not is_private(update))
        return
    await send(message, bidi_fix(f"{query.from_user.first_name}: {text}", lang))


async def digits_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A digits button (its data matched keyboards.DIGITS_CHOICES, see app.py)."""
    query = update.callback_query
    await cosmetic(query.answer(), "answerCallbackQuery")
    if query.message is not None:
        await _set_digits(update, context, keyboards.chosen(query.data), query.message)
