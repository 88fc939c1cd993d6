"""RSS and Atom feeds of a customer's incident history (the 50 most recent incidents,
newest first). Each item links to the incident's permalink; its description holds the
public updates. The links carry the query the feed was read with (a private page's secret
link token, so a feed reader can open them; a chosen language, so they open in it).

Built with Django's feed generators directly rather than ``contrib.syndication.views.Feed``:
that class needs a request (for a domain our absolute links do not use), and the snapshot
publisher has none. The fields are the ones ``Feed.get_feed`` would fill from this page.
"""

from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.translation import gettext as _

from core.texts import xml_safe
from incidents.models import Customer
from statuspage.links import absolute, incident_url, page_url
from statuspage.selectors import incident_states
from statuspage.site import Site
from statuspage.states import IncidentState

FEED_ITEMS = 50
FEED_TYPES: dict[str, type[SyndicationFeed]] = {"history-rss": Rss201rev2Feed, "history-atom": Atom1Feed}


def feed_incidents(customer: Customer) -> list[IncidentState]:
    """What a feed lists: the most recent incidents, newest first."""
    return incident_states(customer, limit=FEED_ITEMS)


def history_feed(incidents: list[IncidentState], kind: str, *, site: Site, language: str) -> SyndicationFeed:
    """The filled feed generator (``kind``: a key of FEED_TYPES, also its URL name); call inside the
    page's language and time zone, as the item descriptions are rendered here."""
    query = site.machine_query
    description = xml_safe(_("Incidents and their public updates on the %(name)s status page.") % {"name": site.name})
    feed = FEED_TYPES[kind](
        title=xml_safe(_("%(name)s – incident history") % {"name": site.name}),
        subtitle=description,
        link=page_url(site.slug, query=query),
        description=description,
        language=language,
        feed_url=absolute(kind, site.slug, query=query),
        feed_guid=absolute(kind, site.slug),
    )
    for incident in incidents:
        feed.add_item(
            title=xml_safe(f"{incident.title} ({incident.status_label})"),
            link=incident_url(site.slug, incident.number, query=query),
            description=xml_safe(render_to_string("statuspage/feed_item.html", {"incident": incident})),
            unique_id=incident_url(site.slug, incident.number),
            # With a secret token in the link, the guid (without it) would not open the item.
            unique_id_is_permalink=not site.token,
            pubdate=incident.started_at,
            updateddate=incident.updated_at,
        )
    return feed
