"""``manage.py create_api_token USERNAME [--name NAME] [--scope read|write] [--days N]``: issue a
token for the JSON API.

Only the token goes to stdout, so scripts can capture it (``TOKEN=$(manage.py …)``);
anything else goes to stderr. The token is shown this once: only its hash is stored.
``--scope`` defaults to ``write`` (what tokens from this command always could do), ``--days``
to ``KALM_API_TOKEN_DAYS``; ``manage.py revoke_api_token`` ends a token early.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from api.models import MAX_DAYS, MIN_DAYS, ApiToken, Scope, audited_token_facts
from audit import services as audit
from incidents.selectors import user_is_msp_staff

NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print it (only the token, on stdout)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--name", default="", help=f"What the token is for, e.g. alertmanager (at most {NAME_MAX_LENGTH} chars)."
        )
        parser.add_argument("--scope", choices=Scope.values, default=Scope.WRITE,
                            help="read: GET and HEAD only; write (default): everything the user may do.")
        parser.add_argument("--days", type=int, default=None,
                            help=f"Days until it expires, {MIN_DAYS} to {MAX_DAYS} (default: KALM_API_TOKEN_DAYS).")

    def handle(self, *args: object, username: str, name: str, scope: str, days: int | None,
               **options: object) -> None:
        if len(name) > NAME_MAX_LENGTH:
            raise CommandError(f"The name is too long: at most {NAME_MAX_LENGTH} characters.")
        if days is not None and not MIN_DAYS <= days <= MAX_DAYS:
            raise CommandError(f"--days must be between {MIN_DAYS} and {MAX_DAYS}; got {days}.")
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; the API refuses inactive users.")
        if not user_is_msp_staff(user):
            self.stderr.write(f"Warning: {username!r} has no customers and is not a manager; the API will answer 403.")
        try:
            with transaction.atomic():
                token, raw = ApiToken.issue(user=user, name=name, scope=scope, days=days)
                audit.record(action=audit.Action.API_TOKEN_CREATED, actor=None, target=token,
                             after=audited_token_facts(token), only_changes=False,
                             detail="manage.py create_api_token")
        except ValidationError as error:  # the checks above catch everything it checks; keep its words if not
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(raw)
