"""Template editor: refuses broken templates when saving, previews live, respects scopes."""

import pytest
from django.urls import reverse

from comms.models import MessageTemplate

KEY = {"kind": "update", "audience": "end_user", "language": "nl"}


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


def edit_url(**extra):
    from django.utils.http import urlencode

    return reverse("comms:template_edit") + "?" + urlencode(KEY | extra)


def test_editor_starts_from_the_shipped_default(as_manager, customer):
    response = as_manager.get(edit_url())
    assert response.status_code == 200 and response.context["origin"] == "default"
    assert "{{ number }}" in response.context["form"].initial["subject"]


@pytest.mark.parametrize("body,expected", [
    ("Hallo {{ password }}", "password"),
    ("{% if title %}unterminated", "Body"),
    ("{{ title.__class__ }}", ""),
])
def test_broken_templates_are_refused_when_saving(as_manager, body, expected):
    response = as_manager.post(edit_url(), {**KEY, "subject": "[UPDATE] {{ title }}", "body": body, "save": "1"})
    assert response.status_code == 422
    assert expected in " ".join(response.context["form"].errors["body"])
    assert MessageTemplate.objects.count() == 0


def test_good_template_is_saved_then_used_and_reset(as_manager):
    response = as_manager.post(edit_url(), {**KEY, "subject": "[UPDATE] {{ title }} #{{ number }}",
                                            "body": "Stand van zaken: {{ message }}", "save": "1"})
    assert response.status_code == 302
    saved = MessageTemplate.objects.get()
    assert saved.customer is None and saved.body == "Stand van zaken: {{ message }}"
    assert as_manager.get(edit_url()).context["origin"] == "msp"
    as_manager.post(edit_url(), {**KEY, "reset": "1"})
    assert MessageTemplate.objects.count() == 0


def test_live_preview_renders_the_sample_incident(as_manager):
    response = as_manager.post(reverse("comms:template_preview"),
                               {"language": "nl", "subject": "[UPDATE] {{ number }}", "body": "Over {{ customer }}"},
                               HTTP_HX_REQUEST="true")
    assert "MSM-2025-0531-001" in response.text and "MidSize Manufacturing BV" in response.text
    assert "<html" not in response.text


def test_account_manager_edits_only_their_customers_templates(client, account_manager, customer, other_customer):
    client.force_login(account_manager)
    assert client.get(edit_url()).status_code == 403  # MSP-wide: managers only
    assert client.get(edit_url(customer=other_customer.slug)).status_code == 404
    response = client.post(edit_url(customer=customer.slug),
                           {**KEY, "customer": customer.slug, "subject": "[UPDATE] {{ title }}",
                            "body": "Voor MidSize: {{ message }}", "save": "1"})
    assert response.status_code == 302
    assert MessageTemplate.objects.get().customer == customer


def test_template_list_marks_edited_cells(as_manager):
    MessageTemplate.objects.create(kind="update", audience="end_user", language="nl", subject="s", body="b")
    response = as_manager.get(reverse("comms:templates") + "?language=nl")
    assert response.text.count("edited") >= 1


def test_account_manager_sees_no_edit_links_where_editing_is_refused(client, account_manager, customer):
    client.force_login(account_manager)
    msp_wide = client.get(reverse("comms:templates") + "?language=nl")
    assert msp_wide.context["may_edit"] is False
    assert reverse("comms:template_edit") not in msp_wide.text  # no link that ends in a 403
    assert "Only managers change the MSP-wide templates" in msp_wide.text

    own = client.get(reverse("comms:templates") + f"?language=nl&customer={customer.slug}")
    assert own.context["may_edit"] is True
    links = own.text.count(reverse("comms:template_edit") + "?")
    assert links > 0
    assert client.get(edit_url(customer=customer.slug)).status_code == 200  # and each one opens


def test_manager_sees_the_msp_wide_edit_links(as_manager):
    response = as_manager.get(reverse("comms:templates") + "?language=nl")
    assert response.context["may_edit"] is True and reverse("comms:template_edit") + "?" in response.text
