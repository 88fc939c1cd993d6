"""SSO configuration from the environment (accounts/oidc_settings.py): one provider or several,
secrets from files, and loud errors naming the variable."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.middleware import AccountsMiddleware
from accounts.oidc_settings import form_action_origins, oidc_role_mapping, openid_connect_apps
from accounts.services import groups_from_claims, roles_for_groups

ENTRA = "https://login.microsoftonline.com/00000000-1111-2222-3333-444444444444/v2.0"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ["KALM_OIDC_PROVIDERS", "KALM_OIDC_ISSUER", "KALM_OIDC_CLIENT_ID", "KALM_OIDC_CLIENT_SECRET",
                 "KALM_OIDC_NAME", "KALM_OIDC_ID", "KALM_OIDC_LINK_BY_EMAIL", "KALM_OIDC_MANAGER_GROUPS",
                 "KALM_OIDC_CUSTOMER_GROUPS", "KALM_OIDC_GROUPS_CLAIM"]:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)


def test_nothing_configured_means_no_sso():
    assert openid_connect_apps() == []
    assert oidc_role_mapping() == {"groups_claim": "groups", "manager_groups": [], "customer_groups": {}}


def test_one_provider_from_variables_with_the_secret_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    monkeypatch.setenv("KALM_OIDC_ISSUER", ENTRA + "/")
    monkeypatch.setenv("KALM_OIDC_CLIENT_ID", "abc")
    monkeypatch.setenv("KALM_OIDC_CLIENT_SECRET_FILE", str(secret))
    monkeypatch.setenv("KALM_OIDC_NAME", "Microsoft 365")
    [app] = openid_connect_apps()
    assert app["provider_id"] == "sso" and app["name"] == "Microsoft 365"
    assert app["client_id"] == "abc" and app["secret"] == "s3cr3t"
    assert app["settings"]["server_url"] == ENTRA and app["settings"]["oauth_pkce_enabled"] is True
    assert "email_authentication" not in app["settings"]
    assert form_action_origins([app]) == ["https://login.microsoftonline.com"]


def test_several_providers_as_json_with_allauth_settings_passed_through(monkeypatch):
    monkeypatch.setenv("KALM_OIDC_PROVIDERS", json.dumps([
        {"id": "entra", "name": "Microsoft 365", "issuer": ENTRA, "client_id": "a", "client_secret": "x"},
        {"id": "google", "name": "Google", "issuer": "https://accounts.google.com", "client_id": "b",
         "client_secret": "y", "settings": {"fetch_userinfo": False}},
    ]))
    monkeypatch.setenv("KALM_OIDC_LINK_BY_EMAIL", "MSP.example")
    entra, google = openid_connect_apps()
    assert (entra["provider_id"], google["provider_id"]) == ("entra", "google")
    assert google["settings"]["fetch_userinfo"] is False
    assert entra["settings"]["email_authentication"] is True and entra["settings"]["verified_email"] == ["msp.example"]
    assert form_action_origins([entra, google]) == ["https://login.microsoftonline.com", "https://accounts.google.com"]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("KALM_OIDC_PROVIDERS", "{not json", "KALM_OIDC_PROVIDERS must be JSON"),
    ("KALM_OIDC_PROVIDERS", '{"id": "x"}', "must be a JSON list"),
    ("KALM_OIDC_PROVIDERS", '[{"id": "Bad Id", "issuer": "https://idp.example", "client_id": "a"}]', "id must be"),
    ("KALM_OIDC_PROVIDERS", '[{"id": "x", "issuer": "http://idp.example", "client_id": "a", "client_secret": "b"}]',
     "must be an https:// URL"),
    ("KALM_OIDC_PROVIDERS", '[{"id": "x", "issuer": "https://idp.example", "client_id": "a"}]',
     "needs client_id and client_secret"),
])
def test_a_bad_provider_stops_start_up_naming_the_variable(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        openid_connect_apps()


def test_a_bad_customer_mapping_stops_start_up(monkeypatch):
    monkeypatch.setenv("KALM_OIDC_CUSTOMER_GROUPS", '{"team": "midsize"}')
    with pytest.raises(ImproperlyConfigured, match="KALM_OIDC_CUSTOMER_GROUPS"):
        oidc_role_mapping()


def test_groups_map_to_roles_without_regard_to_case(settings, monkeypatch):
    monkeypatch.setenv("KALM_OIDC_MANAGER_GROUPS", "Kalm-Managers, 7f1c0000-aaaa-bbbb-cccc-000000000001")
    monkeypatch.setenv("KALM_OIDC_CUSTOMER_GROUPS", json.dumps({"Team-Industry": ["midsize", "northwind"],
                                                                 "Team-Care": ["bergmann"]}))
    settings.KALM_OIDC = oidc_role_mapping()
    roles = roles_for_groups({"team-industry", "All-Staff"})
    assert not roles.manager and roles.customer_slugs == {"midsize", "northwind"}
    assert roles.mapped_slugs == {"midsize", "northwind", "bergmann"} and roles.manages_manager_role
    assert roles_for_groups({"7F1C0000-AAAA-BBBB-CCCC-000000000001"}).manager  # Entra sends object ids
    assert not roles_for_groups(set()).grants_anything


def test_the_groups_claim_can_be_a_string_such_as_googles_hosted_domain(settings):
    settings.KALM_OIDC = {**settings.KALM_OIDC, "groups_claim": "hd"}
    assert groups_from_claims({"hd": "msp.example"}, None) == {"msp.example"}
    settings.KALM_OIDC = {**settings.KALM_OIDC, "groups_claim": "groups"}
    assert groups_from_claims({"groups": ["a"]}, {"groups": ["b"]}) == {"a", "b"}  # ID token and userinfo


def test_kalm_mfa_required_takes_only_known_values(settings):
    settings.KALM_MFA_REQUIRED = "admins"
    with pytest.raises(ImproperlyConfigured, match="KALM_MFA_REQUIRED"):
        AccountsMiddleware(lambda request: None)


def test_a_provider_may_name_its_own_groups_claim(settings):
    from types import SimpleNamespace

    from accounts.adapter import sso_roles

    settings.KALM_OIDC = {"groups_claim": "groups", "manager_groups": ["msp.example"], "customer_groups": {}}
    google = SimpleNamespace(
        account=SimpleNamespace(extra_data={"id_token": {"hd": "msp.example", "sub": "1"}, "userinfo": {"sub": "1"}}),
        provider=SimpleNamespace(app=SimpleNamespace(settings={"groups_claim": "hd"})))
    assert sso_roles(google).manager
    google.provider.app.settings = {}
    assert not sso_roles(google).grants_anything
