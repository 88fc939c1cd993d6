"""The Celery broker as operations see it: which queues exist, how deep they are, whether it answers.

Read by ``/metrics`` and ``/readyz`` (kalm.metrics, kalm.health) straight from the broker's
storage, without a Celery connection: with Redis a list per queue (kombu keeps priorities
other than 0 in sibling lists named ``<queue>\\x06\\x16<priority>``) and a hash of the
messages workers hold unacknowledged (``acks_late``); with the filesystem transport of
``make run`` one file per waiting message in the transport's folder.
"""

import os
from functools import cache
from pathlib import Path

import redis
from django.conf import settings

# kombu.transport.redis: PRIORITY_STEPS and the separator of a priority's list name.
_PRIORITY_STEPS = (0, 3, 6, 9)
_PRIORITY_SEPARATOR = "\x06\x16"
_UNACKED = "unacked"
_TIMEOUT_SECONDS = 1.0  # a scrape or a readiness probe must not hang on a dead broker


def uses_redis() -> bool:
    return bool(settings.REDIS_URL)


def queue_names() -> list[str]:
    """Every queue Kalm's tasks go to: the default, the routed ones, the status page publish queues."""
    names = [getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")]
    routes = getattr(settings, "CELERY_TASK_ROUTES", {})
    if isinstance(routes, dict):
        names += [route["queue"] for route in routes.values() if isinstance(route, dict) and route.get("queue")]
    names += list(getattr(settings, "KALM_PUBLISH_QUEUES", []))
    return list(dict.fromkeys(names))


@cache
def _client(url: str) -> redis.Redis:
    """One connection pool per process (threads share it), with short timeouts."""
    return redis.Redis.from_url(url, socket_connect_timeout=_TIMEOUT_SECONDS, socket_timeout=_TIMEOUT_SECONDS)


def redis_client() -> redis.Redis:
    return _client(settings.REDIS_URL)


def queue_depths() -> dict[str, int]:
    """Messages waiting per queue (one pipelined round trip with Redis); raises when the broker is down."""
    names = queue_names()
    if uses_redis():
        with redis_client().pipeline(transaction=False) as pipe:
            for name in names:
                for priority in _PRIORITY_STEPS:
                    pipe.llen(f"{name}{_PRIORITY_SEPARATOR}{priority}" if priority else name)
            lengths = pipe.execute()
        steps = len(_PRIORITY_STEPS)
        return {name: sum(lengths[index * steps:(index + 1) * steps]) for index, name in enumerate(names)}
    counts = dict.fromkeys(names, 0)
    with os.scandir(_folder()) as entries:
        for entry in entries:
            # kombu.transport.filesystem names a message "<time>_<uuid>.<queue>.msg".
            queue = entry.name.partition(".")[2].removesuffix(".msg")
            if queue in counts and entry.name.endswith(".msg"):
                counts[queue] += 1
    return counts


def unacknowledged() -> int | None:
    """Messages delivered to workers and not yet acknowledged (Redis only; None otherwise)."""
    return int(redis_client().hlen(_UNACKED)) if uses_redis() else None


def check() -> str:
    """"ok", or raises: Redis answers PING, or the filesystem transport's folder is writable."""
    if uses_redis():
        redis_client().ping()
        return "ok"
    folder = _folder()
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OSError(f"broker folder {folder} is not writable")
    return "ok"


def _folder() -> Path:
    return Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
