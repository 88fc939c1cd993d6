"""Forms of the public subscription pages: they parse input; statuspage.subscriptions decides."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.forms import BoundedModelMultipleChoiceField, PlainTextForm
from core.texts import Localized
from incidents.models import Component, Customer
from statuspage.models import SubscriptionChannel


class _ComponentsMixin:
    """A ``components`` field limited to the page's components; the template groups them like the page."""

    def _add_components(self, customer: Customer) -> None:
        self.written_in = customer.language
        self.fields["components"] = BoundedModelMultipleChoiceField(
            queryset=customer.components.order_by("group", "position", "name"), required=False,
            widget=forms.CheckboxSelectMultiple, label=_("Components"),
            help_text=_("Choose none to hear about every component."),
        )

    def component_groups(self) -> list[tuple[Localized, list[tuple[Component, Localized, bool]]]]:
        """[(group name, [(component, its name, checked), …]), …] in page order, for the grouped
        checkboxes; the names are shown in the page's language (core.texts)."""
        field = self.fields["components"]
        chosen = {str(value) for value in (self["components"].value() or [])}
        groups: dict[str, tuple[Localized, list[tuple[Component, Localized, bool]]]] = {}
        for component in field.queryset:
            _name, items = groups.setdefault(component.group, (
                Localized.of(component, "group", written_in=self.written_in), []))
            items.append((component, Localized.of(component, "name", written_in=self.written_in),
                          str(component.pk) in chosen))
        return list(groups.values())


class SubscribeForm(PlainTextForm, _ComponentsMixin, forms.Form):
    channel = forms.ChoiceField(label=_("How should we tell you?"), choices=SubscriptionChannel,
                                initial=SubscriptionChannel.EMAIL, widget=forms.RadioSelect)
    email = forms.EmailField(label=_("E-mail address"), required=False, max_length=254)
    webhook_url = forms.URLField(label=_("Webhook URL"), required=False, max_length=500, assume_scheme="https",
                                 help_text=_("We send a signed JSON message to this https:// address."))
    contact_email = forms.EmailField(label=_("Contact e-mail for the webhook"), required=False, max_length=254,
                                     help_text=_("The confirmation link goes here."))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    # Hidden from people by CSS (and from assistive technology: display none); bots fill it in.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args, customer: Customer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._add_components(customer)
        self.fields["website"].widget.attrs.update(autocomplete="off", tabindex="-1")
        self.fields["email"].widget.attrs.update(autocomplete="email")

    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("channel") == SubscriptionChannel.EMAIL and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Enter your e-mail address."))
        if data.get("channel") == SubscriptionChannel.WEBHOOK:
            if not data.get("webhook_url") and "webhook_url" not in self.errors:
                self.add_error("webhook_url", _("Enter the webhook URL."))
            if not data.get("contact_email") and "contact_email" not in self.errors:
                self.add_error("contact_email", _("Enter an e-mail address for the confirmation link."))
        return data

    @property
    def address(self) -> str:
        data = self.cleaned_data
        return data["email"] if data["channel"] == SubscriptionChannel.EMAIL else data["webhook_url"]


class PreferencesForm(PlainTextForm, _ComponentsMixin, forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args, customer: Customer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._add_components(customer)
