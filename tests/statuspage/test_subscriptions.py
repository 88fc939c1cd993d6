"""Status page subscriptions through the public pages: sign-up, double opt-in, preferences,
unsubscribe, and the guards (rate limit, honeypot, SSRF, private pages, forged tokens).

Celery runs inline; ``commit()`` runs the on-commit callbacks as a real request's commit
would (the confirmation mail goes out there). Mail goes to Django's locmem outbox here;
tests/statuspage/test_subscriptions_delivery.py uses a real SMTP server.
"""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client

from comms.models import Stakeholder
from statuspage import subscription_tokens, subscriptions
from statuspage.models import Subscription
from statuspage.signup_guard import client_ip

pytestmark = pytest.mark.django_db

CONFIRM_LINK = re.compile(r"https?://\S+/subscriptions/confirm/[^/\s]+/")


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.SITE_URL = "https://status.msp.example"
    settings.KALM_SUBSCRIBE_RATE = 5
    cache.clear()  # the rate limit counts per client IP across requests
    mail.outbox = []
    yield
    cache.clear()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def sign_up(client, commit, *, slug="midsize", data=None, **extra):
    form = {"channel": "email", "email": "piet@example.com", "language": "en", "website": ""} | (data or {})
    with commit():
        return client.post(f"/status/{slug}/subscribe/?lang=en", form, **extra)


def confirm_path(message) -> str:
    return CONFIRM_LINK.search(message.body).group(0).removeprefix("https://status.msp.example")


def test_form_groups_components_like_the_page_and_defaults_to_the_page_language(client, customer, file_server,
                                                                                erp):
    response = client.get("/status/midsize/subscribe/")
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<legend>Servers</legend>.*File server", html, re.S)
    assert re.search(r"<legend>Applications</legend>.*ERP", html, re.S)
    assert '<option value="nl" selected>' in html  # the customer's language (the page is Dutch)
    assert 'name="csrfmiddlewaretoken"' in html


def test_components_are_named_in_the_pages_language_and_the_subscribers(client, customer, file_server, commit):
    file_server.name, file_server.group = "Bestandsserver", "Servers"
    file_server.translations = {"en": {"name": "File server"}, "de": {"name": "Dateiserver", "group": "Server"}}
    file_server.save()
    dutch = client.get("/status/midsize/subscribe/").content.decode()
    english = client.get("/status/midsize/subscribe/?lang=en").content.decode()
    assert "Bestandsserver" in dutch and "File server" not in dutch
    assert "File server" in english and "Bestandsserver" not in english
    assert re.search(r"<legend>Server</legend>.*Dateiserver", client.get("/status/midsize/subscribe/?lang=de").text,
                     re.S)

    sign_up(client, commit, data={"components": [file_server.pk], "language": "de"})
    [message] = mail.outbox
    assert "Dateiserver" in message.body and "Bestandsserver" not in message.body


def test_status_page_links_to_the_form_but_does_not_carry_it(client, customer):
    html = client.get("/status/midsize/?lang=en").content.decode()
    assert 'href="/status/midsize/subscribe/?lang=en"' in html
    assert "<form" not in html  # the page may be a static snapshot: no CSRF token there


def test_sign_up_is_pending_until_confirmed(client, customer, file_server, commit):
    response = sign_up(client, commit, data={"components": [file_server.pk], "language": "de"})

    assert response.status_code == 302 and response["Location"].endswith("sent=1")
    subscription = Subscription.objects.get()
    stakeholder = subscription.stakeholder
    assert (subscription.state, stakeholder.is_active, stakeholder.self_subscribed) == ("pending", False, True)
    assert (stakeholder.role, stakeholder.audience, stakeholder.language) == ("affected_users", "end_user", "de")
    assert list(stakeholder.components.all()) == [file_server]
    [message] = mail.outbox
    assert message.to == ["piet@example.com"]
    assert "MidSize Manufacturing BV" in message.subject and "Bestätigen" in message.subject
    assert "File server" in message.body and "ignorieren" in message.body
    assert CONFIRM_LINK.search(message.body)


def test_confirm_get_changes_nothing_and_post_confirms(client, customer, commit):
    sign_up(client, commit)
    path = confirm_path(mail.outbox[0])

    page = client.get(path)
    assert page.status_code == 200 and "Confirm subscription" in page.content.decode()
    assert Subscription.objects.get().state == "pending"

    done = client.post(path)
    subscription = Subscription.objects.get()
    assert done.status_code == 200 and "Subscription confirmed" in done.content.decode()
    assert subscription.state == "confirmed" and subscription.confirmed_at is not None
    assert subscription.stakeholder.is_active


def test_forged_or_foreign_tokens_are_404_and_change_nothing(client, customer, other_customer, commit):
    sign_up(client, commit)
    subscription = Subscription.objects.get()
    good = confirm_path(mail.outbox[0])
    manage = subscription_tokens.manage_token(subscription.stakeholder_id)

    assert client.post(good[:-3] + "xx/").status_code == 404
    assert client.post(good.replace("/midsize/", "/northwind/")).status_code == 404
    forged = f"{subscription.stakeholder_id}:not-a-signature"
    assert client.post(f"/status/midsize/subscriptions/{forged}/unsubscribe/").status_code == 404
    assert client.post(f"/status/northwind/subscriptions/{manage}/unsubscribe/").status_code == 404
    assert client.post(f"/status/midsize/subscriptions/confirm/{manage}/").status_code == 404  # wrong salt
    assert Subscription.objects.get().state == "pending"


def test_unsubscribe_get_changes_nothing_and_one_click_post_without_csrf_unsubscribes(client, customer, commit):
    sign_up(client, commit)
    subscription = subscriptions.confirm(subscription=Subscription.objects.get())
    path = f"/status/midsize/subscriptions/{subscription_tokens.manage_token(subscription.stakeholder_id)}/unsubscribe/"

    assert client.get(path).status_code == 200
    assert Subscription.objects.get().state == "confirmed"

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    subscription.refresh_from_db()
    assert response.status_code == 200 and "You are unsubscribed" in response.content.decode()
    assert subscription.state == "unsubscribed" and subscription.unsubscribed_at is not None
    assert not Stakeholder.objects.get(pk=subscription.stakeholder_id).is_active
    assert strict.post(path).status_code == 200  # idempotent


def test_old_confirmation_link_cannot_undo_an_unsubscribe(client, customer, commit):
    sign_up(client, commit)
    old_link = confirm_path(mail.outbox[0])
    subscription = subscriptions.confirm(subscription=Subscription.objects.get())
    subscriptions.unsubscribe(subscription=subscription)

    assert client.post(old_link).status_code == 404
    assert Subscription.objects.get().state == "unsubscribed"


def test_preferences_page_saves_components_and_language(client, customer, file_server, erp, commit):
    sign_up(client, commit)
    subscription = subscriptions.confirm(subscription=Subscription.objects.get())
    path = f"/status/midsize/subscriptions/{subscription_tokens.manage_token(subscription.stakeholder_id)}/"

    page = client.get(path + "?lang=en")
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex" and "no-store" in page["Cache-Control"]
    response = client.post(path + "?lang=en", {"components": [erp.pk], "language": "nl"})

    stakeholder = Stakeholder.objects.get(pk=subscription.stakeholder_id)
    assert response.status_code == 200 and "Your choices are saved." in response.content.decode()
    assert stakeholder.language == "nl" and list(stakeholder.components.all()) == [erp]
    assert client.post(path, {"components": [999999], "language": "nl"}).status_code == 422


def test_subscribing_again_reuses_the_row_and_answers_the_same(client, customer, file_server, erp, commit):
    first = sign_up(client, commit, data={"components": [file_server.pk]})
    again = sign_up(client, commit, data={"email": "Piet@EXAMPLE.com", "components": [erp.pk]})

    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    assert Subscription.objects.count() == Stakeholder.objects.count() == 1
    assert list(Subscription.objects.get().stakeholder.components.all()) == [erp]  # still pending: new choice
    assert len(mail.outbox) == 2 and CONFIRM_LINK.search(mail.outbox[1].body)


def test_subscribing_a_confirmed_address_changes_nothing_and_mails_its_owner(client, customer, file_server, erp,
                                                                            commit):
    sign_up(client, commit, data={"components": [file_server.pk]})
    subscriptions.confirm(subscription=Subscription.objects.get())

    response = sign_up(client, commit, data={"components": [erp.pk], "language": "de"})

    stakeholder = Subscription.objects.get().stakeholder
    assert response.status_code == 302
    assert list(stakeholder.components.all()) == [file_server] and stakeholder.language == "en"
    assert not CONFIRM_LINK.search(mail.outbox[-1].body)
    assert "/subscriptions/" in mail.outbox[-1].body  # the preferences link, to the owner only


def test_a_subscriber_staff_switched_off_can_opt_in_again(client, customer, file_server, commit):
    sign_up(client, commit)
    subscription = subscriptions.confirm(subscription=Subscription.objects.get())
    Stakeholder.objects.filter(pk=subscription.stakeholder_id).update(is_active=False)  # the console's Deactivate

    sign_up(client, commit, data={"components": [file_server.pk]})

    subscription.refresh_from_db()
    assert subscription.state == "pending" and not subscription.stakeholder.is_active
    path = confirm_path(mail.outbox[-1])
    client.post(path)
    subscription.refresh_from_db()
    subscription.stakeholder.refresh_from_db()
    assert subscription.state == "confirmed" and subscription.stakeholder.is_active
    assert list(subscription.stakeholder.components.all()) == [file_server]


def test_invalid_input_is_422_with_field_errors_and_stores_nothing(client, customer, commit):
    response = sign_up(client, commit, data={"email": "not-an-address"})
    assert response.status_code == 422
    assert 'id="id_email_error"' in response.content.decode()
    assert Subscription.objects.count() == 0 and mail.outbox == []


def test_honeypot_gets_the_same_answer_and_nothing_is_stored(client, customer, commit):
    response = sign_up(client, commit, data={"website": "https://spam.example"})
    assert response.status_code == 302 and response["Location"].endswith("sent=1")
    assert Subscription.objects.count() == 0 and mail.outbox == []


def test_rate_limit_answers_429_and_stores_nothing(client, customer, commit, settings):
    settings.KALM_SUBSCRIBE_RATE = 2
    for n in range(2):
        assert sign_up(client, commit, data={"email": f"user{n}@example.com"}).status_code == 302

    response = sign_up(client, commit, data={"email": "user3@example.com"})

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert Subscription.objects.count() == 2 and len(mail.outbox) == 2
    other_ip = sign_up(client, commit, data={"email": "user4@example.com"}, REMOTE_ADDR="192.0.2.9")
    assert other_ip.status_code == 302


def test_client_ip_trusts_only_the_configured_number_of_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.KALM_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.KALM_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # the forged 6.6.6.6 is ignored


@pytest.mark.parametrize("url", ["http://hooks.example.com/kalm", "https://127.0.0.1/hook", "https://localhost/hook",
                                 "https://10.1.2.3/hook", "https://169.254.169.254/latest", "https://[::1]/hook",
                                 "https://[::ffff:127.0.0.1]/hook", "https://[64:ff9b::a9fe:a9fe]/latest",
                                 "https://[2002:a00:1::1]/hook", "https://100.64.0.1/hook", "https://[fe80::1]/hook",
                                 "https://224.0.0.1/hook", "https://0x7f000001/hook", "https://127.0.0.1./hook"])
def test_webhooks_into_private_networks_are_refused(client, customer, commit, settings, url):
    settings.KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE = False
    settings.KALM_OUTBOUND_ALLOW = ["127.0.0.1", "10.0.0.0/8"]  # the operator's list is not the public's
    response = sign_up(client, commit, data={"channel": "webhook", "webhook_url": url,
                                             "contact_email": "ops@example.com"})
    assert response.status_code == 422
    assert 'id="id_webhook_url_error"' in response.content.decode()
    assert Subscription.objects.count() == 0 and mail.outbox == []


def test_webhook_subscription_mails_its_contact(client, customer, commit, settings):
    settings.KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE = True  # subscribers may use the listed hosts (tests only)
    settings.KALM_OUTBOUND_ALLOW = ["127.0.0.1"]
    sign_up(client, commit, data={"channel": "webhook", "webhook_url": "http://127.0.0.1:9/hook",
                                  "contact_email": "ops@example.com"})
    subscription = Subscription.objects.get()
    assert subscription.stakeholder.webhook_url == "http://127.0.0.1:9/hook"
    assert subscription.stakeholder.email == "" and len(subscription.stakeholder.webhook_secret) >= 32
    assert mail.outbox[0].to == ["ops@example.com"]


def test_private_page_refuses_anonymous_sign_up(client, customer, commit, account_manager):
    customer.status_page_public = False
    customer.save()

    assert client.get("/status/midsize/subscribe/").status_code == 404
    assert sign_up(client, commit).status_code == 404
    assert Subscription.objects.count() == 0

    client.force_login(account_manager)  # someone who may see the page may subscribe
    response = sign_up(client, commit)
    assert response.status_code == 302 and Subscription.objects.count() == 1


def test_private_page_token_links_work_for_their_holder(client, customer, commit):
    sign_up(client, commit)
    customer.status_page_public = False
    customer.save()

    response = Client().post(confirm_path(mail.outbox[0]))
    assert response.status_code == 200 and Subscription.objects.get().state == "confirmed"


def test_console_labels_subscribers_and_does_not_offer_editing_their_address(client, customer, account_manager,
                                                                              commit):
    sign_up(client, commit)
    subscription = subscriptions.confirm(subscription=Subscription.objects.get())
    client.force_login(account_manager)
    edit = f"/console/customers/midsize/stakeholders/{subscription.stakeholder_id}/"

    listing = client.get("/console/customers/midsize/stakeholders/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    page = client.get(edit, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    refused = client.post(edit, {"name": "x", "role": "executives", "audience": "executive", "language": "en",
                                 "email": "attacker@example.com"})

    assert "Status page subscriber" in listing
    assert "Status page subscriber" in page and 'name="email"' not in page
    assert refused.status_code == 422
    assert Stakeholder.objects.get(pk=subscription.stakeholder_id).email == "piet@example.com"
    client.post(edit, {"set_active": "0"})
    assert not Stakeholder.objects.get(pk=subscription.stakeholder_id).is_active


def test_service_refuses_an_unknown_language_or_another_pages_component(customer, other_customer):
    foreign = other_customer.components.create(name="Mail")
    for language, components in (("fr", []), ("en", [foreign])):
        with pytest.raises(ValidationError):
            subscriptions.subscribe(customer=customer, channel="email", address="piet@example.com",
                                    language=language, components=components)
    assert Subscription.objects.count() == Stakeholder.objects.count() == 0
