from django.core.management.base import BaseCommand, CommandError

from incidents.models import Customer
from statuspage import snapshots


class Command(BaseCommand):
    help = ("Publish the status pages into the snapshot store now (without Celery): every public page, "
            "or the one given; pages that are not public are removed from the store.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--slug", help="only this customer's page")

    def handle(self, *args, slug: str | None = None, **options) -> None:
        customers = Customer.objects.order_by("slug")
        if slug is not None:
            customers = customers.filter(slug=slug)
            if not customers.exists():
                raise CommandError(f"No customer with slug {slug!r}.")
        else:
            for stale in snapshots.prune_store():
                self.stdout.write(f"{stale}: removed (not public)")
        for customer in customers:
            changed = snapshots.publish(customer)
            public = customer.status_page_public
            self.stdout.write(f"{customer.slug}: " + (f"{len(changed)} documents changed" if public
                                                       else "not public, not in the store"))
