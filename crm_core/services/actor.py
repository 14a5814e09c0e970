from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Actor:
    """Who does something: an advisor (login, business profile, effective permissions) or a component."""

    login: str
    profile: str = "n1_customer_contact"
    call_id: str | None = None
    permissions: frozenset[str] = field(default_factory=frozenset)
    centre: str | None = None  # code of the advisor's centre (supervisors act on their centre's calls)

    def on_call(self, call_id: str | None) -> "Actor":
        return replace(self, call_id=call_id)

    def can(self, permission: str) -> bool:
        return permission in self.permissions
