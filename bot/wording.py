"""English wording of the command-line reports (the bot's own replies go through gettext)."""


def counted(number: int, one: str, many: str) -> str:
    """`number` and what it counts, in the singular for 1: "1 new entry", "3 new entries"."""
    return f"{number} {one if number == 1 else many}"
