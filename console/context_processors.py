"""Problems shown on every console page: failed deliveries, quarantined endpoints, and status page
documents that did not render at their last publish.

The numbers are read lazily: nothing is queried unless a template shows them (htmx
partials do not, so pollers stay cheap); then the staff check and short SELECTs scoped by the
user's customers. The failed-delivery count is kept in the cache per user for a minute, or until
another delivery fails (the newest failed delivery's id is in the key): every console page shows
it, and counting a large delivery table on each one is what issue 14 measured.
"""

from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from comms import selectors
from comms.directory.addresses import masked_address
from comms.models import EndpointHealth
from console.mailbox import mail_directory
from incidents.selectors import customers_for_user, user_is_msp_staff
from statuspage import publish_failures
from statuspage.models import PublishFailure

CONSOLE_PREFIX = "/console/"
ALERT_WINDOW = timedelta(days=7)
FAILED_COUNT_SECONDS = 60


class DeliveryAlerts:
    def __init__(self, user: AbstractBaseUser) -> None:
        self._user = user

    @cached_property
    def _is_staff(self) -> bool:
        return user_is_msp_staff(self._user)

    @cached_property
    def failed_count(self) -> int:
        """FAILED deliveries created in the last seven days (at most a minute old)."""
        if not self._is_staff:
            return 0
        key = f"console:failed-deliveries:{self._user.pk}:{selectors.newest_failed_delivery_id()}"
        return cache.get_or_set(key, self._count_failed, timeout=FAILED_COUNT_SECONDS)

    def _count_failed(self) -> int:
        return selectors.failed_delivery_count(self._user, since=timezone.now() - ALERT_WINDOW)

    @property
    def mailbox_available(self) -> bool:
        """The development mail viewer exists (DEBUG with file-based e-mail)."""
        return settings.DEBUG and mail_directory() is not None

    @cached_property
    def quarantined(self) -> list[EndpointHealth]:
        if not self._is_staff or not selectors.any_endpoint_quarantined():
            return []  # the usual page: one step down an index, not a match against every stakeholder
        endpoints = selectors.quarantined_endpoints_for_user(self._user)
        for endpoint in endpoints:  # the URL's path is a secret: show the host only
            endpoint.shown_address = masked_address(endpoint.channel, endpoint.address)
        return endpoints

    @cached_property
    def page_failures(self) -> list[PublishFailure]:
        """Status page documents of the user's customers that kept their last good version."""
        if not self._is_staff or not PublishFailure.objects.exists():
            return []  # as a rule nothing failed: no join over the user's customers
        return publish_failures.for_customers(customers_for_user(self._user))


def delivery_alerts(request: HttpRequest) -> dict[str, DeliveryAlerts]:
    if not request.path.startswith(CONSOLE_PREFIX):
        return {}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"delivery_alerts": DeliveryAlerts(user)}
