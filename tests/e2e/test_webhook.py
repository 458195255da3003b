"""Webhook mode: PTB's webhook server with Telegram's secret-token header checked."""

from __future__ import annotations

import socket

import httpx
from telegram import Update

from bot.answering import Answerer
from bot.tg.app import build_application, webhook_path
from bot.tg.loopback import LoopbackBotAPI

TOKEN = "515151:webhook-test-token"
SECRET = "s3cret-Token_value"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_webhook_path() -> None:
    assert webhook_path("https://bot.example.org/faqbot/hook/") == "faqbot/hook"
    assert webhook_path("https://bot.example.org") == ""


async def test_webhook_checks_the_secret_and_answers(fresh_db) -> None:
    port = _free_port()
    url = f"https://bot.example.org/tg/{SECRET[:4]}"
    async with LoopbackBotAPI(TOKEN, bot_username="faq_test_bot") as api:
        user = api.user(601, "Nour", language_code="ar")
        chat = api.private_chat(user)
        application = build_application(token=TOKEN, base_url=api.base_url, db=fresh_db,
                                         answerer=Answerer(fresh_db))
        async with application:
            await application.start()
            await application.updater.start_webhook(
                listen="127.0.0.1", port=port, url_path=webhook_path(url), webhook_url=url,
                secret_token=SECRET, allowed_updates=Update.ALL_TYPES)
            try:
                [(_, registered)] = api.calls("setWebhook")
                assert registered["url"] == url
                assert registered["secret_token"] == SECRET
                update = {"update_id": 1, "message": {
                    "message_id": 1, "date": 0, "chat": chat, "from": user,
                    "text": "متى كان التنصيف؟"}}
                endpoint = f"http://127.0.0.1:{port}/{webhook_path(url)}"
                async with httpx.AsyncClient() as client:
                    refused = await client.post(endpoint, json=update)
                    wrong = await client.post(endpoint, json=update, headers={
                        "X-Telegram-Bot-Api-Secret-Token": "guess"})
                    accepted = await client.post(endpoint, json=update, headers={
                        "X-Telegram-Bot-Api-Secret-Token": SECRET})
                assert (refused.status_code, wrong.status_code) == (403, 403)
                assert accepted.status_code == 200
                [reply] = await api.wait_for_sent(chat["id"])
                assert "2024" in reply["text"]
            finally:
                await application.updater.stop()
                await application.stop()
