"""The installed package carries every subpackage and its data."""

import tomllib
from pathlib import Path

from bot.paths import data_dir

ROOT = Path(__file__).resolve().parents[2]


def test_every_subpackage_is_listed_for_installation() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"])
    package = ROOT / "bot"  # the source tree, whichever copy of bot is imported
    found = {".".join(("bot", *p.parent.relative_to(package).parts))
             for p in package.rglob("__init__.py")}
    assert "bot.tg.loopback" in found
    assert found <= listed


def test_data_ships_with_the_code() -> None:
    assert (data_dir("knowledge") / "faq.yaml").is_file()
    assert (data_dir("locales") / "ar" / "LC_MESSAGES" / "messages.mo").is_file()
