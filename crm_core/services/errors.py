"""Domain errors the API maps to HTTP problems (messages in French, shown to advisors)."""


class NotFound(LookupError):
    pass


class StaleVersion(RuntimeError):
    """The edit was based on a version of the customer that someone else has changed since."""

    def __init__(self, current: int) -> None:
        super().__init__("Ce client a été modifié entre-temps par quelqu'un d'autre : rechargez la fiche et "
                         "refaites la modification.")
        self.current = current


class Conflict(RuntimeError):
    """The act cannot be done in the customer's current state (already held option, ineligible…)."""


class CallRequired(ValueError):
    """The request must be made on a call (``X-Call-Id``): a 400 in French."""


class Unavailable(RuntimeError):
    """A component the request needs (the Rasa server…) did not do it: a 503 in French, nothing changed."""
