"""User-facing failures: one message, printed on one line, no traceback unless --debug."""


class UserError(Exception):
    """An anticipated failure the learner can act on (bad path, locked database, unknown deck...)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CardGone(UserError):
    """The card was deleted while a session showed it (a prune or re-import in another process)."""


class CollectionError(UserError):
    """The collection file cannot be opened, read or written safely."""

    exit_code = 2


class CardChanged(UserError):
    """The card's state is not what the session last saw: another dva-cards answered or changed it meanwhile.
    Nothing was written; the session reloads the card."""
