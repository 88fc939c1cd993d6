"""Whether the console shows links to the audit trail (managers only); worked out only when a
template asks."""

from functools import cached_property

from django.http import HttpRequest

from audit.selectors import user_may_read_audit


class AuditNav:
    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def visible(self) -> bool:
        user = getattr(self.request, "user", None)
        return user is not None and user_may_read_audit(user)


def audit_links(request: HttpRequest) -> dict:
    return {"audit_nav": AuditNav(request)}
