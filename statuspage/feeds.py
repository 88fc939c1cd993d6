"""RSS and Atom feeds of a customer's incident history (the 50 most recent incidents,
newest first). Each item links to the incident's permalink; its description holds the
public updates. The links carry the query the feed was read with (a private page's secret
link token, so a feed reader can open them; a chosen language, so they open in it).

Built with Django's feed generators directly rather than ``contrib.syndication.views.Feed``:
that class needs a request (for a domain our absolute links do not use), and the snapshot
publisher has none. The fields are the ones ``Feed.get_feed`` would fill from this page.
"""

from datetime import datetime

from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from core.formatting import format_moment
from core.markdown import render_markdown
from core.texts import xml_safe
from incidents.models import Customer
from statuspage.links import absolute, incident_url, page_url
from statuspage.selectors import RECENT_READ_LIMIT, incident_states
from statuspage.site import Site
from statuspage.states import IncidentState

FEED_ITEMS = RECENT_READ_LIMIT


class _Stable:
    """A feed with no items is dated when the page began, not "now" (Django's default), so publishing
    an unchanged page writes the same bytes (issue 14)."""

    def latest_post_date(self) -> datetime:
        return super().latest_post_date() if self.items else self.feed["since"]  # type: ignore[misc]


class _Rss(_Stable, Rss201rev2Feed):
    pass


class _Atom(_Stable, Atom1Feed):
    pass


FEED_TYPES: dict[str, type[SyndicationFeed]] = {"history-rss": _Rss, "history-atom": _Atom}


def feed_incidents(customer: Customer) -> list[IncidentState]:
    """What a feed lists: the most recent incidents, newest first."""
    return incident_states(customer, limit=FEED_ITEMS)


def history_feed(incidents: list[IncidentState], kind: str, *, site: Site, language: str,
                 descriptions: dict[tuple[int, str], str] | None = None) -> SyndicationFeed:
    """The filled feed generator (``kind``: a key of FEED_TYPES, also its URL name); call inside the
    page's language and time zone, as the item descriptions are rendered here.

    An item's description depends on the incident and the language only (not on the feed's kind or
    links): ``descriptions`` keeps them across the feeds of one publish (4 per language)."""
    descriptions = {} if descriptions is None else descriptions
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
        since=site.since,
    )
    for incident in incidents:
        feed.add_item(
            title=xml_safe(f"{incident.title} ({incident.status_label})"),
            link=incident_url(site.slug, incident.number, query=query),
            description=_description(incident, language, descriptions),
            unique_id=incident_url(site.slug, incident.number),
            # With a secret token in the link, the guid (without it) would not open the item.
            unique_id_is_permalink=not site.token,
            pubdate=incident.started_at,
            updateddate=incident.updated_at,
        )
    return feed


def _description(incident: IncidentState, language: str, rendered: dict[tuple[int, str], str]) -> str:
    key = (incident.id, language)
    if key not in rendered:
        rendered[key] = xml_safe(item_html(incident))
    return rendered[key]


def item_html(incident: IncidentState) -> str:
    """An item's description: the incident's facts and its public updates, as HTML, in the active
    language and time zone. Built here rather than by a template: a publish writes one per incident
    and language, and the template engine's overhead was most of it (issue 14)."""
    parts = [format_html("<p>{}: {} · {} · {}</p>\n", _("Incident number"), incident.number, incident.severity_label,
                         incident.status_label)]
    if incident.affected:
        names = format_html_join(", ", "{}", ((component.name,) for component in incident.affected))
        parts.append(format_html("<p>{}: {}</p>\n", _("Affected components"), names))
    parts += [format_html("<p><strong>{}</strong> – {}</p>\n{}\n", update.status_label,
                          format_moment(update.created_at, "datetime", with_zone=True), render_markdown(update.message))
              for update in incident.updates]
    return "".join(parts)
