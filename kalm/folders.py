"""The folders Kalm's settings point at, created when a process starts (``KalmConfig.ready``).

Every process Kalm runs — ``manage.py``, gunicorn, the Celery worker and beat (Celery's Django
fixup sets Django up before either starts) — creates what its settings need, wherever
``KALM_VAR_DIR`` (or ``KALM_SNAPSHOT_DIR``, ``DATABASE_URL``) puts it: the SQLite file's folder,
kombu's filesystem broker, mail files, published snapshots, uploaded and rendered files, beat's
schedule. Nothing outside Kalm (the Makefile, an entrypoint) has to know the layout.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def needed_folders() -> list[tuple[Path, str]]:
    """(folder, the setting that put it there) for everything this configuration writes to disk."""
    folders = [(Path(settings.VAR_DIR), "KALM_VAR_DIR"), (Path(settings.MEDIA_ROOT), "KALM_VAR_DIR"),
               (Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent, "KALM_VAR_DIR")]
    database = settings.DATABASES["default"]
    name = str(database.get("NAME") or "")
    if database["ENGINE"] == "django.db.backends.sqlite3" and name and name != ":memory:" \
            and not name.startswith("file:"):
        folders.append((Path(name).parent, "DATABASE_URL"))
    if settings.CELERY_BROKER_URL.startswith("filesystem:"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        folders += [(Path(options[key]), "KALM_VAR_DIR")
                    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
                    if options.get(key)]
    mailer = settings.MAILERS["default"]
    if mailer["BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
        folders.append((Path(mailer["OPTIONS"]["file_path"]), "KALM_VAR_DIR"))
    if settings.KALM_STATUS_SNAPSHOTS:
        folders.append((Path(settings.KALM_SNAPSHOT_DIR), "KALM_SNAPSHOT_DIR"))
    return list(dict.fromkeys(folders))


def create_folders() -> None:
    """Create the folders; one that cannot be created stops start-up naming its setting."""
    for folder, setting in needed_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ImproperlyConfigured(f"{setting}: cannot create the folder {folder}: {error}") from error
