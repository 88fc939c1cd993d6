"""Reference data for managers: customers with their components, and a read-mostly incident view."""

from collections.abc import Sequence

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet, ModelFormMetaclass
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext as _

from core.texts import merged
from incidents.models import Component, Customer, CustomerIncident, Incident, Language

# A component's texts that readers see, written in the customer's language (core.texts).
COMPONENT_TEXTS: tuple[str, ...] = ("name", "group", "description")


class ComponentForm(forms.ModelForm):
    """A component, with its name, group and description in other languages as plain fields
    (``name_en``, ``group_de`` …) kept in ``translations``: nobody types JSON.

    ``languages`` (set by ``component_form``) are the languages offered; the customer's own
    is the ordinary field, so a text typed for it is refused rather than silently dropped.
    An emptied field removes that version.
    """

    languages: tuple[str, ...] = ()

    class Meta:
        model = Component
        fields = ["name", "group", "position", "description"]

    def __init__(self, *args, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        for language in self.languages:
            for field in COMPONENT_TEXTS:
                self.initial.setdefault(translation_field(field, language),
                                        ((self.instance.translations or {}).get(language) or {}).get(field, ""))

    def written_in(self) -> str | None:
        """The customer's language, as typed on the same page (ComponentFormSet gives the customer)."""
        if self.customer is not None:
            return self.customer.language
        try:
            return self.instance.customer.language
        except Customer.DoesNotExist:
            return None

    def clean(self):
        cleaned = super().clean()
        written_in = self.written_in()
        for field in COMPONENT_TEXTS:
            own = translation_field(field, written_in or "")
            if own in self.fields and (cleaned.get(own) or "").strip():
                self.add_error(own, _("The customer's texts are written in %(language)s: type this one in the "
                                      "field without a language.") % {"language": Language(written_in).label})
            # A reader gets a version only of a text that is written (core.texts); an orphan would never show.
            versions = [translation_field(field, language) for language in self.languages if language != written_in]
            if written_in and not (cleaned.get(field) or "").strip():
                for name in versions:
                    if (cleaned.get(name) or "").strip():
                        self.add_error(name, _("Write this text in %(language)s first, in the field without a "
                                               "language: readers of other languages see a version only of a "
                                               "text that exists.") % {"language": Language(written_in).label})
        return cleaned

    def save(self, commit=True):
        written_in = self.written_in()
        changes = {language: {field: self.cleaned_data.get(translation_field(field, language)) or ""
                              for field in COMPONENT_TEXTS}
                   for language in self.languages if language != written_in}
        self.instance.translations = merged(self.instance.translations, changes)
        return super().save(commit)


class ComponentFormSet(BaseInlineFormSet):
    """Gives each component form its customer, also on the add page, where it is not saved yet."""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "customer": self.instance}


def translation_field(field: str, language: str) -> str:
    return f"{field}_{language}"


def component_form(languages: Sequence[str]) -> type[ComponentForm]:
    """A ComponentForm with one field per text and language in ``languages``."""
    attrs: dict = {"languages": tuple(languages), "__module__": __name__}
    for language in languages:
        for field in COMPONENT_TEXTS:
            model_field = Component._meta.get_field(field)
            attrs[translation_field(field, language)] = forms.CharField(
                label=format_lazy("{} ({})", capfirst(model_field.verbose_name), Language(language).label),
                max_length=model_field.max_length, required=False,
                widget=forms.TextInput(attrs={"class": "vTextField", "lang": language}))
    return ModelFormMetaclass("ComponentForm", (ComponentForm,), attrs)


class ComponentInline(admin.StackedInline):
    """The customer's components; each shows its texts in the languages other than the customer's
    (all three while the customer is being added and its language is not yet saved)."""

    model = Component
    formset = ComponentFormSet
    extra = 0
    readonly_fields = ["status"]

    def languages(self, customer: Customer | None) -> list[str]:
        return [language for language in Language.values if customer is None or language != customer.language]

    def get_fieldsets(self, request, obj=None):
        # The texts as written: under the customer's language, once it is saved.
        own = (Language(obj.language).label if obj else None,
               {"fields": [("name", "group", "position"), "description", "status"]})
        return [own, *((Language(language).label, {"fields": [
            (translation_field("name", language), translation_field("group", language)),
            translation_field("description", language)]}) for language in self.languages(obj))]

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, form=component_form(self.languages(obj)), **kwargs)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "incident_prefix", "language", "time_zone", "status_page_public",
                    "report_delivery"]
    list_filter = ["report_delivery"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["account_managers"]
    inlines = [ComponentInline]
    search_fields = ["name", "slug"]


class CustomerIncidentInline(admin.TabularInline):
    model = CustomerIncident
    extra = 0
    readonly_fields = ["customer", "number", "added_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # numbers are drawn by incidents.services, never typed


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-mostly: the lifecycle rules live in the console and API, not here."""

    list_display = ["title", "severity", "status", "started_at", "resolved_at"]
    list_filter = ["status", "severity", "category"]
    search_fields = ["title", "customer_links__number"]
    inlines = [CustomerIncidentInline]
    readonly_fields = [f.name for f in Incident._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
