from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who does something: an advisor (login + business profile) or a component."""

    login: str
    profile: str = "n1_customer_contact"
    call_id: str | None = None

    def on_call(self, call_id: str | None) -> "Actor":
        return Actor(self.login, self.profile, call_id)


SYSTEM = Actor("system", "system")
