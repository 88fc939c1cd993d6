"""Security events in the audit trail: sign-ins (and how), failed sign-ins, the lockout and its
lifting, second factors added and removed, recovery codes used, password changes, API tokens
created and revoked (console and commands), and the private status page link rotated. Who, when,
from where; never a password, code, token or secret."""

import io
import json

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core.management import call_command
from django.urls import reverse

from api.models import ApiToken
from audit.models import Action, AuditEvent
from statuspage.models import StatusPageAccess
from tests.accounts.conftest import PASSWORD, log_in
from tests.accounts.test_mfa import enrol_totp, give_totp
from tests.audit.conftest import IP, actions, only

pytestmark = pytest.mark.django_db


def stored_text() -> str:
    return json.dumps(list(AuditEvent.objects.values()), default=str)


class TestSignIn:
    def test_a_sign_in_with_its_method_and_address(self, from_ip, account_manager):
        assert log_in(from_ip, "anna").status_code == 302
        login = only(Action.LOGIN)
        assert (login.actor, login.actor_username, login.actor_ip) == (account_manager, "anna", IP)
        assert login.detail == "password"
        assert PASSWORD not in stored_text()

    def test_a_failed_sign_in_names_the_username_tried_but_not_the_password(self, from_ip, account_manager):
        log_in(from_ip, "Anna", "not-the-password")
        failed = only(Action.LOGIN_FAILED)
        assert (failed.actor, failed.actor_username, failed.actor_ip) == (None, "anna", IP)
        assert failed.detail == "password"
        assert "not-the-password" not in stored_text()

    def test_an_unknown_username_fails_the_same_way(self, from_ip, db):
        log_in(from_ip, "mallory", "guess")
        assert only(Action.LOGIN_FAILED).actor_username == "mallory"

    def test_the_lockout_is_recorded_once_and_its_lifting_with_who_lifted_it(self, from_ip, account_manager,
                                                                             manager):
        for _ in range(6):
            log_in(from_ip, "anna", "not-the-password")
        locked = only(Action.LOCKED_OUT)
        assert (locked.actor_username, locked.actor_ip, locked.after) == ("anna", IP, {"failures": 5})
        assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 6

        from_ip.force_login(manager)
        from_ip.post(reverse("accounts:lift_lockout"), {"username": "anna", "ip_address": IP})
        lifted = only(Action.LOCKOUT_LIFTED)
        assert (lifted.actor, lifted.actor_ip) == (manager, IP)
        assert lifted.after == {"username": "anna", "address": IP}
        from_ip.post(reverse("accounts:lift_lockout"), {"username": "anna", "ip_address": IP})  # nothing left
        assert AuditEvent.objects.filter(action=Action.LOCKOUT_LIFTED).count() == 1

    def test_second_factor_added_recovery_codes_regenerated_and_removed(self, from_ip, account_manager,
                                                                         django_capture_on_commit_callbacks):
        log_in(from_ip, "anna")
        with django_capture_on_commit_callbacks(execute=True):  # allauth signals these after commit
            enrol_totp(from_ip)
        added = AuditEvent.objects.filter(action=Action.MFA_ADDED).order_by("id")
        assert [event.after for event in added] == [{"type": "totp"}, {"type": "recovery_codes"}]
        assert all((event.actor, event.actor_ip) == (account_manager, IP) for event in added)
        totp = Authenticator.objects.get(user=account_manager, type=Authenticator.Type.TOTP)
        assert totp.data["secret"] not in stored_text()
        with django_capture_on_commit_callbacks(execute=True):
            from_ip.post(reverse("mfa_generate_recovery_codes"))
        regenerated = only(Action.RECOVERY_CODES_REGENERATED)
        assert (regenerated.actor, regenerated.actor_ip) == (account_manager, IP)
        with django_capture_on_commit_callbacks(execute=True):
            response = from_ip.post(reverse("mfa_deactivate_totp"))
        assert response.status_code == 302
        removed = AuditEvent.objects.filter(action=Action.MFA_REMOVED).order_by("id")
        # The recovery codes go with the last authenticator app.
        assert [event.before for event in removed] == [{"type": "totp"}, {"type": "recovery_codes"}]
        assert all((event.actor, event.actor_ip) == (account_manager, IP) for event in removed)

    def test_a_recovery_code_used_to_sign_in(self, from_ip, account_manager):
        give_totp(account_manager)
        codes = RecoveryCodes(Authenticator.objects.get(user=account_manager,
                                                        type=Authenticator.Type.RECOVERY_CODES)).get_unused_codes()
        log_in(from_ip, "anna")
        from_ip.post(reverse("mfa_authenticate"), {"code": codes[0]})
        used = only(Action.RECOVERY_CODE_USED)
        assert (used.actor, used.actor_ip) == (account_manager, IP)
        assert only(Action.LOGIN).detail == "password, mfa:recovery_codes"
        assert codes[0] not in stored_text()

    def test_a_wrong_second_factor_code_is_a_failed_sign_in(self, from_ip, account_manager):
        give_totp(account_manager)
        log_in(from_ip, "anna")
        from_ip.post(reverse("mfa_authenticate"), {"code": "000000"})
        from_ip.post(reverse("mfa_authenticate"), {"code": "111111"})
        failed = AuditEvent.objects.filter(action=Action.LOGIN_FAILED)
        assert failed.count() == 2 and {event.detail for event in failed} == {"mfa"}

    def test_a_password_change(self, from_ip, account_manager):
        log_in(from_ip, "anna")
        response = from_ip.post(reverse("account_change_password"),
                                {"oldpassword": PASSWORD, "password1": "a-new-long-passphrase-9",
                                 "password2": "a-new-long-passphrase-9"})
        assert response.status_code == 302
        changed = only(Action.PASSWORD_CHANGED)
        assert (changed.actor, changed.actor_ip) == (account_manager, IP)
        assert "a-new-long-passphrase-9" not in stored_text()

    def test_force_login_of_the_tests_is_not_a_sign_in(self, client, account_manager):
        client.force_login(account_manager)
        assert Action.LOGIN not in actions()


class TestApiTokens:
    def test_created_and_revoked_on_the_console_page(self, from_ip, account_manager, manager):
        from_ip.force_login(account_manager)
        response = from_ip.post(reverse("tokens:list"), {"name": "alertmanager", "scope": "read", "days": 30})
        raw = response.context["raw_token"]
        token = ApiToken.objects.get()
        created = only(Action.API_TOKEN_CREATED)
        assert (created.actor, created.actor_ip, created.object_id) == (account_manager, IP, str(token.pk))
        assert created.after["user"] == "anna" and created.after["scope"] == "read"
        assert created.after["prefix"] == token.prefix and created.after["name"] == "alertmanager"
        from_ip.force_login(manager)  # managers revoke anyone's
        from_ip.post(reverse("tokens:revoke", args=[token.pk]))
        revoked = only(Action.API_TOKEN_REVOKED)
        assert (revoked.actor, revoked.before) == (manager, {"revoked_at": None})
        assert revoked.after["revoked_at"]
        stored = stored_text()
        assert raw not in stored and token.key_hash not in stored

    def test_created_and_revoked_by_the_commands(self, account_manager):
        out = io.StringIO()
        call_command("create_api_token", "anna", "--name", "ci", stdout=out, stderr=io.StringIO())
        token = ApiToken.objects.get()
        created = only(Action.API_TOKEN_CREATED)
        assert (created.actor, created.actor_ip) == (None, None)
        assert created.detail == "manage.py create_api_token" and created.after["user"] == "anna"
        call_command("revoke_api_token", token.prefix, stdout=io.StringIO())
        revoked = only(Action.API_TOKEN_REVOKED)
        assert revoked.actor is None and revoked.detail == "manage.py revoke_api_token"
        assert out.getvalue().strip() not in stored_text() and token.key_hash not in stored_text()


def test_private_link_rotation_by_the_command(customer):
    call_command("statuspage_link", customer.slug, stdout=io.StringIO(), stderr=io.StringIO())
    assert not AuditEvent.objects.exists()  # printing the link changes nothing
    call_command("statuspage_link", customer.slug, "--rotate", stdout=io.StringIO(), stderr=io.StringIO())
    rotated = only(Action.STATUS_LINK_ROTATED)
    assert rotated.customer == customer and rotated.actor is None
    assert rotated.detail == "manage.py statuspage_link --rotate"
    assert StatusPageAccess.objects.get(customer=customer).token not in stored_text()
