"""The post-incident form: the review's texts, plus remediation actions one per line.

Actions are typed as ``action | owner | due date``, one per line, because that is how
people write them in a meeting; every line with a problem gets its own error message. The
due date is written as the console's language writes dates (``31-05-2025`` in Dutch,
``31.05.2025`` in German, ``31/05/2025`` in English; ISO ``2025-05-31`` is read too, see
``console.forms.datetimes``).
"""

from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console.forms.datetimes import EXAMPLE, active_format, format_date, parse_date
from core.forms import PlainTextForm
from reports.models import PostIncidentReview, RemediationAction
from reports.services import ActionLine

_DESCRIPTION_MAX = RemediationAction._meta.get_field("description").max_length
_OWNER_MAX = RemediationAction._meta.get_field("owner").max_length
MAX_ACTIONS = 100


def _due_date(text: str) -> date | None:
    return parse_date(text)


def _line_errors(number: int, parts: list[str]) -> list[str]:
    shape = active_format().date_hint
    if len(parts) != 3:
        return [_("Line %(line)d: write “action | owner | %(format)s” (three parts, found %(count)d).")
                % {"line": number, "count": len(parts), "format": shape}]
    description, owner, due = parts
    errors = []
    if not description:
        errors.append(_("Line %(line)d: describe the action.") % {"line": number})
    elif len(description) > _DESCRIPTION_MAX:
        errors.append(_("Line %(line)d: keep the action under %(max)d characters.")
                      % {"line": number, "max": _DESCRIPTION_MAX})
    if not owner:
        errors.append(_("Line %(line)d: name an owner.") % {"line": number})
    elif len(owner) > _OWNER_MAX:
        errors.append(_("Line %(line)d: keep the owner under %(max)d characters.")
                      % {"line": number, "max": _OWNER_MAX})
    if _due_date(due) is None:
        errors.append(_("Line %(line)d: “%(value)s” is not a date; write %(format)s.")
                      % {"line": number, "value": due, "format": shape})
    return errors


def parse_actions(text: str) -> tuple[list[ActionLine], list[str]]:
    """(actions, errors): errors name the line; empty lines are skipped."""
    actions: list[ActionLine] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [part.strip() for part in raw.split("|")]
        problems = _line_errors(number, parts)
        if problems:
            errors.extend(problems)
        else:
            actions.append(ActionLine(description=parts[0], owner=parts[1], due_date=_due_date(parts[2])))
    if len(actions) > MAX_ACTIONS:
        errors.append(_("At most %(max)d actions.") % {"max": MAX_ACTIONS})
    return actions, errors


def actions_text(actions: list[RemediationAction]) -> str:
    return "\n".join(f"{action.description} | {action.owner} | {format_date(action.due_date)}" for action in actions)


class ReviewForm(PlainTextForm, forms.ModelForm):
    actions = forms.CharField(label=gettext_lazy("Remediation actions"), required=False,
                              widget=forms.Textarea(attrs={"rows": 5}))

    class Meta:
        model = PostIncidentReview
        fields = ["management_summary", "root_cause", "preventive_measures", "lessons_learned", "data_lost",
                  "sla_credit_percent_per_hour"]
        widgets = {
            "management_summary": forms.Textarea(attrs={"rows": 10}),
            "root_cause": forms.Textarea(attrs={"rows": 5}),
            "preventive_measures": forms.Textarea(attrs={"rows": 4}),
            "lessons_learned": forms.Textarea(attrs={"rows": 4}),
            "data_lost": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The date format is the language's of this request, so the hints are made here.
        shape = active_format().date_hint
        self.fields["actions"].help_text = _("One per line: action | owner | due date (%(format)s).") % {
            "format": shape}
        self.fields["actions"].widget.attrs["placeholder"] = "Replace ageing disks | Jan de Vries | " + format_date(
            EXAMPLE.date())
        if not self.is_bound and self.instance.pk:
            self.initial["actions"] = actions_text(list(self.instance.actions.all()))

    def clean_actions(self) -> list[ActionLine]:
        actions, errors = parse_actions(self.cleaned_data.get("actions") or "")
        if errors:
            raise forms.ValidationError(errors)
        return actions
