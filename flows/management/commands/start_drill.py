"""``manage.py start_drill SLUG [--scenario NAME]``: start a drill for the customer SLUG.

The drill is opened as the console's "Start drill" button opens it (flows.drills.start_drill):
internal messages only, nothing public. The default scenario is seed 000's outage
(``midsize-outage``). The last line of the output is the drill's incident number and nothing
else, for scripts; an unknown customer or scenario is an error naming it.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from flows.drill_scenarios import DEFAULT_SCENARIO, SCENARIOS
from flows.drills import start_drill
from incidents.models import Customer


class Command(BaseCommand):
    help = "Start a drill (a practice incident: internal messages only, nothing public) for a customer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", metavar="SLUG", help="The customer's slug, e.g. midsize.")
        parser.add_argument("--scenario", metavar="NAME", default=DEFAULT_SCENARIO,
                            help=f"The scenario (default {DEFAULT_SCENARIO}; known: {', '.join(SCENARIOS)}).")

    def handle(self, *args: object, slug: str, scenario: str, **options: object) -> None:
        customer = Customer.objects.filter(slug=slug).first()
        if customer is None:
            raise CommandError(f"No customer with the slug {slug!r}.")
        if scenario not in SCENARIOS:
            raise CommandError(f"No drill scenario named {scenario!r}; known: {', '.join(SCENARIOS)}.")
        try:
            incident = start_drill(customer, scenario, started_by=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Drill {scenario!r} started for {customer.name}; its incident number:")
        self.stdout.write(incident.first_link.number)
