"""Where the shipped data lives: inside the installed package, or beside it in a checkout.

The repository keeps `knowledge/` and `locales/` at its top level; an installed package
carries them as `bot/knowledge` and `bot/locales`. Looking on disk rather than importing
them keeps both layouts working whichever copy of `bot` Python picked up.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `name` ("knowledge" or "locales") that ships with this copy of the bot."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name}/ folder is missing from the installation")
