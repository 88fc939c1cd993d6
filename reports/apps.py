from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Post-incident reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        _prewarm_in_report_workers()


def _prewarm_in_report_workers() -> None:
    """Worker processes that consume the "reports" queue launch their render process as they start.

    Prefork children announce themselves with ``worker_process_init``; the thread and solo
    pools (the Procfile's worker) never send it, so there the worker's own process launches
    it once the worker is ready.
    """
    from celery.signals import worker_process_init, worker_process_shutdown, worker_ready, worker_shutdown

    worker_process_init.connect(_launch_zygote, weak=False, dispatch_uid="reports.zygote.launch")
    worker_process_shutdown.connect(_stop_zygote, weak=False, dispatch_uid="reports.zygote.stop")
    worker_ready.connect(_launch_zygote_unless_prefork, weak=False, dispatch_uid="reports.zygote.ready")
    worker_shutdown.connect(_stop_zygote, weak=False, dispatch_uid="reports.zygote.shutdown")


def _launch_zygote_unless_prefork(sender=None, **_kwargs) -> None:
    from celery.concurrency.prefork import TaskPool as PreforkPool

    pool_cls = getattr(getattr(sender, "controller", None), "pool_cls", None)
    if isinstance(pool_cls, type) and not issubclass(pool_cls, PreforkPool):
        _launch_zygote()


def _launch_zygote(**_kwargs) -> None:
    from celery import current_app

    from reports import rendering, zygote

    if rendering.prewarmed() and "reports" in current_app.amqp.queues.consume_from:
        zygote.start(str(rendering.STYLESHEET), wait=False)  # no waiting: Celery times out a slow process start


def _stop_zygote(**_kwargs) -> None:
    from reports import zygote

    zygote.shutdown()
