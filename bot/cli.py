"""The command line: a thin layer over the modules that do the work."""

from __future__ import annotations

import csv
import errno
import io
import logging
import math
import os
import re
import secrets
import sqlite3
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import click
import sqlite_utils
from click.core import ParameterSource

from bot.answering import Answerer, Asker
from bot.config import ConfigError, Settings, encoder_wanted, load_env_file, load_settings
from bot.i18n.formatting import is_known_locale
from bot.kb import spreadsheet
from bot.kb.build import MAX_DAYS, build, ensure_built
from bot.kb.imports import ImportProblem, plan_import, unknown_facts, write_import
from bot.kb.sources import SourceError
from bot.kb.store import ForeignDatabase, connect
from bot.kb.unanswered import logged, report, still_unanswered
from bot.matching.index import load_index
from bot.matching.thresholds import SHIPPED_KEY, Thresholds, load_thresholds, save_thresholds
from bot.matching.vectors import EncodingProgress
from bot.text.language import language_of_locale
from bot.wording import counted

DB_FILE = "faqbot.db_file"  # where the database a command opened is noted, in click's meta

db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite knowledge base (default: $FAQBOT_DB or ./faqbot.db).",
)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _db_file(db_path: Path | None) -> Path:
    """The database file a command uses: --db, else FAQBOT_DB, else ./faqbot.db."""
    return db_path or _settings().db_path


def _connect(db_path: Path | None) -> sqlite_utils.Database:
    """The database at `db_path` (by default the settings'), or a message saying why its
    file cannot be opened or made (a folder in its path is a file, or cannot be made)."""
    path = _db_file(db_path)
    if path.is_dir():  # --db refuses a folder itself, FAQBOT_DB does not
        raise click.ClickException(
            f"{path} is a folder, not a database file: point --db or FAQBOT_DB at a file.")
    click.get_current_context().meta[DB_FILE] = path
    try:
        return connect(path)
    except OSError as exc:
        raise click.ClickException(
            f"the database {path} could not be opened: {_why_not_made(path, exc)}. Point --db "
            "or FAQBOT_DB at a file in a folder you can write to.") from None
    except ForeignDatabase as exc:
        raise click.ClickException(
            f"{path} is not a faqbot database ({exc}) and was left as it was: point --db or "
            "FAQBOT_DB at a faqbot database or at a new file.") from None


def _why_not_made(path: Path, error: OSError) -> str:
    """Why the folders of `path` could not be made: the OS says "File exists" or "Not a
    directory" where a file stands in the way, without naming it."""
    for folder in reversed(path.parents):
        if folder.is_file():
            return f"{folder} is a file, not a folder"
    return error.strerror or str(error)


def _database_problem(error: sqlite3.DatabaseError, path: Path | None) -> str:
    """The line for a database error: its cause where the file and its folder tell it (SQLite
    names none of them), else SQLite's words."""
    told = str(error)
    if path is not None and told == "database is locked":
        return (f"the database {path} is busy: another process is writing to it. Try again "
                "when the other command has finished.")
    cannot = {"unable to open database file", "attempt to write a readonly database"}
    if path is not None and told in cannot:
        folder = path.absolute().parent
        if not os.access(folder, os.W_OK):
            return (f"the database {path} could not be used: its folder {folder} is not "
                    f"writable, and SQLite makes files beside the database ({path.name}-wal, "
                    f"{path.name}-shm). Make the folder writable, or point --db or FAQBOT_DB at "
                    "a file in another folder.")
        if path.exists() and not os.access(path, os.R_OK):
            return (f"the database {path} cannot be read: make the file readable, or point "
                    "--db or FAQBOT_DB at another file.")
        if path.exists() and not os.access(path, os.W_OK):
            return (f"the database {path} is read-only, and this command writes to it: make "
                    "the file writable, or point --db or FAQBOT_DB at another file.")
    return (f"the database could not be used: {told}. If it is not a faqbot database, point "
            "--db or FAQBOT_DB at another file.")


class _Commands(click.Group):
    """The command group: a database error in any command ends in one line naming its cause,
    for the file the command opened."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(_database_problem(exc, ctx.meta.get(DB_FILE))) from None


def open_db(db_path: Path | None) -> sqlite_utils.Database:
    """The knowledge base, compiled from the embedded sources on first use: said on standard
    error, since a mistyped --db or FAQBOT_DB would otherwise be built and used unnoticed."""
    path = _db_file(db_path)
    new = not path.exists()
    db = _connect(path)
    if new:
        click.echo(f"{path} does not exist yet: building it from the embedded knowledge.",
                   err=True)
    try:
        ensure_built(db)
    except SourceError as exc:
        raise click.ClickException(f"the knowledge sources have problems:\n{exc}") from None
    return db


def refresh_index(db: sqlite_utils.Database) -> None:
    """Bring the matcher index up to date now, so the bot and `eval` start without waiting;
    on a terminal, with a progress bar while new phrasings are encoded."""
    if sys.stderr.isatty():
        click.echo("updating the matcher index...", err=True)
    load_index(db, _terminal_bar())


def _terminal_bar() -> EncodingProgress | None:
    """What shows the encoding of new phrasings: a bar on a terminal, nothing elsewhere."""
    return _encoding_bar if sys.stderr.isatty() else None


@contextmanager
def _encoding_bar(name: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error for `total` phrasings the encoder `name` reads."""
    label = f"encoding phrasings ({name.split()[0]})"
    with click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True) as bar:
        yield bar.update


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def cli(verbose: bool) -> None:
    """A bilingual (Arabic and English) Telegram bot answering from a knowledge base."""
    try:
        load_env_file()
        encoder_wanted()  # read deep in the matcher: a value it cannot read is told here
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _known_locale(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--locale as given, if Babel reads it and it is Arabic or English: one it cannot read,
    or of another language (whose numbers no reply is written in), was replaced by the reply
    language without a word."""
    if value is not None and not is_known_locale(value):
        raise click.BadParameter(f"{value!r} is not a locale: give a language, with a region "
                                 "if you like, as in ar, ar-EG or en-GB.")
    if value is not None and language_of_locale(value) is None:
        raise click.BadParameter(f"{value!r} is not a locale of Arabic or English, the "
                                 "languages of the replies: give one, as in ar, ar-EG or en-GB.")
    return value


def _some_question(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """QUESTION as given, unless nothing in it can be seen (spaces, direction marks and
    other invisible characters alone): a command line that sent nothing made a mistake,
    which the bot's "send your question as text" on exit status 0 would not tell."""
    if all(char.isspace() or unicodedata.category(char)[0] in "CZ" for char in value):
        raise click.BadParameter("the question is empty.")
    return value


@cli.command()
@click.argument("question", callback=_some_question)
@click.option("--lang", type=click.Choice(["ar", "en"]), help="Reply language.")
@click.option("--digits", type=click.Choice(["latn", "arab"]), help="Digits to write with.")
@click.option("--locale", callback=_known_locale,
              help="Locale for numbers, e.g. ar-EG (default: the reply language).")
@db_option
def ask(question: str, lang: str | None, digits: str | None, locale: str | None,
        db_path: Path | None) -> None:
    """Answer one QUESTION on standard output."""
    answerer = Answerer(open_db(db_path))
    reply = answerer.answer(question, Asker(lang=lang, locale=locale, digits=digits))
    click.echo(reply.text)
    for number, choice in enumerate(reply.choices, 1):
        click.echo(f"  {number}. {choice.title}")


@cli.group()
def kb() -> None:
    """Build and maintain the knowledge base."""


@kb.command("build")
@click.option("--sources", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Folder of YAML sources (default: the embedded knowledge).")
@db_option
def kb_build(sources: Path | None, db_path: Path | None) -> None:
    """Compile the YAML sources into the database; on any error, change nothing."""
    db = _connect(db_path)
    try:
        counts = build(db, sources)
    except SourceError as exc:
        raise click.ClickException(
            f"the knowledge sources have problems; the database was not changed:\n{exc}"
        ) from None
    click.echo(", ".join(f"{n} {what}" for what, n in counts.items()))
    refresh_index(db)


@kb.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--skip-duplicates", is_flag=True,
              help="Skip rows that repeat an earlier row instead of refusing the file.")
@db_option
def kb_import(file: Path, skip_duplicates: bool, db_path: Path | None) -> None:
    """Add labelled phrasings from FILE: CSV (intent,text[,lang][,answer]), QnA TSV or YAML.

    Rows with the same intent form one entry. Any problem stops the import before anything
    is written. FILE `-` reads a CSV or TSV from standard input.
    """
    try:  # before the database is opened: opening makes it, or brings an old one up to date
        plan = plan_import(file, skip_duplicates=skip_duplicates)
    except ImportProblem as exc:
        raise click.ClickException(f"{exc}\nNothing was imported.") from None
    db = _connect(db_path)
    total = len(plan.phrasings)
    try:
        if sys.stderr.isatty():
            with click.progressbar(length=total, label="importing", file=sys.stderr) as bar:
                counts = write_import(db, plan, progress=bar.update)
        else:
            counts = write_import(db, plan)
    except ImportProblem as exc:  # a curated answer it would replace: never a new database
        raise click.ClickException(f"{exc}\nNothing was imported.") from None
    for line in unknown_facts(db, plan):
        click.echo(line, err=True)
    entries, phrasings = counts["entries"], counts["phrasings"]
    line = (f"{counted(entries, 'new entry', 'new entries')}, "
            f"{counted(phrasings, 'new phrasing', 'new phrasings')}")
    if counts["names"]:
        line += f" ({counts['names']} of them intents' names)"
    if counts["answers"]:
        line += f", {counted(counts['answers'], 'answer', 'answers')} changed"
    if counts["duplicates_skipped"]:
        line += (f", {counted(counts['duplicates_skipped'], 'duplicate row', 'duplicate rows')}"
                 " skipped")
    click.echo(line)
    refresh_index(db)


def _no_minus_zero(ctx: click.Context, param: click.Parameter,
                   value: float | None) -> float | None:
    """A threshold as given, but -0 as 0: the range lets it through, and it was stored and
    shown as -0.000. Not a number (nan) passes the range too, since it compares false with
    both ends: it is refused here."""
    if value is not None and math.isnan(value):
        raise click.BadParameter(f"{value} is not a number between 0 and 1.")
    return 0.0 if value == 0 else value


def _crossing(changes: dict[str, float], current: Thresholds) -> str:
    """What else to give when one threshold is moved past the other, which would stay as it
    is: the check says only what the values would be."""
    moved = replace(current, **changes)
    if moved.suggest <= moved.answer:
        return ""
    if "suggest" not in changes:
        return (f": lower --suggest too, to at most {moved.answer:g} (it stays "
                f"{current.suggest:g} otherwise).")
    if "answer" not in changes:
        return (f": raise --answer too, to at least {moved.suggest:g} (it stays "
                f"{current.answer:g} otherwise).")
    return ""


@kb.command("thresholds")
@click.option("--answer", type=click.FloatRange(0, 1), callback=_no_minus_zero,
              help="Confidence needed to answer.")
@click.option("--suggest", type=click.FloatRange(0, 1), callback=_no_minus_zero,
              help="Confidence needed to offer a choice in \"did you mean\".")
@click.option("--margin", type=click.FloatRange(0, 1, max_open=True), callback=_no_minus_zero,
              help="Lead over the runner-up needed to answer without asking.")
@click.option("--reset", is_flag=True,
              help="Back to those the knowledge base was built with (the curated knowledge "
                   "ships its own), else the built-in defaults.")
@db_option
def kb_thresholds(answer: float | None, suggest: float | None, margin: float | None,
                  reset: bool, db_path: Path | None) -> None:
    """Show or set the confidence thresholds of this knowledge base."""
    changes = {k: v for k, v in (("answer", answer), ("suggest", suggest), ("margin", margin))
               if v is not None}
    if (changes or reset) and not _db_file(db_path).exists():
        raise click.ClickException(
            f"{_db_file(db_path)} does not exist: there is no knowledge base to set thresholds "
            "on. Point --db or FAQBOT_DB at one, or make it with faqbot kb build or kb import.")
    db = open_db(db_path)
    current = load_thresholds(db, SHIPPED_KEY) if reset else load_thresholds(db)
    if changes or reset:
        try:
            save_thresholds(db, replace(current, **changes))
        except ValueError as exc:
            raise click.ClickException(f"{exc}{_crossing(changes, current)}") from None
    shown = load_thresholds(db)
    click.echo(f"answer {shown.answer:.3f}, suggest {shown.suggest:.3f}, margin {shown.margin:.3f}")


@kb.command("unanswered")
@click.option("--days", type=click.IntRange(1, MAX_DAYS), default=30, show_default=True,
              help="How far back to read the questions people asked.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True,
              help="At most this many questions, the most asked first.")
@click.option("--csv", "as_csv", is_flag=True,
              help="Print CSV (intent,text,lang,asked,closest) to fill in the intents and "
                   "give to faqbot kb import.")
@db_option
def kb_unanswered(days: int, limit: int, as_csv: bool, db_path: Path | None) -> None:
    """What people asked in Telegram that the bot did not answer (it declined, only offered
    choices, or found an entry with no answer written) and still does not, the most asked
    first."""
    path = _db_file(db_path)
    if not path.exists():
        raise click.ClickException(
            f"{path} does not exist, so no question has been asked of it. Point --db or "
            "FAQBOT_DB at the database the bot runs on.")
    answerer = Answerer(open_db(db_path))
    asked = logged(answerer.db, days)
    # Each is asked again, minutes for thousands: a terminal sees how far it is.
    with (click.progressbar(asked, label="asking again", file=sys.stderr)
          if sys.stderr.isatty() else nullcontext(asked)) as each:
        questions, answered = report(still_unanswered(answerer, q) for q in each)
    shown = questions[:limit]
    if as_csv:
        table = io.StringIO()
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(["intent", "text", "lang", "asked", "closest"])
        writer.writerows(["", spreadsheet.written(q.text), q.lang, q.asked,
                          spreadsheet.written(q.guess or "")] for q in shown)
        click.echo(table.getvalue(), nl=False)
        return
    count = len(questions)
    line = (f"{counted(count, 'question', 'questions')} not answered in the last "
            f"{counted(days, 'day', 'days')}")
    if answered:
        line += f" ({counted(answered, 'more is', 'more are')} answered now)"
    if count > limit:
        line += f", the {limit} most asked"
    click.echo(line + (":" if shown else "."))
    for q in shown:
        closest = f"  (closest: {q.guess})" if q.guess else ""
        click.echo(f"{q.asked:>5}×  {q.last_asked[:10]}  {q.lang}  {' '.join(q.text.split())}"
                   f"{closest}")


@cli.command("eval")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--sweep", is_flag=True,
              help="Report at a range of answer thresholds instead, to choose them.")
@db_option
def eval_command(file: Path, as_json: bool, sweep: bool, db_path: Path | None) -> None:
    """Run every row of FILE (CSV: intent,text[,lang]) through the bot and report.

    An empty intent or `oos` marks a question the bot should decline; `a|b` accepts either.
    FILE `-` reads standard input.
    """
    import json

    from bot.matching import evaluate as evaluation

    try:
        questions = evaluation.read_questions(file)
    except ImportProblem as exc:
        raise click.ClickException(str(exc)) from None
    answerer = Answerer(open_db(db_path), progress=_terminal_bar())
    if sweep:
        rows = evaluation.sweep(answerer, questions)
        click.echo(json.dumps(rows) if as_json
                   else evaluation.render_sweep(rows, answerer.thresholds))
        return
    if sys.stderr.isatty() and not as_json:
        with click.progressbar(length=len(questions), label="evaluating",
                               file=sys.stderr) as bar:
            report = evaluation.evaluate(answerer, questions, progress=bar.update)
    else:
        report = evaluation.evaluate(answerer, questions)
    click.echo(json.dumps(report, ensure_ascii=False) if as_json
               else evaluation.render_report(report))


def _https_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--webhook-url, if Telegram would post to it: it refuses anything but HTTPS, which was
    told after the token was checked, in the Bot API's words."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        usable = parts.scheme == "https" and bool(parts.hostname)
    except ValueError:  # a bracket left open
        usable = False
    if not usable:
        raise click.BadParameter(f"{value!r} is not an HTTPS URL with a host, such as "
                                 "https://bot.example.org/faqbot: Telegram posts updates only "
                                 "to HTTPS.")
    return value


SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _telegram_secret(ctx: click.Context, param: click.Parameter,
                     value: str | None) -> str | None:
    """--secret-token, if Telegram accepts it (setWebhook refuses any other); not shown when
    refused, being a secret."""
    if value is not None and not SECRET_TOKEN.fullmatch(value):
        raise click.BadParameter("it must be 1 to 256 characters, each a letter A-Z or a-z, a "
                                 "digit, _ or - (Telegram's rule).")
    return value


def _refuse_webhook_options_alone(ctx: click.Context) -> None:
    """A UsageError if --listen, --port or --secret-token is given without --webhook-url:
    polling ignored them, so a forgotten --webhook-url went unnoticed."""
    given = [f"--{name.replace('_', '-')}" for name in ("listen", "port", "secret_token")
             if ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)]
    if given:
        verb = "applies" if len(given) == 1 else "apply"
        raise click.UsageError(f"{' and '.join(given)} {verb} only to a webhook: give "
                               "--webhook-url too, or leave it out to poll.")


@cli.command()
@click.option("--webhook-url", callback=_https_url,
              help="Public HTTPS URL Telegram should post updates to.")
@click.option("--listen", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8443, show_default=True,
              help="Webhook port.")
@click.option("--secret-token", callback=_telegram_secret,
              help="Secret Telegram sends in each webhook request header (1-256 of A-Z a-z "
                   "0-9 _ -).")
@db_option
@click.pass_context
def run(ctx: click.Context, webhook_url: str | None, listen: str, port: int,
        secret_token: str | None, db_path: Path | None) -> None:
    """Run the bot: long polling, or a webhook server with --webhook-url."""
    from telegram import Update
    from telegram.error import InvalidToken, TelegramError

    from bot.tg.app import build_application, protect_logs, webhook_path

    if not webhook_url:
        _refuse_webhook_options_alone(ctx)
    settings = _settings()
    try:
        token = settings.require_token()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if webhook_url:
        _check_webhook_port(listen, port)
    if not logging.getLogger().isEnabledFor(logging.INFO):
        logging.getLogger().setLevel(logging.INFO)
    protect_logs(token)
    db = open_db(db_path or settings.db_path)
    # The index is loaded or learned once the Bot API has accepted the token.
    application = build_application(token=token, base_url=settings.api_base_url, db=db,
                                    admins=settings.admins,
                                    keep_questions_days=settings.keep_questions_days)
    try:
        if webhook_url:
            # Without a secret anyone who reaches the port could post forged updates; one
            # made up here is registered with Telegram by setWebhook, which then sends it.
            secret_token = secret_token or secrets.token_urlsafe(32)
            application.run_webhook(listen=listen, port=port,
                                    url_path=webhook_path(webhook_url), webhook_url=webhook_url,
                                    secret_token=secret_token, allowed_updates=Update.ALL_TYPES)
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        raise click.ClickException(
            "the Bot API refused TELEGRAM_BOT_TOKEN: check it with @BotFather "
            "(and TELEGRAM_API_BASE_URL, if you set it).") from None
    except TelegramError as exc:  # out of reach, or not a Bot API
        raise unusable_api(settings.api_base_url, exc, token) from None


def unusable_api(base_url: str, error: Exception, token: str) -> click.ClickException:
    """The line for a Bot API that could not be used, without the token: python-telegram-bot
    appends it to the base URL, and its errors may quote what it made of that URL."""
    told = str(error)
    for secret in filter(None, (token, token.partition(":")[2])):
        told = told.replace(secret, "<token>")
    return click.ClickException(
        f"the Bot API at {base_url} could not be used ({told}): check the network, and "
        "TELEGRAM_API_BASE_URL if you set it.")


def _check_webhook_port(listen: str, port: int) -> None:
    """Bind the webhook's address for a moment before the Bot API is asked anything: a port
    in use (often by this bot, already running) is told in one line, instead of a traceback
    after setWebhook has given Telegram a new secret that the running bot would refuse."""
    from tornado.netutil import bind_sockets  # what python-telegram-bot's server binds with

    try:
        sockets = bind_sockets(port, listen)
    except OSError as exc:  # in use, not allowed, or not an address of this machine
        in_use = ", or stop what uses that port" if exc.errno == errno.EADDRINUSE else ""
        raise click.ClickException(
            f"the webhook cannot listen on {listen}:{port}: {exc.strerror or exc}. Choose "
            f"another --port or --listen{in_use}.") from None
    for sock in sockets:
        sock.close()


@cli.command()
@db_option
def console(db_path: Path | None) -> None:
    """Chat with the real bot in this terminal, through a local Bot API; no token needed."""
    from bot.tg.console import run_console

    logging.getLogger().setLevel(logging.WARNING)
    run_console(open_db(db_path), keep_questions_days=_settings().keep_questions_days)


def main() -> None:
    """Entry point of the `faqbot` script."""
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
