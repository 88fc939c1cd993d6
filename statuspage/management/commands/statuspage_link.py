"""Print a customer's secret status page link: ``manage.py statuspage_link midsize [--rotate]``."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils.http import urlencode

from incidents.models import Customer
from statuspage.access import access_token, rotate_token


class Command(BaseCommand):
    help = "Print the secret link that opens a customer's private status page (created on first use)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the customer's slug, as in /status/<slug>/")
        parser.add_argument("--rotate", action="store_true",
                            help="replace the secret first: old links and the cookies they set stop working")

    def handle(self, *args, slug: str, rotate: bool, **options) -> None:
        customer = Customer.objects.filter(slug=slug).first()
        if customer is None:
            raise CommandError(f"No customer with slug {slug!r}.")
        if rotate:
            token = rotate_token(customer, detail="manage.py statuspage_link --rotate")
        else:
            token = access_token(customer)
        path = reverse("statuspage:page", args=[customer.slug])
        self.stdout.write(f"{settings.SITE_URL}{path}?{urlencode({'token': token})}")
        if customer.status_page_public:
            self.stderr.write(f"Note: {customer.name}'s page is public; the link is only needed once it is private.")
