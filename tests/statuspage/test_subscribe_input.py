"""What the public subscription forms take in (issue 11, findings 0 and 5): no control
characters in any text, and no component number beyond any database key. Each is a 422
naming the field, with nothing stored, on SQLite and PostgreSQL alike."""

import pytest
from django.core import mail
from django.core.cache import cache

from statuspage import subscription_tokens, subscriptions
from statuspage.models import Subscription

pytestmark = pytest.mark.django_db

HUGE = str(10**30)


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.KALM_SUBSCRIBE_RATE = 50
    settings.KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE = True
    cache.clear()
    mail.outbox = []
    yield
    cache.clear()


def sign_up(client, django_capture_on_commit_callbacks, **data):
    form = {"channel": "email", "email": "piet@example.com", "language": "en", "website": ""} | data
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/status/midsize/subscribe/?lang=en", form)


def assert_refused(response, field: str) -> None:
    assert response.status_code == 422
    assert f'id="id_{field}_error"' in response.content.decode()
    assert Subscription.objects.count() == 0 and mail.outbox == []


@pytest.mark.parametrize("data,field", [
    ({"email": "piet\x00@example.com"}, "email"),
    ({"channel": "webhook", "webhook_url": "https://hooks.example.com/\x01kalm", "contact_email": "o@example.com"},
     "webhook_url"),
    ({"channel": "webhook", "webhook_url": "https://hooks.example.com/kalm", "contact_email": "o\x07@example.com"},
     "contact_email"),
])
def test_control_characters_are_refused(client, customer, django_capture_on_commit_callbacks, data, field):
    assert_refused(sign_up(client, django_capture_on_commit_callbacks, **data), field)


@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, str(2**63)])
def test_a_component_number_beyond_any_key_is_refused(client, customer, file_server,
                                                      django_capture_on_commit_callbacks, value):
    response = sign_up(client, django_capture_on_commit_callbacks, components=[str(file_server.pk), value])
    assert_refused(response, "components")


def test_preferences_refuse_a_component_number_beyond_any_key(client, customer, file_server,
                                                              django_capture_on_commit_callbacks):
    sign_up(client, django_capture_on_commit_callbacks)
    subscription = subscriptions.confirm(subscription=Subscription.objects.get())
    path = f"/status/midsize/subscriptions/{subscription_tokens.manage_token(subscription.stakeholder_id)}/"
    response = client.post(path + "?lang=en", {"components": [HUGE], "language": "nl"})
    assert response.status_code == 422
    assert list(subscription.stakeholder.components.all()) == []
