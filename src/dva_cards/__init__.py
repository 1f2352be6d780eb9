"""dva-cards: spaced-repetition flashcards from your own markdown notes."""

__version__ = "0.1.0"
