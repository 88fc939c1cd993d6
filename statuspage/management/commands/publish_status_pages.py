import itertools
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
        for batch in itertools.batched(customers, snapshots.BATCH):
            self._publish(list(batch))

    def _publish(self, customers: list[Customer]) -> None:
        """A batch at a time (``snapshots.publish_many`` reads its pages' facts together)."""
        try:
            changed = snapshots.publish_many(customers)
        except Exception as error:  # noqa: BLE001 - the next batch still gets published
            logger.exception("status pages %s could not be published", ", ".join(c.slug for c in customers))
            for customer in customers:
                self.stderr.write(f"{customer.slug}: not published ({type(error).__name__}: {error})")
            return
        failed: dict[int, list[str]] = {}
        for failure in publish_failures.for_customers(customers):
            failed.setdefault(failure.customer_id, []).append(failure.document)
        for customer in customers:
            result = changed[customer.pk]
            if isinstance(result, Exception):
                self.stderr.write(f"{customer.slug}: not published ({type(result).__name__}: {result})")
                continue
            if not customer.status_page_public:
                self.stdout.write(f"{customer.slug}: not public, not in the store")
                continue
            line = f"{customer.slug}: {len(result)} documents changed"
            if failed.get(customer.pk):
                documents = failed[customer.pk]
                line += f"; {len(documents)} kept their last good version (did not render: {', '.join(documents)})"
            self.stdout.write(line)
