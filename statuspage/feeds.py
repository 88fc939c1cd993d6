"""RSS and Atom feeds of a customer's incident history (the 50 most recent incidents,
newest first). Each item links to the incident's permalink; its description holds the
public updates. Built per request for one ``Access`` (a private page's feed links carry
its secret link token, so a feed reader can open them) and language (a feed read with
``?lang=`` links to the pages in that language)."""

from django.contrib.syndication.views import Feed
from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.translation import gettext as _

from statuspage.access import Access
from statuspage.links import absolute, incident_url, lang_query, page_url
from statuspage.selectors import incident_states
from statuspage.states import IncidentState

FEED_ITEMS = 50


class IncidentHistoryFeed(Feed):
    def __init__(self, access: Access, feed_type: type[SyndicationFeed], view_name: str, *, lang: str = "") -> None:
        super().__init__()
        self.access = access
        # Links open where the feed was read: the secret link's token, the language it was asked in.
        self.query = lang_query(lang, **access.link_params)
        self.customer = access.customer
        self.feed_type = feed_type
        self.view_name = view_name

    def title(self) -> str:
        return _("%(name)s – incident history") % {"name": self.customer.name}

    def description(self) -> str:
        return _("Incidents and their public updates on the %(name)s status page.") % {"name": self.customer.name}

    def subtitle(self) -> str:
        return self.description()

    def link(self) -> str:
        return page_url(self.customer.slug, query=self.query)

    def feed_url(self) -> str:
        return absolute(self.view_name, self.customer.slug, query=self.query)

    def feed_guid(self) -> str:
        return absolute(self.view_name, self.customer.slug)

    def items(self) -> list[IncidentState]:
        return incident_states(self.customer, limit=FEED_ITEMS)

    def item_title(self, item: IncidentState) -> str:
        return f"{item.title} ({item.status_label})"

    def item_description(self, item: IncidentState) -> str:
        return render_to_string("statuspage/feed_item.html", {"incident": item})

    def item_link(self, item: IncidentState) -> str:
        return incident_url(self.customer.slug, item.number, query=self.query)

    def item_guid(self, item: IncidentState) -> str:
        return incident_url(self.customer.slug, item.number)

    def item_guid_is_permalink(self, item: IncidentState) -> bool:
        return not self.access.link_query

    def item_pubdate(self, item: IncidentState):
        return item.started_at

    def item_updateddate(self, item: IncidentState):
        return item.updated_at


FEED_TYPES = {"history-rss": Rss201rev2Feed, "history-atom": Atom1Feed}
