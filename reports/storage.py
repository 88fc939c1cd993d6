"""Files in the database: Django's Storage API over ``reports.models.StoredFile``.

Selected by ``KALM_FILE_STORE=database`` (``STORAGES["default"]``; production's default): a
report PDF rendered by a worker on one host is served by the web process of any other host,
with nothing to mount or sync. ``filesystem`` (the development default) keeps them under
``MEDIA_ROOT``. Why our own ~80 lines rather than a package: the PyPI ones we looked at raise
their model's ``DoesNotExist`` for a missing file (Kalm's callers expect ``FileNotFoundError``,
an ``OSError``, as from the file system: a 404, not a 500), race on a taken name, or also keep
a copy on the local disk, which is what a shared store is to avoid.

Names behave as FileSystemStorage's do: a taken name gets a suffix, never an overwrite.
"""

from datetime import datetime
from io import BytesIO

from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.utils.deconstruct import deconstructible

from reports.models import StoredFile

NAME_MAX = StoredFile._meta.get_field("name").max_length


@deconstructible(path="reports.storage.DatabaseStorage")
class DatabaseStorage(Storage):
    """Whole files as ``bytea`` rows; read into memory on open (PDFs of ~100 KB, a few MB at most)."""

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("DatabaseStorage files are written with save(), not opened for writing")
        content = StoredFile.objects.filter(name=name).values_list("content", flat=True).first()
        if content is None:
            raise FileNotFoundError(f"No stored file {name!r}")
        return File(BytesIO(bytes(content)), name=name)

    def _save(self, name: str, content: File) -> str:
        if hasattr(content, "seek"):
            content.seek(0)  # FieldFile.save may hand over a file that was already read
        data = b"".join(content.chunks()) if hasattr(content, "chunks") else content.read()
        while True:
            try:
                with transaction.atomic():
                    StoredFile.objects.create(name=name, content=data, size=len(data))
                return name
            except IntegrityError:  # another process took the name since get_available_name looked
                name = self.get_available_name(name, max_length=NAME_MAX)

    def delete(self, name: str) -> None:
        StoredFile.objects.filter(name=name).delete()

    def exists(self, name: str) -> bool:
        return StoredFile.objects.filter(name=name).exists()

    def size(self, name: str) -> int:
        return self._row(name, "size")

    def get_created_time(self, name: str) -> datetime:
        return self._row(name, "created_at")

    def get_modified_time(self, name: str) -> datetime:
        return self._row(name, "created_at")  # a stored file is never rewritten in place

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = f"{path.strip('/')}/" if path.strip("/") else ""
        directories, files = set(), []
        for name in StoredFile.objects.filter(name__startswith=prefix).values_list("name", flat=True):
            head, slash, _rest = name[len(prefix):].partition("/")
            if slash:
                directories.add(head)
            else:
                files.append(head)
        return sorted(directories), sorted(files)

    def url(self, name: str | None) -> str:
        # Stored files are served only by views that check who asks (signed links, the console).
        raise NotImplementedError("DatabaseStorage files have no public URL")

    @staticmethod
    def _row(name: str, field: str):
        value = StoredFile.objects.filter(name=name).values_list(field, flat=True).first()
        if value is None:
            raise FileNotFoundError(f"No stored file {name!r}")
        return value
