"""The pre-warmed report renderer follows the Celery worker's life: started with the worker (or its
pool process), stopped with it. Connected in ``ReportsConfig.ready``."""

from celery import current_app
from celery.concurrency.prefork import TaskPool as PreforkPool
from celery.signals import worker_process_init, worker_process_shutdown, worker_ready, worker_shutdown

from reports import rendering, zygote


def connect() -> None:
    """Worker processes that consume the "reports" queue launch their render process as they start.

    Prefork children announce themselves with ``worker_process_init``; the thread and solo
    pools (the Procfile's worker) never send it, so there the worker's own process launches
    it once the worker is ready.
    """
    worker_process_init.connect(_launch_zygote, weak=False, dispatch_uid="reports.zygote.launch")
    worker_process_shutdown.connect(_stop_zygote, weak=False, dispatch_uid="reports.zygote.stop")
    worker_ready.connect(_launch_zygote_unless_prefork, weak=False, dispatch_uid="reports.zygote.ready")
    worker_shutdown.connect(_stop_zygote, weak=False, dispatch_uid="reports.zygote.shutdown")


def _launch_zygote_unless_prefork(sender=None, **_kwargs) -> None:
    pool_cls = getattr(getattr(sender, "controller", None), "pool_cls", None)
    if isinstance(pool_cls, type) and not issubclass(pool_cls, PreforkPool):
        _launch_zygote()


def _launch_zygote(**_kwargs) -> None:
    if rendering.prewarmed() and "reports" in current_app.amqp.queues.consume_from:
        zygote.start(str(rendering.STYLESHEET), wait=False)  # no waiting: Celery times out a slow process start


def _stop_zygote(**_kwargs) -> None:
    zygote.shutdown()
