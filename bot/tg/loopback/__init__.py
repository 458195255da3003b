"""A loopback Telegram Bot API server for end-to-end tests and ``faqbot console``.

Why this exists: tests that mock python-telegram-bot objects cannot catch the mistakes that
break a bot in production -- an HTML reply Telegram refuses to parse, a ``callback_data``
longer than 64 bytes, an edit that changes nothing, a group message the bot never sees because
of privacy mode, a 429 that must be retried. This package runs a small HTTP server on
127.0.0.1 that speaks the Bot API wire protocol (``/bot<TOKEN>/<method>``, the
``{"ok": ...}`` envelope, Telegram's object shapes, error codes and descriptions), so the *real*
:class:`telegram.ext.Application` runs against it unchanged::

    with LoopbackBotAPI(token) as api:
        app = ApplicationBuilder().token(token).base_url(api.base_url) \\
            .base_file_url(api.base_file_url).build()
        alice = api.user(1001, "Alice", "en")
        chat = api.private_chat(alice)
        api.send_text(chat, alice, "/start")
        ...  # run the application, then: await api.wait_for_sent(chat["id"])

The test side injects user activity (texts, stickers, photos, edits, button presses, group
joins) as updates and observes what the bot did (messages, edits, callback answers, chat
actions, commands). Faults are injected with :meth:`LoopbackBotAPI.fail` and
:meth:`LoopbackBotAPI.flood_limit`.

Standard library only. The server runs in a daemon thread with all state behind one
:class:`threading.Condition`, so it works from synchronous code, from pytest, and next to an
asyncio event loop in the same process. Nothing containing the token is ever logged.

Modules, one concern each: :mod:`.api` (the class above), :mod:`.state` (the world model),
:mod:`.methods` and :mod:`.messages` (the Bot API methods), :mod:`.entities` (HTML parse mode,
entities, UTF-16), :mod:`.markup` (keyboards), :mod:`.params` (request bodies),
:mod:`.faults` (injected errors, flood control), :mod:`.dispatch` (request to answer),
:mod:`.server` (HTTP), :mod:`.protocol` (shared wording and limits).

Known, deliberate deviations from Telegram:

* Only the methods the project uses are implemented; any other answers 404 "Not Found".
* Only the HTML parse mode is parsed. "MarkdownV2" and "Markdown" are accepted but the text
  stays as sent, with no formatting entities: the bot never uses them.
* HTML is strict ("strict_html"): a bare ``&`` or ``>`` is rejected, which Telegram itself
  tolerates; the Bot API documentation requires them escaped, so a bot that passes here is
  correct by the documentation, not just by Telegram's leniency.
* Webhooks are stored and reported but never called; updates stay queued for getUpdates.
* Reply keyboards are validated but not kept.
* URLs are auto-detected only with an explicit scheme or a ``www.`` prefix.
* Text and caption limits (4096 / 1024) are counted in UTF-16 code units, which is never more
  lenient than Telegram.
* Error descriptions follow Telegram's wording; a few rare ones (marked "approximate" in the
  code) are best guesses.
"""

from .api import LoopbackBotAPI
from .protocol import DEFAULT_TOKEN, ApiError

__all__ = ["DEFAULT_TOKEN", "ApiError", "LoopbackBotAPI"]
