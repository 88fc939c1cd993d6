"""``manage.py create_api_token USERNAME [--name NAME]``: issue a token for the JSON API.

Only the token goes to stdout, so scripts can capture it (``TOKEN=$(manage.py …)``);
anything else goes to stderr. The token is shown this once: only its hash is stored.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.selectors import user_is_msp_staff
from kalm.models import ApiToken

NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print it (only the token, on stdout)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--name", default="", help=f"What the token is for, e.g. alertmanager (at most {NAME_MAX_LENGTH} chars)."
        )

    def handle(self, *args: object, username: str, name: str, **options: object) -> None:
        if len(name) > NAME_MAX_LENGTH:
            raise CommandError(f"The name is too long: at most {NAME_MAX_LENGTH} characters.")
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; the API refuses inactive users.")
        if not user_is_msp_staff(user):
            self.stderr.write(f"Warning: {username!r} has no customers and is not a manager; the API will answer 403.")
        _token, raw = ApiToken.issue(user=user, name=name)
        self.stdout.write(raw)
