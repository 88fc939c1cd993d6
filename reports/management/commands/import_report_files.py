"""Copy report PDFs from the media folder into the default storage, once, when switching stores.

An installation that kept its PDFs under ``KALM_VAR_DIR/media/`` (``KALM_FILE_STORE=filesystem``,
docker-compose before it moved them to PostgreSQL) runs this after the switch, on the host whose
media folder holds them, so the signed links already e-mailed keep working. Idempotent: a file
already in the store is left alone; a render whose file is nowhere is reported (it answers 404;
request a new version on the report page).
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.core.management.base import BaseCommand, CommandError

from reports.models import ReportRender


class Command(BaseCommand):
    help = ("Copy the report PDFs under MEDIA_ROOT into the default storage (KALM_FILE_STORE=database), "
            "keeping their names; files already there are skipped.")

    def handle(self, *args, **options) -> None:
        source = FileSystemStorage(location=settings.MEDIA_ROOT)
        if isinstance(storages["default"], FileSystemStorage):
            raise CommandError("The default storage is the file system already: set KALM_FILE_STORE=database.")
        copied = present = missing = 0
        for name in ReportRender.objects.exclude(file="").values_list("file", flat=True).iterator():
            if default_storage.exists(name):
                present += 1
            elif source.exists(name):
                with source.open(name) as file:
                    stored = default_storage.save(name, file)
                if stored != name:  # another copy ran at the same time and stored it first: drop ours
                    default_storage.delete(stored)
                copied += 1
            else:
                missing += 1
                self.stderr.write(f"{name}: not in {settings.MEDIA_ROOT} either")
        self.stdout.write(f"copied {copied}, already stored {present}, missing {missing}")
