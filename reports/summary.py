"""A first draft of the management summary, built from the facts, in the customer's language.

The seeds' "management samenvatting": short, for decision makers, no jargon — what
happened, what it meant for the business, what was done, and what changes now. The
account manager edits the draft in the post-incident form; the report prints what they
saved (or this draft, when nothing was saved yet).
"""

from django.utils import translation
from django.utils.translation import gettext as _

from core.formatting import Clock
from incidents.models import Customer, Incident, Severity
from incidents.visibility import Visibility, texts_for
from reports import facts, metrics
from reports.formatting import duration
from reports.models import DataLost, PostIncidentReview


def _first_paragraph(markdown: str) -> str:
    return markdown.strip().split("\n\n")[0].strip()


def _data_lost_sentence(value: str) -> str:
    return {
        DataLost.NO: _("No data was lost."),
        DataLost.YES: _("Some data was lost; the impact section says what."),
        DataLost.UNKNOWN: _("Whether any data was lost is still being checked."),
    }.get(value, "")


def draft_summary(incident: Incident, customer: Customer, review: PostIncidentReview | None = None) -> str:
    """Markdown: four short paragraphs in ``customer.language``."""
    scope = facts.scope_for(incident, customer)
    texts = texts_for(incident, reader=Visibility.CONTACTS, language=customer.language)
    with translation.override(customer.language):
        clock = Clock(tz=customer.tzinfo, now=scope.now, language=customer.language)
        changes = facts.component_changes(scope)
        names = ", ".join(dict.fromkeys(change.component for change in changes)) or _("your services")
        downtime = metrics.total_downtime(metrics.component_downtime(changes, end=scope.end))
        if incident.resolved_at:
            happened = _("From %(start)s to %(end)s there was a disruption of %(components)s (severity: "
                         "%(severity)s): %(title)s.") % {
                "start": clock.date_time(incident.started_at), "end": clock.date_time(incident.resolved_at),
                "components": names, "severity": Severity.short_label(incident.severity), "title": texts["title"]}
        else:
            happened = _("Since %(start)s there has been a disruption of %(components)s (severity: %(severity)s): "
                         "%(title)s. The incident is still open.") % {
                "start": clock.date_time(incident.started_at), "components": names,
                "severity": Severity.short_label(incident.severity), "title": texts["title"]}
        impact = " ".join(part for part in [
            texts["business_impact"].strip(),
            _("Total downtime: %(downtime)s.") % {"downtime": duration(downtime)},
            _data_lost_sentence(review.data_lost if review else DataLost.UNKNOWN),
        ] if part)
        done = texts["resolution_summary"].strip() or _("Our engineers restored the service and checked that "
                                                        "everything works again.")
        cause = _first_paragraph(review.root_cause if review and review.root_cause else texts["root_cause"])
        measures = review.preventive_measures if review else ""
        next_steps = _first_paragraph(measures) if measures.strip() else _(
            "We take the measures and actions listed in this report so that this does not happen again.")
        # Headings through _() on their own, never inside an f-string: xgettext cannot see into those.
        headings = [_("What happened."), _("What it meant for your business."), _("What we did."),
                    _("What changes now.")]
        the_cause = _("The cause:")
        done_and_cause = f"{done} {the_cause} {cause}" if cause else done
        paragraphs = [f"**{heading}** {text}" for heading, text in
                      zip(headings, [happened, impact, done_and_cause, next_steps], strict=True)]
        return "\n\n".join(paragraphs)
