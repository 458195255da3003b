"""/unanswered: the admins' side of the bot, in private chats with the ids of FAQBOT_ADMINS
(see app.add_handlers; to anyone else it is a command the bot does not have)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from bot.i18n.catalogs import translator
from bot.i18n.direction import bidi_fix
from bot.i18n.formatting import format_day, format_number
from bot.kb.build import MAX_DAYS, days_ago
from bot.kb.unanswered import Unanswered, logged, report, still_unanswered
from bot.text.language import reading_locale
from bot.tg.context import answerer, asker_for, cosmetic, database, send

DEFAULT_DAYS = 30
TYPING_SECONDS = 4  # Telegram shows "typing" for 5 s, or until the bot's next message
SHOWN = 30  # questions in one reply: the most asked; `faqbot kb unanswered` lists them all


async def unanswered_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unanswered [DAYS]: the questions of the last DAYS days (30 by default) the bot did
    not answer and still does not, the most asked first, each with the entry it finds
    closest, so that an admin can add the phrasing (`faqbot kb import`).

    Each distinct question is asked again of the current knowledge: about 40 ms each for
    the curated knowledge, whose misses are read by both sentence encoders (5,555 distinct
    questions in 231 s), so the handler runs beside the others (block=False, see
    app.add_handlers) and lets them through between two questions."""
    asker = asker_for(update, context)
    lang = asker.language
    gettext = translator(lang).gettext
    arg = (context.args or [str(DEFAULT_DAYS)])[0]
    if not arg.isdecimal() or not 1 <= int(arg) <= MAX_DAYS:  # ٧ is 7 too
        await send(update.effective_message, gettext(
            "Give the number of days to look back, for example: /unanswered 7"))
        return
    days = int(arg)
    locale = reading_locale(lang, asker.locale)
    # The day the query below starts from (logged reads from days_ago too).
    since = format_day(datetime.fromisoformat(days_ago(days)).date(), locale, asker.digits)
    results = []
    shown_at = -TYPING_SECONDS
    for question in logged(database(context), days):
        if time.monotonic() - shown_at >= TYPING_SECONDS:  # a sign of work, for minutes
            shown_at = time.monotonic()
            await cosmetic(update.effective_chat.send_action(ChatAction.TYPING),
                           "sendChatAction")
        results.append(still_unanswered(answerer(context), question))
        await asyncio.sleep(0)
    questions, answered = report(results)
    lines = [gettext("Questions I could not answer since {date}: {count}").format(
        date=since, count=format_number(len(questions), locale, asker.digits))
        if questions else gettext("No unanswered questions since {date}.").format(date=since)]
    if answered:
        lines.append(gettext("Answered now, after changes to the knowledge: {count}").format(
            count=format_number(answered, locale, asker.digits)))
    if len(questions) > SHOWN:
        lines.append(gettext("The most asked {shown}; all of them: faqbot kb unanswered "
                             "--days {days}").format(
            shown=format_number(SHOWN, locale, asker.digits), days=days))
    # The questions keep their own direction: each line is a paragraph of its own.
    text = "\n\n".join([bidi_fix("\n".join(lines), lang),
                         *(_line(q, locale, asker.digits) for q in questions[:SHOWN])])
    await send(update.effective_message, text)


def _line(question: Unanswered, locale: str, digits: str | None) -> str:
    """A question, how often it was asked and the entry closest to it."""
    text = " ".join(question.text.split())
    line = f"{format_number(question.asked, locale, digits)}× {text}"
    return line + (f"\n    → {question.guess}" if question.guess else "")
