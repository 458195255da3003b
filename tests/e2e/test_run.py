"""`faqbot run` as a separate process, configured only by the environment, polling a Bot API
server on 127.0.0.1: the way the bot is deployed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.tg.loopback import LoopbackBotAPI

TOKEN = "626262:run-process-token-abcdef"
# A process with the stored index loads it in a second or two; twice the time on a busy
# machine, and the sentence encoder's weights on the first question.
STARTING = 60
# A refused token is told before any index is learned (a minute on a new database): this
# is the time to start Python and ask the Bot API, with room for a busy machine.
REFUSED = 30


async def test_faqbot_run_polls_the_configured_api(tmp_path: Path, fresh_db_path: Path) -> None:
    async with LoopbackBotAPI(TOKEN, bot_username="faq_test_bot") as api:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN,
               "TELEGRAM_API_BASE_URL": api.base_url, "FAQBOT_DB": str(fresh_db_path)}
        process = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env,
                                   cwd=tmp_path, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        try:
            english = api.user(701, "Kim", language_code="en")
            arabic = api.user(702, "ليلى", language_code="ar")
            api.send_text(api.private_chat(english), english, "how many companies were tracked")
            api.send_text(api.private_chat(arabic), arabic, "قديش عدد الشركات")
            [reply] = await api.wait_for_sent(701, timeout=STARTING)
            assert "14 public bitcoin mining companies" in reply["text"]
            [reply] = await api.wait_for_sent(702, timeout=10)
            assert "14 شركة" in reply["text"]
        finally:
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Application started" in output
    assert TOKEN not in output


async def test_a_refused_token_is_explained_before_the_index_is_learned(tmp_path: Path) -> None:
    async with LoopbackBotAPI(TOKEN, bot_username="faq_test_bot") as api:
        wrong = "999999:not-the-right-token-at-all"
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": wrong,
               "TELEGRAM_API_BASE_URL": api.base_url, "FAQBOT_DB": str(tmp_path / "kb.db")}
        result = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=REFUSED)
    assert result.returncode == 1
    assert "the Bot API refused TELEGRAM_BOT_TOKEN" in result.stderr
    assert wrong not in result.stdout + result.stderr  # nor in the tracebacks PTB logs
    assert result.stderr.rstrip().endswith("(and TELEGRAM_API_BASE_URL, if you set it).")
    assert "Traceback" not in result.stderr


def test_a_bot_api_out_of_reach_is_told_in_a_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/bot"
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": base_url,
           "FAQBOT_DB": str(tmp_path / "kb.db")}
    result = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=REFUSED)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == (
        f"Error: the Bot API at {base_url} could not be used (httpx.ConnectError: All "
        "connection attempts failed): check the network, and TELEGRAM_API_BASE_URL if you "
        "set it.")


def test_a_webhook_port_in_use_is_told_in_a_line_before_telegram_is_asked(
        tmp_path: Path, fresh_db_path: Path) -> None:
    """A port in use is often this bot, already running: setWebhook with another secret
    would make Telegram's updates to it refused, so nothing is asked of the Bot API."""
    import socket

    with LoopbackBotAPI(TOKEN, bot_username="faq_test_bot") as api, socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN,
               "TELEGRAM_API_BASE_URL": api.base_url, "FAQBOT_DB": str(fresh_db_path)}
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--webhook-url", "https://bot.example.org/hook",
             "--listen", "127.0.0.1", "--port", str(port)],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=STARTING)
        assert api.calls() == []
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == (
        f"Error: the webhook cannot listen on 127.0.0.1:{port}: Address already in use. "
        "Choose another --port or --listen, or stop what uses that port.")


@pytest.mark.parametrize(
    ("url", "message"),
    [("http://", "TELEGRAM_API_BASE_URL must be a URL with a host (and a port from 1 to "
      "65535, if any), such as http://127.0.0.1:8081/bot, got 'http://'."),
     ("http://127.0.0.1:9", "TELEGRAM_API_BASE_URL must end in a path, as in "
      "http://127.0.0.1:8081/bot (the token is appended to it), got 'http://127.0.0.1:9'.")],
)
def test_an_api_url_the_token_cannot_follow_is_named_without_the_token(
        tmp_path: Path, url: str, message: str) -> None:
    """PTB appends the token to the URL: with no host, or no path, its secret half was read
    as a port and shown in the error."""
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": url,
           "FAQBOT_DB": str(tmp_path / "kb.db")}
    result = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=REFUSED)
    assert result.returncode == 1
    assert result.stderr == f"Error: {message}\n"
    assert TOKEN.split(":")[1] not in result.stdout + result.stderr


def test_a_token_broken_over_two_lines_is_named_unshown(tmp_path: Path) -> None:
    """It was sent, and httpx's refusal of the URL made of it was shown."""
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "626262:run-process\ntoken-abcdef",
           "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot", "FAQBOT_DB": str(tmp_path / "kb.db")}
    result = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=REFUSED)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: TELEGRAM_BOT_TOKEN is malformed: it has a space or a line break inside. Copy it "
        "again from @BotFather, as one line.\n")
    assert list(tmp_path.iterdir()) == []
