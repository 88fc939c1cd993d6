"""What the console's layout shows about sign-in: the lockouts link (managers only) and, on the
two-factor pages, why the user was sent there. Lazy: pages that do not show them pay nothing
(the public status pages never even load the user for it)."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.middleware import must_set_up_second_factor
from incidents.selectors import user_is_manager


def account_links(request: HttpRequest) -> dict:
    def links() -> dict:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        return {
            "lockouts": signed_in and user_is_manager(user),
            "mfa_required_pending": signed_in and must_set_up_second_factor(request),
        }

    return {"account_nav": SimpleLazyObject(links)}
