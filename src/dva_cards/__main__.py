"""`python -m dva_cards`: the same command line as `dva-cards`."""

from dva_cards.cli import app

app(prog_name="dva-cards")
