"""What a status page document knows about the page it is on, and which query its links carry.

A plain value, built from a request by the views (``statuspage.responses``) and without one by
the snapshot publisher (``statuspage.snapshots``): the documents (``statuspage.documents``)
read only this, so both give the same bytes for the same page, language and links.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime

from incidents.models import Customer
from statuspage.links import lang_query


@dataclass(frozen=True, slots=True)
class Site:
    """The page's public facts and the visitor's link choices (the templates read it as ``site``)."""

    name: str
    slug: str
    time_zone: str
    private: bool
    lang: str  # the ?lang= the visitor chose, "" for the customer's default
    token: str = ""  # a private page opened by its secret link: feeds and calendars need it in their links
    # When the page began: the date of a feed with no items yet (a fixed moment, so its bytes never churn).
    since: datetime = datetime(2000, 1, 1, tzinfo=UTC)

    @classmethod
    def of(cls, customer: Customer, *, private: bool = False, lang: str = "", token: str = "") -> "Site":
        # The customer's own language is what the page shows without ``?lang=``: its links need none, so the
        # page asked for with ``?lang=<its language>`` is the same document as the one without (rendered once).
        lang = "" if lang == customer.language else lang
        return cls(name=customer.name, slug=customer.slug, time_zone=customer.time_zone, private=private,
                   lang=lang, token=token, since=customer.created_at)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        """The zone the page shows times in (the customer's, as ``Customer.tzinfo``)."""
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def lang_query(self) -> str:
        """Links within the site (history, permalinks, subscribe) and inside the JSON: the chosen language."""
        return lang_query(self.lang)

    @property
    def machine_query(self) -> str:
        """Links to the feeds, calendar, JSON and badge, and inside feeds and calendars (all read outside
        this browser, so without its cookie): the chosen language and the secret link token."""
        return lang_query(self.lang, token=self.token)
