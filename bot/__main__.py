"""`python -m bot` is `faqbot`."""

from bot.cli import main

main()
