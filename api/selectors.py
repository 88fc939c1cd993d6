"""Which tokens a user may see and revoke: managers (``incidents.selectors.user_is_manager``)
every user's, anyone else only their own."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from api.models import ApiToken
from incidents.selectors import user_is_manager


def tokens_for_user(user: AbstractBaseUser) -> QuerySet[ApiToken]:
    tokens = ApiToken.objects.select_related("user", "revoked_by")
    if user_is_manager(user):
        return tokens.order_by("user__username", "-created_at")
    return tokens.filter(user=user)


def token_for_user_or_404(user: AbstractBaseUser, *, pk: int) -> ApiToken:
    token = tokens_for_user(user).filter(pk=pk).first()
    if token is None:
        raise Http404("No such token")
    return token
