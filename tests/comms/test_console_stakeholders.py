"""Stakeholder pages and the CSV import. Personas: anna (MidSize's account manager), otto
(Northwind's), maria the manager, and anonymous."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from comms.directory.stakeholders import (
    MAX_IMPORT_ROWS,
    StakeholderData,
    import_rows_from_csv,
    stakeholder_create,
    stakeholders_import,
)
from comms.models import Stakeholder
from console.views.stakeholders import stakeholder_import_example
from tests.factories import ComponentFactory

# Loopback, cloud metadata, private networks, and the spellings that hide them.
INTERNAL_URLS = ["http://127.0.0.1:9000/hook", "https://127.0.0.1/hook", "https://169.254.169.254/latest/meta-data/",
                 "https://[::1]/hook", "https://0x7f000001/hook", "https://2130706433/hook", "https://0177.0.0.1/hook",
                 "https://10.1.2.3/hook", "https://192.168.1.1/hook", "https://100.64.0.1/hook",
                 "https://[::ffff:127.0.0.1]/hook", "https://[64:ff9b::a9fe:a9fe]/hook", "https://[fd00::1]/hook",
                 "https://localhost/hook", "https://kalm.localhost/hook", "https://127.0.0.1./hook"]
ODD_SPELLINGS = {"https://0x7f000001/hook", "https://2130706433/hook", "https://0177.0.0.1/hook",
                 "https://127.0.0.1./hook"}
HEADER = "name,role,audience,language,email,phone,teams_webhook_url,slack_webhook_url,webhook_url,components\n"


def form_data(**overrides) -> dict:
    return {"name": "Jan de Vries", "role": "customer_it", "audience": "technical", "language": "nl",
            "email": "jan@midsize.example", "is_active": "on"} | overrides


def upload(text: str | bytes, name: str = "stakeholders.csv") -> SimpleUploadedFile:
    content = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture
def as_anna(client, account_manager):
    client.force_login(account_manager)
    return client


@pytest.fixture
def jan(customer, file_server):
    stakeholder = Stakeholder.objects.create(customer=customer, name="Jan de Vries", role="customer_it",
                                             audience="technical", email="jan@midsize.example",
                                             webhook_url="https://hooks.midsize.example/kalm", webhook_secret="s3cret")
    stakeholder.components.set([file_server])
    return stakeholder


def urls(customer, jan) -> list[str]:
    return [reverse("comms:stakeholders", args=[customer.slug]),
            reverse("comms:stakeholder_new", args=[customer.slug]),
            reverse("comms:stakeholder_edit", args=[customer.slug, jan.pk]),
            reverse("comms:stakeholder_import", args=[customer.slug])]


class TestPermissions:
    def test_account_manager_and_manager_see_every_page(self, client, account_manager, manager, customer, jan):
        for user in (account_manager, manager):
            client.force_login(user)
            assert [client.get(url).status_code for url in urls(customer, jan)] == [200] * 4

    def test_other_account_manager_gets_404_everywhere(self, client, other_account_manager, customer, jan):
        client.force_login(other_account_manager)
        assert [client.get(url).status_code for url in urls(customer, jan)] == [404] * 4
        response = client.post(reverse("comms:stakeholder_edit", args=[customer.slug, jan.pk]),
                               form_data(name="Hijacked"))
        assert response.status_code == 404
        jan.refresh_from_db()
        assert jan.name == "Jan de Vries"

    def test_anonymous_is_sent_to_login(self, client, customer, jan):
        for url in urls(customer, jan):
            response = client.get(url)
            assert response.status_code == 302 and response.url.startswith(reverse("login"))

    def test_stakeholder_of_another_customer_is_404_under_my_customer(self, as_anna, customer, other_customer):
        foreign = Stakeholder.objects.create(customer=other_customer, name="NW", role="customer_it",
                                             audience="technical", email="nw@northwind.example")
        assert as_anna.get(reverse("comms:stakeholder_edit", args=[customer.slug, foreign.pk])).status_code == 404


class TestListAndEdit:
    def test_list_shows_roles_channels_components_and_inactive(self, as_anna, customer, jan):
        Stakeholder.objects.create(customer=customer, name="Old Contact", role="management", audience="executive",
                                   phone="+31612345678", is_active=False)
        html = as_anna.get(reverse("comms:stakeholders", args=[customer.slug])).text
        assert "Customer IT" in html and "jan@midsize.example" in html and "File server" in html
        assert "Webhook" in html and "+31612345678" in html
        assert html.count('class="inactive"') == 1

    def test_create_with_components(self, as_anna, customer, erp):
        response = as_anna.post(reverse("comms:stakeholder_new", args=[customer.slug]),
                                form_data(components=[erp.pk], phone="+31 6 1234 5678"))
        assert response.status_code == 302
        created = Stakeholder.objects.get(customer=customer)
        assert created.phone == "+31612345678" and list(created.components.all()) == [erp]

    def test_update_keeps_the_secret_when_left_empty(self, as_anna, customer, jan):
        response = as_anna.post(reverse("comms:stakeholder_edit", args=[customer.slug, jan.pk]),
                                form_data(audience="operational", webhook_url=jan.webhook_url))
        assert response.status_code == 302
        jan.refresh_from_db()
        assert jan.audience == "operational" and jan.webhook_secret == "s3cret"
        assert list(jan.components.all()) == []
        assert "s3cret" not in as_anna.get(reverse("comms:stakeholder_edit", args=[customer.slug, jan.pk])).text

    @pytest.mark.parametrize(("overrides", "field"), [
        ({"email": ""}, "__all__"),
        ({"phone": "0612345678"}, "phone"),
        ({"phone": "+0612345678"}, "phone"),
        ({"webhook_url": "http://hooks.midsize.example/kalm"}, "webhook_url"),
        ({"slack_webhook_url": "http://hooks.slack.com/x"}, "slack_webhook_url"),
        ({"language": "fr"}, "language"),
    ])
    def test_validation_errors_write_nothing(self, as_anna, customer, overrides, field):
        response = as_anna.post(reverse("comms:stakeholder_new", args=[customer.slug]), form_data(**overrides))
        assert response.status_code == 422
        assert field in response.context["form"].errors
        assert not Stakeholder.objects.exists()

    def test_http_webhook_allowed_in_debug_and_to_a_listed_internal_host(self, as_anna, customer, settings):
        new = reverse("comms:stakeholder_new", args=[customer.slug])
        settings.KALM_OUTBOUND_ALLOW = ["127.0.0.1"]
        assert as_anna.post(new, form_data(webhook_url="http://127.0.0.1:9000/hook")).status_code == 302
        settings.DEBUG = True
        assert as_anna.post(new, form_data(name="Dev", webhook_url="http://dev.example/hook")).status_code == 302
        assert Stakeholder.objects.count() == 2

    @pytest.mark.parametrize("field", ["webhook_url", "teams_webhook_url", "slack_webhook_url"])
    @pytest.mark.parametrize("url", INTERNAL_URLS)
    def test_addresses_inside_the_network_are_refused(self, as_anna, customer, settings, field, url):
        # Issue 11, finding 3: Kalm would call these and show the answer on the delivery page.
        settings.DEBUG = True  # not even in development
        response = as_anna.post(reverse("comms:stakeholder_new", args=[customer.slug]), form_data(**{field: url}))
        assert response.status_code == 422
        [message] = response.context["form"].errors[field]
        if url in ODD_SPELLINGS:  # Django's URL field already refuses these as URLs
            assert message == "Enter a valid URL."
        else:
            assert "is not a public internet address" in message and "KALM_OUTBOUND_ALLOW" in message
        assert not Stakeholder.objects.exists()

    def test_a_name_that_resolves_inside_the_network_is_refused(self, as_anna, customer, monkeypatch):
        monkeypatch.setattr("socket.getaddrinfo", lambda host, port, *args, **kwargs: [
            (2, 1, 6, "", ("10.0.0.7" if host == "intranet.midsize.example" else "93.184.215.14", port))])
        new = reverse("comms:stakeholder_new", args=[customer.slug])
        response = as_anna.post(new, form_data(webhook_url="https://intranet.midsize.example/hook"))
        assert response.status_code == 422
        assert "10.0.0.7 is not a public internet address" in response.context["form"].errors["webhook_url"][0]
        assert as_anna.post(new, form_data(webhook_url="https://hooks.midsize.example/hook")).status_code == 302

    def test_a_listed_internal_host_is_accepted(self, as_anna, customer, settings):
        settings.KALM_OUTBOUND_ALLOW = ["10.20.0.0/16", "relay.msp.internal"]
        new = reverse("comms:stakeholder_new", args=[customer.slug])
        assert as_anna.post(new, form_data(webhook_url="https://10.20.1.2/hook")).status_code == 302
        assert as_anna.post(new, form_data(name="Relay", teams_webhook_url="https://relay.msp.internal/t")
                            ).status_code == 302

    def test_component_of_another_customer_is_refused(self, as_anna, customer, other_customer):
        foreign = ComponentFactory(customer=other_customer, name="Northwind mail")
        response = as_anna.post(reverse("comms:stakeholder_new", args=[customer.slug]),
                                form_data(components=[foreign.pk]))
        assert response.status_code == 422 and "components" in response.context["form"].errors
        with pytest.raises(ValidationError) as raised:
            stakeholder_create(customer=customer, data=StakeholderData(
                name="X", role="customer_it", audience="technical", language="en", email="x@midsize.example",
                components=[foreign]))
        assert "components" in raised.value.message_dict
        assert not Stakeholder.objects.exists()

    def test_deactivate_instead_of_delete(self, as_anna, customer, jan):
        response = as_anna.post(reverse("comms:stakeholder_edit", args=[customer.slug, jan.pk]), {"set_active": "0"})
        assert response.status_code == 302
        jan.refresh_from_db()
        assert jan.is_active is False and jan.name == "Jan de Vries"
        html = as_anna.get(reverse("comms:stakeholder_edit", args=[customer.slug, jan.pk])).text
        assert 'name="set_active" value="1"' in html and "Delete" not in html


def preview(client, customer, text, **extra):
    return client.post(reverse("comms:stakeholder_import", args=[customer.slug]), {"file": upload(text)}, **extra)


def confirm(client, customer, response):
    payload = response.context["confirm_form"].initial["payload"]
    return client.post(reverse("comms:stakeholder_import", args=[customer.slug]), {"payload": payload})


class TestImport:
    CSV = (HEADER
           + "Jan de Vries,customer_it,Operational,nl,JAN@midsize.example,,,,,File server|ERP\n"
           + "Petra Jansen,Executives,EXECUTIVE,en,petra@midsize.example,+31612345678,,,,\n"
           + "Bad Phone,customer it,technical,de,bad@midsize.example,0612,,,,\n")

    def test_preview_writes_nothing_and_shows_each_row(self, as_anna, customer, jan, erp):
        response = preview(as_anna, customer, self.CSV)
        assert response.status_code == 200
        result = response.context["result"]
        assert [(row.number, row.action) for row in result.rows] == [(2, "update"), (3, "create"), (4, "error")]
        assert "phone" in result.rows[2].errors
        assert Stakeholder.objects.count() == 1
        jan.refresh_from_db()
        assert jan.audience == "technical"
        assert "Use the international format" in response.text

    def test_confirm_creates_and_updates_skipping_error_rows(self, as_anna, customer, jan, file_server, erp):
        response = confirm(as_anna, customer, preview(as_anna, customer, self.CSV))
        assert response.status_code == 302
        jan.refresh_from_db()
        assert jan.audience == "operational" and set(jan.components.all()) == {file_server, erp}
        assert jan.webhook_url == "" and jan.webhook_secret == "s3cret"  # an empty cell clears; secrets stay
        petra = Stakeholder.objects.get(email="petra@midsize.example")
        assert (petra.role, petra.audience, petra.language) == ("executives", "executive", "en")
        assert not Stakeholder.objects.filter(name="Bad Phone").exists()

    def test_tampered_payload_is_rejected(self, as_anna, customer, erp):
        payload = preview(as_anna, customer, self.CSV).context["confirm_form"].initial["payload"]
        tampered = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
        url = reverse("comms:stakeholder_import", args=[customer.slug])
        response = as_anna.post(url, {"payload": tampered})
        assert response.status_code == 400 and "could not be verified" in response.text
        assert as_anna.post(url, {"payload": "not even signed"}).status_code == 400
        assert not Stakeholder.objects.exists()

    def test_payload_for_another_customer_is_rejected(self, client, manager, customer, other_customer, erp):
        client.force_login(manager)
        payload = preview(client, customer, self.CSV).context["confirm_form"].initial["payload"]
        response = client.post(reverse("comms:stakeholder_import", args=[other_customer.slug]), {"payload": payload})
        assert response.status_code == 400
        assert not Stakeholder.objects.exists()

    def test_nothing_written_when_a_row_became_invalid(self, as_anna, customer, jan, erp, file_server):
        response = preview(as_anna, customer, self.CSV)
        erp.delete()
        response = confirm(as_anna, customer, response)
        assert response.status_code == 409
        assert "Nothing was imported" in response.text
        assert Stakeholder.objects.count() == 1 and not Stakeholder.objects.filter(name="Petra Jansen").exists()

    def test_bom_and_semicolons(self, as_anna, customer):
        text = "\ufeffname;role;audience;email\nAnke Bauer;management;executive;anke@midsize.example\n"
        response = preview(as_anna, customer, text.encode("utf-8"))
        assert [row.action for row in response.context["result"].rows] == ["create"]
        confirm(as_anna, customer, response)
        anke = Stakeholder.objects.get(name="Anke Bauer")
        assert (anke.role, anke.language) == ("management", "nl")  # the customer's language by default

    def test_columns_left_out_keep_their_values(self, as_anna, customer, jan, file_server):
        text = "name,role,audience\nJan de Vries,management,executive\n"
        confirm(as_anna, customer, preview(as_anna, customer, text))
        jan.refresh_from_db()
        assert (jan.role, jan.email, jan.webhook_url) == ("management", "jan@midsize.example",
                                                          "https://hooks.midsize.example/kalm")
        assert list(jan.components.all()) == [file_server]

    def test_row_numbers_and_field_names_in_errors(self, as_anna, customer):
        text = (HEADER + "A,customer_it,technical,en,a@midsize.example,,,,,\n\n"
                + "B,nobody,technical,en,,,,,http://insecure.example/hook,Unknown\n")
        rows = preview(as_anna, customer, text).context["result"].rows
        assert [(row.number, row.action) for row in rows] == [(2, "create"), (4, "error")]
        assert set(rows[1].errors) == {"role", "webhook_url", "components"}

    def test_addresses_inside_the_network_are_row_errors(self, as_anna, customer):
        text = (HEADER + "A,customer_it,technical,en,,,https://169.254.169.254/latest,,,\n"
                + "B,customer_it,technical,en,,,,https://0x7f000001/x,,\n"
                + "C,customer_it,technical,en,,,,,https://[::ffff:10.0.0.1]/hook,\n"
                + "D,customer_it,technical,en,,,,,https://[64:ff9b::7f00:1]/hook,\n"
                + "E,customer_it,technical,en,,,,,https://hooks.midsize.example/kalm,\n")
        rows = preview(as_anna, customer, text).context["result"].rows
        assert [row.action for row in rows] == ["error"] * 4 + ["create"]
        assert [set(row.errors) for row in rows[:4]] == [{"teams_webhook_url"}, {"slack_webhook_url"},
                                                          {"webhook_url"}, {"webhook_url"}]
        assert "169.254.169.254 is not a public internet address" in rows[0].errors["teams_webhook_url"][0]

    def test_duplicate_rows_in_one_file_are_errors(self, as_anna, customer):
        text = HEADER + "A,customer_it,technical,en,a@midsize.example\nA2,management,executive,en,A@midsize.example\n"
        rows = preview(as_anna, customer, text).context["result"].rows
        assert [row.action for row in rows] == ["create", "error"]
        assert "row 2" in rows[1].errors["__all__"][0]

    @pytest.mark.parametrize(("content", "message"), [
        (b"name,role,audience\n" + b"x" * (1024 * 1024), "larger than 1 MB"),
        (("name,role,audience,email\n" + "P,customer_it,technical,p@x.example\n" * (MAX_IMPORT_ROWS + 1)).encode(),
         "more than 5000 rows"),
        (b"naam,rol\nJan,it\n", "header row"),
        ("name,role,audience\nJ\u00f6rg,customer_it,technical\n".encode("latin-1"), "not UTF-8"),
        (b"", "empty"),
    ])
    def test_unreadable_files_are_refused(self, as_anna, customer, content, message):
        response = preview(as_anna, customer, content)
        assert response.status_code == 422
        assert message in str(response.context["form"].errors["file"])
        assert not Stakeholder.objects.exists()

    def test_example_file_imports_cleanly(self, rf, account_manager, customer, file_server, erp):
        request = rf.get("/")
        request.user = account_manager
        response = stakeholder_import_example(request, slug=customer.slug)
        assert response["Content-Disposition"].startswith("attachment;")
        rows = import_rows_from_csv(response.content.decode())
        result = stakeholders_import(customer=customer, rows=rows, dry_run=True)
        assert [row.action for row in result.rows] == ["create", "create"]
        assert not Stakeholder.objects.exists()


class TestFindingThePages:
    """The stakeholder pages and the CSV import are reachable from the console's navigation."""

    def test_navigation_leads_to_each_customers_stakeholders_and_import(self, client, account_manager, customer,
                                                                         other_customer, jan):
        client.force_login(account_manager)
        dashboard = client.get(reverse("incidents:dashboard")).content.decode()
        overview = reverse("comms:stakeholder_customers")
        assert f'href="{overview}"' in dashboard

        response = client.get(overview)
        assert response.status_code == 200
        page = response.content.decode()
        assert f'href="{reverse("comms:stakeholders", args=[customer.slug])}"' in page
        assert f'href="{reverse("comms:stakeholder_import", args=[customer.slug])}"' in page
        assert f'href="{reverse("incidents:contract", args=[customer.slug])}"' in page
        assert other_customer.name not in page  # only anna's own customers
        assert response.context["customers"].get().active_stakeholders == 1

    def test_manager_sees_every_customer(self, client, manager, customer, other_customer):
        client.force_login(manager)
        names = [c.name for c in client.get(reverse("comms:stakeholder_customers")).context["customers"]]
        assert names == ["MidSize Manufacturing BV", "Northwind Ltd"]

    def test_stakeholder_page_links_the_import_and_the_contract_links_the_stakeholders(self, as_anna, customer):
        stakeholders = reverse("comms:stakeholders", args=[customer.slug])
        page = as_anna.get(stakeholders).content.decode()
        assert f'href="{reverse("comms:stakeholder_import", args=[customer.slug])}"' in page
        contract = as_anna.get(reverse("incidents:contract", args=[customer.slug])).content.decode()
        assert f'href="{stakeholders}"' in contract

    def test_anonymous_is_sent_to_log_in(self, client, db):
        response = client.get(reverse("comms:stakeholder_customers"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
