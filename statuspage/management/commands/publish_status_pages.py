import logging

from django.core.management.base import BaseCommand, CommandError

from incidents.models import Customer
from statuspage import publish_failures, snapshots

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = ("Publish the status pages into the snapshot store now (without Celery): every public page, "
            "or the one given; pages that are not public are removed from the store. One page that "
            "fails does not stop the others (nor `make run`): it is reported here, logged and shown "
            "to staff on the console.")

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
            self._publish(customer)

    def _publish(self, customer: Customer) -> None:
        try:
            changed = snapshots.publish(customer)
        except Exception as error:  # noqa: BLE001 - the next page still gets published
            logger.exception("status page %s could not be published", customer.slug)
            self.stderr.write(f"{customer.slug}: not published ({type(error).__name__}: {error})")
            return
        if not customer.status_page_public:
            self.stdout.write(f"{customer.slug}: not public, not in the store")
            return
        line = f"{customer.slug}: {len(changed)} documents changed"
        failed = [failure.document for failure in publish_failures.for_customers([customer])]
        if failed:
            line += f"; {len(failed)} kept their last good version (did not render: {', '.join(failed)})"
        self.stdout.write(line)
