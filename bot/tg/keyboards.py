"""Inline keyboards and the callback data they carry.

Callback data names an action and an id, `action:arg[:arg]`, within Telegram's 64 bytes.
It only says what was pressed; it never grants a right.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answering import Choice
from bot.text.language import LANGUAGES

ENTRY = "e"
LANG = "lang"
DIGITS = "digits"
LANG_CHOICES = (*LANGUAGES, "auto")
DIGITS_CHOICES = ("latn", "arab", "auto")
MAX_BUTTON_TEXT = 64


def _label(text: str) -> str:
    return text if len(text) <= MAX_BUTTON_TEXT else text[: MAX_BUTTON_TEXT - 1] + "…"


def choices_keyboard(choices: tuple[Choice, ...], lang: str) -> InlineKeyboardMarkup:
    """One button per "did you mean" choice; pressing it answers that entry in `lang`."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(_label(c.title), callback_data=f"{ENTRY}:{c.key}:{lang}")]
         for c in choices]
    )


def language_keyboard() -> InlineKeyboardMarkup:
    """Pick the reply language; each language is named in itself."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("العربية", callback_data=f"{LANG}:ar"),
        InlineKeyboardButton("English", callback_data=f"{LANG}:en"),
        InlineKeyboardButton("🔤 Auto / تلقائي", callback_data=f"{LANG}:auto"),
    ]])


def digits_keyboard(auto_label: str) -> InlineKeyboardMarkup:
    """Pick Latin or Arabic-Indic digits, or follow the locale."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("0123", callback_data=f"{DIGITS}:latn"),
        InlineKeyboardButton("٠١٢٣", callback_data=f"{DIGITS}:arab"),
        InlineKeyboardButton(auto_label, callback_data=f"{DIGITS}:auto"),
    ]])


def parse(data: str | None) -> tuple[str, list[str]]:
    """Split callback data into its action and arguments (("", []) for none); an action
    no handler knows is left to the handlers' patterns to ignore."""
    if not data:
        return "", []
    action, *args = data.split(":")
    return action, args


def choice_pattern(action: str, choices: tuple[str, ...]) -> str:
    """The callback data of a button choosing one of `choices`: anything else (data forged,
    or from another version) is left to the handler of expired buttons."""
    return rf"^{action}:({'|'.join(choices)})$"


def chosen(data: str) -> str:
    """The choice in callback data that matched choice_pattern."""
    return parse(data)[1][0]
