"""Edits of reference data in the audit trail, before → after of the fields that changed: message
templates, stakeholders (create, edit, deactivate, CSV import), contract terms on the console,
and routing rules, escalation rules, templates, stakeholders and contract terms in the admin.
Secrets never reach the trail: a webhook secret is only "[redacted]", a webhook URL only its host."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.http import urlencode

from audit.models import Action, AuditEvent
from comms.models import EscalationRule, RoutingRule, Stakeholder
from tests.audit.conftest import IP, only
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY = {"kind": "update", "audience": "end_user", "language": "nl"}
SECRET = "whsec-very-secret-value"
SLACK = "https://hooks.slack.example/services/T000/B000/XXXXsecretpath"


def template_url(**extra) -> str:
    return reverse("comms:template_edit") + "?" + urlencode(KEY | extra)


def all_stored_text() -> str:
    return json.dumps(list(AuditEvent.objects.values()), default=str)


class TestTemplates:
    def test_save_then_reset_record_the_text_before_and_after(self, from_ip, manager):
        from_ip.force_login(manager)
        default_subject = from_ip.get(template_url()).context["form"].initial["subject"]
        from_ip.post(template_url(), {**KEY, "subject": "[UPDATE] {{ title }}", "body": "Stand: {{ message }}",
                                     "save": "1"})
        saved = only(Action.TEMPLATE_SAVED)
        assert (saved.actor, saved.actor_ip, saved.customer) == (manager, IP, None)
        assert saved.before["subject"] == default_subject and saved.before["origin"] == "default"
        assert saved.after == {"subject": "[UPDATE] {{ title }}", "body": "Stand: {{ message }}", "origin": "msp"}
        assert saved.object_repr == "update/end_user/nl (MSP)"
        from_ip.post(template_url(), {**KEY, "subject": "[UPDATE] {{ title }}", "body": "Stand: {{ message }}",
                                     "save": "1"})  # the same text again: nothing changed
        assert AuditEvent.objects.filter(action=Action.TEMPLATE_SAVED).count() == 1
        from_ip.post(template_url(), {**KEY, "reset": "1"})
        reset = only(Action.TEMPLATE_RESET)
        assert reset.before["subject"] == "[UPDATE] {{ title }}" and reset.after["origin"] == "default"

    def test_a_customers_template_belongs_to_the_customer(self, from_ip, account_manager, customer):
        from_ip.force_login(account_manager)
        from_ip.post(template_url(customer=customer.slug),
                     {**KEY, "customer": customer.slug, "subject": "[MSM] {{ title }}", "body": "{{ message }}",
                      "save": "1"})
        assert only(Action.TEMPLATE_SAVED).customer == customer

    def test_a_refused_template_records_nothing(self, from_ip, manager):
        from_ip.force_login(manager)
        response = from_ip.post(template_url(), {**KEY, "subject": "x", "body": "{% if x %}", "save": "1"})
        assert response.status_code == 422 and not AuditEvent.objects.exists()


class TestStakeholders:
    def form(self, **overrides) -> dict:
        return {"name": "Jan de Vries", "role": "customer_it", "audience": "technical", "language": "nl",
                "email": "jan@midsize.example", "is_active": "on"} | overrides

    def test_create_edit_deactivate_and_reactivate(self, from_ip, account_manager, customer, file_server):
        from_ip.force_login(account_manager)
        from_ip.post(reverse("comms:stakeholder_new", args=[customer.slug]),
                     self.form(webhook_url=SLACK, webhook_secret=SECRET, components=[file_server.pk]))
        jan = Stakeholder.objects.get()
        created = only(Action.STAKEHOLDER_CREATED)
        assert (created.actor, created.actor_ip, created.customer) == (account_manager, IP, customer)
        assert created.object_type == "comms.stakeholder" and created.object_id == str(jan.pk)
        assert created.after["email"] == "jan@midsize.example" and created.after["components"] == [str(file_server)]
        assert created.after["webhook_secret"] == "[redacted]"
        assert created.after["webhook_url"].startswith("https://hooks.slack.example/…#")

        edit = reverse("comms:stakeholder_edit", args=[customer.slug, jan.pk])
        from_ip.post(edit, self.form(email="j.devries@midsize.example", webhook_url=SLACK, webhook_secret="rotated!"))
        changed = only(Action.STAKEHOLDER_CHANGED)
        assert changed.before == {"email": "jan@midsize.example", "webhook_secret": "[redacted]",
                                  "components": [str(file_server)]}
        assert changed.after == {"email": "j.devries@midsize.example", "webhook_secret": "[redacted]",
                                 "components": []}

        from_ip.post(edit, {"set_active": "0"})
        assert only(Action.STAKEHOLDER_DEACTIVATED).after == {"is_active": False}
        from_ip.post(edit, {"set_active": "1"})
        assert only(Action.STAKEHOLDER_REACTIVATED).before == {"is_active": False}
        stored = all_stored_text()
        assert SECRET not in stored and "rotated!" not in stored and "secretpath" not in stored

    def test_an_edit_that_changes_nothing_records_nothing(self, from_ip, account_manager, customer):
        from_ip.force_login(account_manager)
        from_ip.post(reverse("comms:stakeholder_new", args=[customer.slug]), self.form())
        jan = Stakeholder.objects.get()
        from_ip.post(reverse("comms:stakeholder_edit", args=[customer.slug, jan.pk]), self.form())
        assert not AuditEvent.objects.filter(action=Action.STAKEHOLDER_CHANGED).exists()

    def test_csv_import_is_one_event_naming_whom_it_created_and_updated(self, from_ip, account_manager, customer):
        Stakeholder.objects.create(customer=customer, name="Jan de Vries", role="customer_it", audience="technical",
                                   email="jan@midsize.example")
        from_ip.force_login(account_manager)
        url = reverse("comms:stakeholder_import", args=[customer.slug])
        csv = ("name,role,audience,email\nJan de Vries,customer_it,technical,jan@new.example\n"
               "Petra Jansen,executives,executive,petra@midsize.example\n")
        preview = from_ip.post(url, {"file": SimpleUploadedFile("s.csv", csv.encode(), content_type="text/csv")})
        assert not AuditEvent.objects.exists()  # a preview writes nothing
        from_ip.post(url, {"payload": preview.context["confirm_form"].initial["payload"]})
        imported = only(Action.STAKEHOLDERS_IMPORTED)
        assert imported.after == {"created": ["Petra Jansen"], "updated": ["Jan de Vries"]}
        assert (imported.actor, imported.actor_ip, imported.customer) == (account_manager, IP, customer)


class TestContract:
    def terms(self, **overrides) -> dict:
        return {"ack_target_minutes": 15, "cadence_critical_minutes": 30, "cadence_high_minutes": 60,
                "cadence_medium_minutes": 120, "cadence_low_minutes": 240, "cadence_monitoring_minutes": 120,
                "holding_updates": "on", "reminder_minutes_before": 10, "overdue_escalation_minutes": 15,
                "escalate_after_hours": 4, "status_page_public": "on", "report_delivery": "link"} | overrides

    def test_a_managers_edit_records_only_the_changed_terms(self, from_ip, manager, customer):
        from_ip.force_login(manager)
        url = reverse("incidents:contract", args=[customer.slug])
        response = from_ip.post(url, self.terms(cadence_critical_minutes=20, ack_requires_approval="on"))
        assert response.status_code == 302
        changed = only(Action.CONTRACT_CHANGED)
        assert changed.before == {"cadence_critical_minutes": 30, "ack_requires_approval": False}
        assert changed.after == {"cadence_critical_minutes": 20, "ack_requires_approval": True}
        assert (changed.actor, changed.actor_ip, changed.customer) == (manager, IP, customer)
        assert changed.object_repr == customer.name
        from_ip.post(url, self.terms(cadence_critical_minutes=20, ack_requires_approval="on"))  # the same again
        assert AuditEvent.objects.filter(action=Action.CONTRACT_CHANGED).count() == 1

    def test_a_refused_edit_records_nothing(self, from_ip, manager, customer):
        from_ip.force_login(manager)
        response = from_ip.post(reverse("incidents:contract", args=[customer.slug]),
                                self.terms(cadence_critical_minutes=4))
        assert response.status_code == 422 and not AuditEvent.objects.exists()


class TestAdmin:
    """Routing and escalation rules are edited in the admin only; its edits are recorded too."""

    @pytest.fixture
    def superuser(self, db):
        return UserFactory(username="root", is_superuser=True)

    def test_routing_rule_added_changed_deleted(self, from_ip, superuser, customer):
        from_ip.force_login(superuser)
        from_ip.post(reverse("admin:comms_routingrule_add"),
                     {"customer": customer.pk, "role": "executives", "kind": "update", "min_severity": "critical"})
        rule = RoutingRule.objects.get()
        created = only(Action.ROUTING_RULE_CREATED)
        assert created.after == {"customer": customer.name, "role": "executives", "kind": "update",
                                 "min_severity": "critical"}
        assert (created.actor, created.actor_ip, created.customer, created.detail) == (superuser, IP, customer, "admin")
        from_ip.post(reverse("admin:comms_routingrule_change", args=[rule.pk]),
                     {"customer": customer.pk, "role": "executives", "kind": "update", "min_severity": "high"})
        changed = only(Action.ROUTING_RULE_CHANGED)
        assert (changed.before, changed.after) == ({"min_severity": "critical"}, {"min_severity": "high"})
        from_ip.post(reverse("admin:comms_routingrule_delete", args=[rule.pk]), {"post": "yes"})
        assert not RoutingRule.objects.exists()
        assert only(Action.ROUTING_RULE_DELETED).before["min_severity"] == "high"

    def test_escalation_rule_changed(self, from_ip, superuser, customer):
        rule = EscalationRule.objects.create(customer=customer, trigger="update_overdue", roles=["management"])
        from_ip.force_login(superuser)
        response = from_ip.post(reverse("admin:comms_escalationrule_change", args=[rule.pk]),
                                {"customer": customer.pk, "trigger": "update_overdue",
                                 "roles": '["management", "executives"]'})
        assert response.status_code == 302, response.context["adminform"].errors if response.context else response
        changed = only(Action.ESCALATION_RULE_CHANGED)
        assert changed.before == {"roles": ["management"]} and changed.after == {"roles": ["management", "executives"]}
        assert changed.customer == customer

    def test_contract_terms_changed_in_the_customer_admin(self, from_ip, superuser, customer):
        from_ip.force_login(superuser)
        page = from_ip.get(reverse("admin:incidents_customer_change", args=[customer.pk]))
        data = {key: value for key, value in page.context["adminform"].form.initial.items()
                if value is not None and not isinstance(value, list)}
        data |= {"cadence_low_minutes": 480, "components-TOTAL_FORMS": 0, "components-INITIAL_FORMS": 0}
        data = {key: value for key, value in data.items() if value is not False}
        response = from_ip.post(reverse("admin:incidents_customer_change", args=[customer.pk]), data)
        assert response.status_code == 302, response.context["adminform"].errors
        changed = only(Action.CONTRACT_CHANGED)
        assert changed.before == {"cadence_low_minutes": 240} and changed.after == {"cadence_low_minutes": 480}
        assert changed.detail == "admin" and changed.customer == customer
