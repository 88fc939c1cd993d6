"""``manage.py revoke_api_token PREFIX_OR_ID [--user USERNAME]``: revoke one API token.

The token is named by the prefix the console lists (``kalm_Ab3dE6x``), by its id, or by the
whole token (for one found in a log or a repository). ``--user`` narrows the search to one
user's tokens. It says on stdout which token it revoked; when nothing was revoked (no such
token, several match, or it already was) it says why on stderr and exits with status 1.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q

from api.models import PREFIX_LENGTH, RAW_PREFIX, ApiToken, token_hash
from audit import services as audit


class Command(BaseCommand):
    help = "Revoke the API token with this prefix, id or value (it stops working at once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token", metavar="PREFIX_OR_ID", help="The prefix the console lists, the id, or the token.")
        parser.add_argument("--user", metavar="USERNAME", help="Only look among this user's tokens.")

    def handle(self, *args: object, token: str, user: str | None, **options: object) -> None:
        token = token.strip().removesuffix("…")
        if not token:
            raise CommandError("Name the token: its prefix (as the console lists it), its id, or the token itself.")
        tokens = ApiToken.objects.select_related("user")
        if user is not None:
            user_model = get_user_model()
            try:
                owner = user_model._default_manager.get_by_natural_key(user)
            except user_model.DoesNotExist:
                raise CommandError(f"No user named {user!r}.") from None
            tokens = tokens.filter(user=owner)
        matches = list(tokens.filter(_lookup(token))[:2])
        if not matches:
            where = f" among the tokens of {user!r}" if user else ""
            hint = f" A prefix has {PREFIX_LENGTH} characters, as the console lists it." if len(token) < PREFIX_LENGTH \
                and token.startswith(RAW_PREFIX) else ""
            raise CommandError(f"No API token matches {token!r}{where}.{hint}")
        if len(matches) > 1:
            raise CommandError(f"Several API tokens match {token!r}; give its id, or --user USERNAME.")
        [found] = matches
        described = f"{found.prefix}… ({found.name or 'no name'}) of {found.user.get_username()}"
        with transaction.atomic():
            revoked = found.revoke(by=None)
            if revoked:
                audit.record(action=audit.Action.API_TOKEN_REVOKED, actor=None, target=found,
                             before={"revoked_at": None}, after={"revoked_at": found.revoked_at},
                             detail="manage.py revoke_api_token")
        if not revoked:
            raise CommandError(f"Token {described} was already revoked on {found.revoked_at:%Y-%m-%d %H:%M} UTC.")
        self.stdout.write(f"Revoked token {described}.")


def _lookup(token: str) -> Q:
    if token.isdigit():
        return Q(pk=int(token))
    if token.startswith(RAW_PREFIX) and len(token) > PREFIX_LENGTH:
        return Q(key_hash=token_hash(token))
    return Q(prefix=token)
