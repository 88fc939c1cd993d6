"""``/metrics``: Kalm's own health in the Prometheus text format, for the MSP's operations team.

A custom collector reads the database and the broker at scrape time (kalm.metric_families), so
every gunicorn process answers the same and no multiprocess mode or shared state is needed.
A part that cannot be read (the broker is down) is left out and reported as
``kalm_scrape_section_ok{section="queues"} 0``; the others are still answered.

Who may scrape: requests from loopback (the client address as ``core.http.client_ip`` sees
it, with ``KALM_TRUSTED_PROXY_COUNT``; a loopback request that carries ``X-Forwarded-For``
while no proxy is trusted came through a local proxy and does not count), and any request
with ``Authorization: Bearer <KALM_METRICS_TOKEN>``. Everyone else gets 403, also when no
token is configured. The endpoint needs no login and no CSRF token: it only reads.
"""

import hmac
import ipaddress
import logging
import time
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core.http import client_ip
from kalm.metric_families import SECTIONS

logger = logging.getLogger(__name__)


class KalmCollector(Collector):
    """Every section of kalm.metric_families, each on its own: one that fails is logged and skipped."""

    def collect(self) -> Iterator[Metric]:
        started, now = time.monotonic(), timezone.now()
        ok = GaugeMetricFamily("kalm_scrape_section_ok", "1 when the section's facts could be read in this scrape, "
                               "0 when it failed (see the log).", labels=["section"])
        for name, section in SECTIONS.items():
            try:
                families = list(section(now))
            except Exception:  # noqa: BLE001 - a broken part must not hide the others
                logger.exception("metrics: section %s failed", name)
                ok.add_metric([name], 0)
                continue
            ok.add_metric([name], 1)
            yield from families
        yield ok
        yield GaugeMetricFamily("kalm_scrape_duration_seconds", "How long this scrape took to read its facts.",
                                value=time.monotonic() - started)


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(KalmCollector())


@login_not_required
@csrf_exempt
@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_scrape(request):
        return HttpResponseForbidden(_("Metrics are served to loopback, or with the metrics token.") + "\n",
                                     content_type="text/plain; charset=utf-8")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def may_scrape(request: HttpRequest) -> bool:
    """The right bearer token (compared in constant time), or a request from this machine."""
    token = settings.KALM_METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    return from_loopback(request)


def from_loopback(request: HttpRequest) -> bool:
    if settings.KALM_TRUSTED_PROXY_COUNT <= 0 and request.headers.get("X-Forwarded-For"):
        return False  # a proxy on this machine forwarded it: the real client is elsewhere
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback
