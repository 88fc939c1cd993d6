"""``manage.py intake_url KIND --customer SLUG [--policy publish|draft]``: one line, the full webhook
address (secret included) of that customer's integration of KIND, created if it has none."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.models import Customer
from intake.integrations import integration_get_or_create, webhook_url
from intake.models import Kind, Policy


class Command(BaseCommand):
    help = "Print the webhook URL of a customer's monitoring integration (created if needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=Kind.values)
        parser.add_argument("--customer", required=True, help="the customer's slug")
        parser.add_argument("--policy", choices=Policy.values, help="publish at once, or draft for a person")

    def handle(self, *args, kind: str, customer: str, policy: str | None, **options) -> None:
        found = Customer.objects.filter(slug=customer).first()
        if found is None:
            raise CommandError(f"No customer with the slug {customer!r}.")
        integration = integration_get_or_create(customer=found, kind=kind, policy=policy)
        self.stdout.write(webhook_url(integration))
