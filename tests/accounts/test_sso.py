"""Single sign-on against a real OpenID Connect provider on loopback (django-oauth-toolkit in its own
process, tests/accounts/oidc_idp): Kalm's login page starts it, the IdP's login form is filled in
by an HTTP client as a browser would, the IdP redirects back with a code, and Kalm exchanges it
at the IdP's token endpoint and reads the ID token and userinfo (signed with the run's RSA key).

The IdP's groups claim decides: managers, account managers of mapped customers, or refused.
tests/browser/test_sso.py does the same in Chromium.
"""

import re
from html import unescape
from urllib.parse import urljoin

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.services import managers_group
from incidents.selectors import user_is_manager
from tests.accounts.oidc_idp.server import oidc_idp  # noqa: F401  (the session fixture)
from tests.factories import CustomerFactory, ManagerFactory

pytestmark = pytest.mark.django_db

CLIENT_ID = "kalm-testserver"
CLIENT_SECRET = "kalm-testserver-secret-0123456789"
CALLBACK = "http://testserver/accounts/oidc/sso/login/callback/"
IDP_PASSWORD = "idp-password-1"
IDP_USERS = [
    {"username": "mia", "email": "mia@msp.example", "first_name": "Mia", "last_name": "Manager",
     "groups": ["Kalm-Managers", "All-Staff"]},
    {"username": "tom", "email": "tom@msp.example", "first_name": "Tom", "last_name": "Team",
     "groups": ["Team-Industry"]},
    {"username": "guest", "email": "guest@msp.example", "groups": ["All-Staff"]},
    {"username": "maria-sso", "email": "maria@msp.example", "groups": ["All-Staff"]},
]


@pytest.fixture(scope="module")
def idp(oidc_idp):  # noqa: F811
    oidc_idp.seed(users=[{**user, "password": IDP_PASSWORD} for user in IDP_USERS],
                  clients=[{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [CALLBACK]}])
    return oidc_idp


@pytest.fixture
def kalm_sso(idp, settings, monkeypatch, customer, other_customer):
    def configure(**overrides):
        options = {"manager_groups": "Kalm-Managers",
                   "customer_groups": {"Team-Industry": ["midsize", "northwind"], "Team-Other": ["bergmann"]}}
        idp.kalm_settings(settings, monkeypatch, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                          **{**options, **overrides})

    configure()
    return configure


def sso_sign_in(client, idp, username: str, *, start: str = "/accounts/login/"):
    """Kalm's SSO button, the IdP's login form, back to Kalm's callback: Kalm's answer to the callback."""
    page = client.get(start, follow=True)
    action = unescape(re.search(r'<form method="post" action="(/accounts/oidc/sso/login/[^"]*)">', page.text).group(1))
    leave = client.post(action)
    assert leave.status_code == 302 and leave.url.startswith(f"{idp.issuer}/authorize/"), leave
    assert "code_challenge=" in leave.url  # PKCE

    browser = requests.Session()
    answer = browser.get(leave.url, allow_redirects=False, timeout=10)
    login_url = urljoin(leave.url, answer.headers["Location"])  # the IdP wants to know who this is
    form = browser.get(login_url, timeout=10).text
    fields = {name: unescape(value) for name, value in re.findall(r'name="(csrfmiddlewaretoken|next)" value="([^"]*)"',
                                                                 form)}
    answer = browser.post(login_url, data={**fields, "username": username, "password": IDP_PASSWORD},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    answer = browser.get(urljoin(login_url, answer.headers["Location"]), allow_redirects=False, timeout=10)
    back = answer.headers["Location"]
    assert back.startswith(CALLBACK + "?") and "code=" in back
    return client.get(back.removeprefix("http://testserver"))


def test_the_login_page_offers_the_idp_and_may_post_to_it(client, kalm_sso, idp):
    response = client.get("/accounts/login/")
    assert "Sign in with Test IdP" in response.text
    assert f"form-action 'self' {idp.origin}" in response.headers["Content-Security-Policy"]


def test_a_manager_group_member_is_created_as_a_manager_on_first_sign_in(client, kalm_sso, idp):
    response = sso_sign_in(client, idp, "mia")
    assert response.status_code == 302 and response.url == reverse("incidents:dashboard")
    user = get_user_model().objects.get(email="mia@msp.example")
    assert user.get_full_name() == "Mia Manager" and not user.has_usable_password()
    assert user_is_manager(user) and managers_group() in user.groups.all() and user.is_staff
    assert SocialAccount.objects.get(user=user).provider == "sso"
    assert client.get(reverse("incidents:dashboard")).status_code == 200


def test_a_team_group_member_becomes_account_manager_of_its_customers(client, kalm_sso, idp, customer,
                                                                      other_customer):
    response = sso_sign_in(client, idp, "tom")
    assert response.status_code == 302
    user = get_user_model().objects.get(email="tom@msp.example")
    assert not user_is_manager(user)
    assert set(user.managed_customers.values_list("slug", flat=True)) == {"midsize", "northwind"}
    assert client.get(reverse("incidents:dashboard")).status_code == 200


def test_someone_in_no_mapped_group_is_refused_and_not_created(client, kalm_sso, idp):
    response = sso_sign_in(client, idp, "guest")
    assert response.status_code == 403
    assert "No access to Kalm" in response.text and "not in any group that gives access" in response.text
    assert not get_user_model().objects.filter(email="guest@msp.example").exists()
    assert client.get(reverse("incidents:dashboard")).status_code == 302


def test_the_mapping_applies_at_every_sign_in(client, kalm_sso, idp, customer, other_customer):
    bergmann = CustomerFactory(slug="bergmann", name="Bergmann", incident_prefix="BPG")
    unmapped = CustomerFactory(slug="hand-picked", name="Hand picked", incident_prefix="HPK")
    sso_sign_in(client, idp, "tom")
    tom = get_user_model().objects.get(email="tom@msp.example")
    tom.managed_customers.add(bergmann, unmapped)  # by hand; bergmann is the IdP's business, hand-picked is not
    client.logout()

    # The IdP now puts Tom in the managers group as well.
    kalm_sso(manager_groups="Team-Industry")
    assert sso_sign_in(client, idp, "tom").status_code == 302
    tom.refresh_from_db()
    assert user_is_manager(get_user_model().objects.get(pk=tom.pk))
    assert set(tom.managed_customers.values_list("slug", flat=True)) == {"midsize", "northwind", "hand-picked"}
    client.logout()

    # Then Tom leaves every mapped group: he loses those roles, and the hand-picked customer keeps him staff.
    kalm_sso(manager_groups="Kalm-Managers", customer_groups={"Team-Other": ["midsize", "northwind", "bergmann"]})
    assert sso_sign_in(client, idp, "tom").status_code == 302
    tom = get_user_model().objects.get(pk=tom.pk)
    assert not user_is_manager(tom)
    assert set(tom.managed_customers.values_list("slug", flat=True)) == {"hand-picked"}
    client.logout()

    # Without the hand-picked customer nothing gives him access any more: refused.
    tom.managed_customers.remove(unmapped)
    response = sso_sign_in(client, idp, "tom")
    assert response.status_code == 403 and client.get(reverse("incidents:dashboard")).status_code == 302


def test_an_existing_address_is_not_taken_over_by_a_new_sso_account(client, kalm_sso, idp):
    ManagerFactory(username="maria", email="maria@msp.example")
    kalm_sso(manager_groups="All-Staff")
    response = sso_sign_in(client, idp, "maria-sso")
    assert response.status_code == 403 and "already exists" in response.text
    assert get_user_model().objects.filter(email__iexact="maria@msp.example").count() == 1


def test_with_link_by_email_the_idp_signs_in_the_existing_user(client, kalm_sso, idp):
    maria = ManagerFactory(username="maria", email="maria@msp.example")
    kalm_sso(manager_groups="All-Staff", link_by_email="msp.example")
    response = sso_sign_in(client, idp, "maria-sso")
    assert response.status_code == 302
    assert client.get(reverse("incidents:dashboard")).wsgi_request.user == maria
    assert SocialAccount.objects.get(provider="sso").user == maria


def test_the_next_page_survives_the_trip_to_the_idp(client, kalm_sso, idp):
    maintenance = reverse("incidents:maintenance_list")
    response = sso_sign_in(client, idp, "mia", start=maintenance)
    assert response.status_code == 302 and response.url == maintenance
