"""The command menus Telegram shows, per language and per kind of chat; an admin's private
chat has the admins' commands too."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)

from bot.i18n.catalogs import translator
from bot.text.language import LANGUAGES
from bot.tg.context import cosmetic


def command_menu(lang: str, *, group: bool, admin: bool = False) -> list[BotCommand]:
    """The command menu in `lang`; groups get only what makes sense there, an admin's
    private chat the admins' commands too."""
    gettext = translator(lang).gettext
    commands = [
        BotCommand("ask", gettext("Ask a question")),
        BotCommand("summary", gettext("A short summary of the story")),
        BotCommand("help", gettext("How to use the bot")),
    ]
    if not group:
        commands += [
            BotCommand("lang", gettext("Choose the reply language")),
            BotCommand("digits", gettext("Choose how numbers are written")),
            BotCommand("start", gettext("Start")),
        ]
    if admin:
        commands.append(BotCommand("unanswered", gettext("Questions I could not answer")))
    return commands


async def register_commands(bot: Bot, admins: Iterable[int]) -> None:
    """Set the command menus per language, and each admin's in their private chat (refused
    for one who has not started the bot yet: see register_admin_menu); a refusal is logged,
    never fatal."""
    await _register(bot, BotCommandScopeDefault(), group=False)
    await _register(bot, BotCommandScopeAllGroupChats(), group=True)
    for admin in sorted(admins):
        await register_admin_menu(bot, admin)


async def register_admin_menu(bot: Bot, admin: int) -> None:
    """The admin's own menu in their private chat. Telegram refuses it until the admin has
    started the bot, so /start by an admin sets it again."""
    await _register(bot, BotCommandScopeChat(admin), group=False, admin=True)


async def _register(bot: Bot, scope: BotCommandScope, **kind: bool) -> None:
    """One scope's menu in each language, and in English for the other languages."""
    for lang in (None, *LANGUAGES):
        await cosmetic(bot.set_my_commands(command_menu(lang or "en", **kind), scope=scope,
                                           language_code=lang), "setMyCommands")
