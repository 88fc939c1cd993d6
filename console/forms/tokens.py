from django import forms
from django.utils.translation import gettext_lazy as _

from api.models import MAX_DAYS, MIN_DAYS, ApiToken, Scope, default_days
from core.forms import PlainTextForm


class ApiTokenForm(PlainTextForm, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=ApiToken._meta.get_field("name").max_length,
                           help_text=_("What the token is for, e.g. the monitoring system."))
    scope = forms.ChoiceField(label=_("Scope"), choices=Scope.choices, initial=Scope.READ, widget=forms.RadioSelect,
                              help_text=_("Read only: it can look up incidents. Read and write: it can also open, "
                                          "update and reopen them, as you can."))
    days = forms.IntegerField(label=_("Expires after (days)"), min_value=MIN_DAYS, max_value=MAX_DAYS,
                              help_text=_("From 1 to 365 days."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].initial = default_days()
