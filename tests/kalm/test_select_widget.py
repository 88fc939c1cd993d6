"""Selects render their options in one pass (templates/django/forms/widgets/select.html,
core.templatetags.widgets): the same markup as Django's own widget templates, escaped, and what
a person sees in the communication log's customer filter."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.urls import reverse
from pytest_django.asserts import assertHTMLEqual

from tests.factories import CustomerFactory

TRICKY = 'Dupont & Fils <b>"SA"</b>'


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("a", "Alpha"), ("b", TRICKY), (3, "Three")])
    grouped = forms.ChoiceField(choices=[("", "—"), ("Servers", [("s1", "ERP <1>"), ("s2", "Mail")]),
                                         ("Network", [("n1", "Core switch")])])
    several = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y"), ("z", "Z")],
                                        widget=forms.SelectMultiple(attrs={"class": "wide", "disabled": True}))
    maybe = forms.NullBooleanField()


BOUND = {"plain": "b", "grouped": "s1", "several": ["x", "z"], "maybe": "false"}


@pytest.mark.parametrize("data", [None, BOUND], ids=["unbound", "bound"])
def test_the_same_markup_as_djangos_own_templates(data):
    ours = Everything(data)
    django_own = Everything(data, renderer=DjangoTemplates())
    for name in Everything.base_fields:
        assertHTMLEqual(str(ours[name]), str(django_own[name]))
    assert "Dupont &amp; Fils &lt;b&gt;&quot;SA&quot;&lt;/b&gt;" in str(ours["plain"])
    assert "<b>" not in str(ours["plain"])


@pytest.mark.django_db
def test_the_log_filter_lists_customers_escaped_and_keeps_the_choice(client, account_manager):
    tricky = CustomerFactory(name=TRICKY, slug="dupont")
    tricky.account_managers.add(account_manager)
    client.force_login(account_manager)

    page = client.get(reverse("comms:log"), {"customer": "dupont"}).text

    assert '<option value="dupont" selected>Dupont &amp; Fils &lt;b&gt;&quot;SA&quot;&lt;/b&gt;</option>' in page
    assert '<option value="" >' not in page and '<option value="">' in page  # "All customers", not chosen
