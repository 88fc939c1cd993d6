from django.core.management.base import BaseCommand

from demo.data import load_demo


class Command(BaseCommand):
    help = "Load the demo customers, logins and incident (idempotent)."

    def handle(self, *args, **options) -> None:
        created = load_demo()
        self.stdout.write("Demo data: " + (", ".join(created) if created else "already present, nothing added"))
