"""What the console's layout shows about sign-in: the lockouts link (managers only) and, on the
two-factor pages, why the user was sent there. Each is worked out when a template first asks
(the public status pages never even load the user for it)."""

from functools import cached_property

from django.http import HttpRequest

from accounts.middleware import must_set_up_second_factor
from incidents.selectors import user_is_manager


class AccountNav:
    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @property
    def _user(self):
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None

    @cached_property
    def lockouts(self) -> bool:
        return self._user is not None and user_is_manager(self._user)

    @cached_property
    def mfa_required_pending(self) -> bool:
        return self._user is not None and must_set_up_second_factor(self.request)


def account_links(request: HttpRequest) -> dict:
    return {"account_nav": AccountNav(request)}
