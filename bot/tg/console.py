"""`faqbot console`: chat with the real bot in a terminal, no token and no network.

The same Application and handlers as `faqbot run`, polling a Bot API server on 127.0.0.1
that this process starts; what you type is sent as a Telegram user's messages.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import secrets
import threading
from typing import TextIO

import sqlite_utils

from bot.answering import Answerer
from bot.tg.app import build_application
from bot.tg.loopback import LoopbackBotAPI

_TAG = re.compile(r"<[^>]+>")
CONSOLE_USER = 1001


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


class Console:
    """Prints what the bot sends; numbers typed by the user press the latest buttons."""

    def __init__(self, api: LoopbackBotAPI, out: TextIO) -> None:
        self.api = api
        self.out = out
        self.lock = threading.Lock()
        self.buttons: tuple[dict, list[str]] | None = None
        self.received = threading.Semaphore(0)
        api.subscribe(self.on_event)

    def wait_for_reply(self, timeout: float = 10.0) -> None:
        """Let the bot answer before the next line is sent (piped input arrives all at once)."""
        if self.received.acquire(timeout=timeout):
            while self.received.acquire(timeout=0.2):
                pass

    def on_event(self, event: str, message: dict) -> None:
        """Show each message the bot sends, with its inline buttons numbered."""
        if event not in ("sent", "edited") or "text" not in message:
            return
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = [b for row in rows for b in row if "callback_data" in b]
        with self.lock:
            self.out.write(f"\nbot: {_plain(message['text'])}\n")
            for number, button in enumerate(buttons, 1):
                self.out.write(f"     [{number}] {button['text']}\n")
            if buttons:
                self.buttons = (message, [b["callback_data"] for b in buttons])
            self.out.write("> ")
            self.out.flush()
        self.received.release()


async def _serve(application, stop: asyncio.Event) -> None:
    async with application:
        await application.post_init(application)  # as run_polling() does: command menus
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=5)
        await stop.wait()
        await application.updater.stop()
        await application.stop()


def _readable(line: str) -> str:
    """A line of the terminal with what was not UTF-8 (read as lone surrogates) shown as
    U+FFFD: the Bot API carries only valid text."""
    return line.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def run_console(db: sqlite_utils.Database, *, keep_questions_days: int) -> None:
    """Run the bot against a local Bot API and relay the terminal to it until EOF or /quit;
    it keeps the questions it logs as the bot does (see build_application)."""
    import sys

    stdin, stdout = sys.stdin, sys.stdout
    token = f"{secrets.randbelow(10**9)}:console-{secrets.token_hex(8)}"
    locale = (os.environ.get("LANG") or "en").split(".")[0].replace("_", "-")
    with LoopbackBotAPI(token, bot_username="faqbot", bot_first_name="FAQ bot") as api:
        user = api.user(CONSOLE_USER, "You", language_code=locale)
        chat = api.private_chat(user)
        console = Console(api, stdout)
        application = build_application(token=token, base_url=api.base_url,
                                        base_file_url=api.base_file_url, db=db,
                                        answerer=Answerer(db),
                                        keep_questions_days=keep_questions_days)
        loop = asyncio.new_event_loop()
        stop = asyncio.Event()
        thread = threading.Thread(target=loop.run_until_complete,
                                  args=(_serve(application, stop),), daemon=True)
        thread.start()
        stdout.write("Chat with the bot: type a question (Arabic or English), a command such as "
                     "/help, or the number of a button. /quit or Ctrl-D ends.\n> ")
        stdout.flush()
        api.send_text(chat, user, "/start")
        console.wait_for_reply()
        for line in stdin:
            line = _readable(line).strip()
            if line in ("/quit", "/exit"):
                break
            if not line:
                continue
            pending = console.buttons
            if line.isdigit() and pending and 0 < int(line) <= len(pending[1]):
                api.press(pending[0], pending[1][int(line) - 1], user)
            else:
                api.send_text(chat, user, line)
            console.wait_for_reply()
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        stdout.write("\n")
