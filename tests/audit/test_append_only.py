"""The trail cannot be changed or deleted: not by the model, not by a queryset, not in the admin,
and on PostgreSQL not even by SQL sent past Django (a trigger). Deleting a user, customer or
incident leaves its events in place, with the username and what they were about as text."""

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from audit import services as audit
from audit.models import Action, AppendOnlyError, AuditEvent
from flows import incidents as incident_flow
from incidents.models import Incident
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="needs PostgreSQL (set DATABASE_URL): the trigger is PostgreSQL's")


@pytest.fixture
def event(manager, customer):
    return audit.record(action=Action.CONTRACT_CHANGED, actor=manager, customer=customer, target=customer,
                        before={"cadence_low_minutes": 240}, after={"cadence_low_minutes": 480})


class TestInCode:
    def test_an_event_cannot_be_saved_again(self, event):
        event.detail = "edited"
        with pytest.raises(AppendOnlyError):
            event.save()
        assert AuditEvent.objects.get().detail == ""

    def test_an_event_cannot_be_deleted(self, event):
        with pytest.raises(AppendOnlyError):
            event.delete()
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.all().delete()
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.filter(pk=event.pk).update(detail="edited")
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.bulk_update([event], ["detail"])
        assert AuditEvent.objects.count() == 1 and AuditEvent.objects.get().detail == ""

    def test_an_unknown_action_is_refused(self, db):
        with pytest.raises(ValueError):
            audit.record(action="incident.deleted")

    def test_the_admin_only_reads(self, event, client):
        root = UserFactory(username="root", is_superuser=True)
        client.force_login(root)
        assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
        assert client.get(reverse("admin:audit_auditevent_change", args=[event.pk])).status_code == 200
        model_admin = admin.site._registry[AuditEvent]
        request = RequestFactory().get("/")
        request.user = root
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, event)
        assert not model_admin.has_delete_permission(request, event)
        assert "delete_selected" not in model_admin.get_actions(request)
        client.post(reverse("admin:audit_auditevent_change", args=[event.pk]), {"detail": "edited"})
        client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"})
        assert AuditEvent.objects.get().detail == ""

    def test_deleting_the_user_customer_and_incident_keeps_the_events(self, account_manager, customer, db):
        incident = incident_flow.open_incident(customer=customer, title="Mail down", category="email",
                                               severity="high", message="Looking.", author=account_manager)
        opened = AuditEvent.objects.get(action=Action.INCIDENT_OPENED)
        number = incident.first_link.number
        Incident.objects.filter(pk=incident.pk).delete()
        account_manager.delete()
        opened.refresh_from_db()
        assert (opened.actor, opened.incident) == (None, None)
        assert opened.actor_username == "anna" and opened.object_repr == f"{number} Mail down"


@on_postgresql
class TestInTheDatabase:
    def test_sql_update_and_delete_are_rejected(self, event):
        for sql in ["UPDATE audit_auditevent SET detail = 'edited'", "DELETE FROM audit_auditevent",
                    "UPDATE audit_auditevent SET actor_id = NULL, detail = 'sneaky'",
                    "UPDATE audit_auditevent SET customer_id = customer_id + 1000"]:
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
        assert AuditEvent.objects.get().detail == ""

    def test_django_bypassing_the_model_is_rejected_too(self, event):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent._base_manager.filter(pk=event.pk).update(detail="edited")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent._base_manager.filter(pk=event.pk)._raw_delete(connection.alias)
        assert AuditEvent.objects.count() == 1

    def test_only_detaching_a_deleted_user_gets_through(self, event, manager):
        manager.delete()  # on_delete=SET_NULL: UPDATE … SET actor_id = NULL
        event.refresh_from_db()
        assert event.actor is None and event.actor_username == "maria"
