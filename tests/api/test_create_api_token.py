"""``manage.py create_api_token``: stdout carries the token and nothing else."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from api.models import ApiToken, token_hash
from tests.factories import UserFactory


def create_api_token(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_prints_a_token_that_authenticates(account_manager, incident):
    stdout, stderr = create_api_token("anna", "--name", "alertmanager")
    raw = stdout.strip()
    assert stdout == raw + "\n"  # one line: a script can capture it
    assert stderr == ""
    token = ApiToken.objects.get(user=account_manager)
    assert (token.name, token.key_hash, token.prefix) == ("alertmanager", token_hash(raw), raw[:12])
    assert raw not in {token.key_hash, token.prefix}  # only the hash is stored

    response = Client().get("/api/v1/incidents", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_each_call_issues_a_new_token(account_manager):
    first, _ = create_api_token("anna")
    second, _ = create_api_token("anna")
    assert first != second
    assert ApiToken.objects.filter(user=account_manager).count() == 2


def test_unknown_user_is_an_error(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        create_api_token("ghost")
    assert not ApiToken.objects.exists()


def test_inactive_user_is_an_error(db):
    UserFactory(username="gone", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        create_api_token("gone")
    assert not ApiToken.objects.exists()


def test_overlong_name_is_an_error(account_manager):
    with pytest.raises(CommandError, match="at most 100 characters"):
        create_api_token("anna", "--name", "x" * 101)
    assert not ApiToken.objects.exists()


def test_warns_on_stderr_when_the_user_is_not_staff_yet(db):
    UserFactory(username="newbie")
    stdout, stderr = create_api_token("newbie")
    assert stdout.strip().startswith("kalm_")
    assert "403" in stderr
    assert ApiToken.objects.filter(user__username="newbie").exists()


# --- scope and expiry --------------------------------------------------------------------


T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_scope_and_days(account_manager, incident, time_machine):
    time_machine.move_to(T0, tick=False)
    stdout, stderr = create_api_token("anna", "--scope", "read", "--days", "7")
    raw = stdout.strip()
    assert stdout == raw + "\n" and stderr == ""
    token = ApiToken.objects.get()
    assert (token.scope, token.expires_at) == ("read", T0 + timedelta(days=7))
    headers = {"Authorization": f"Bearer {raw}"}
    assert Client().get("/api/v1/incidents", headers=headers).status_code == 200
    refused = Client().post("/api/v1/incidents", {}, content_type="application/json", headers=headers)
    assert (refused.status_code, refused.json()) == (403, {"detail": "This token can only read."})


def test_defaults_are_write_and_KALM_API_TOKEN_DAYS(account_manager, settings, time_machine):
    """Scripts written before scopes existed keep getting tokens that can write."""
    time_machine.move_to(T0, tick=False)
    settings.KALM_API_TOKEN_DAYS = 14
    create_api_token("anna")
    token = ApiToken.objects.get()
    assert (token.scope, token.expires_at) == ("write", T0 + timedelta(days=14))


@pytest.mark.parametrize("days", ["0", "366", "-1"])
def test_days_out_of_range_is_an_error(account_manager, days):
    with pytest.raises(CommandError, match="between 1 and 365"):
        create_api_token("anna", "--days", days)
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(("args", "message"), [(["--scope", "admin"], "invalid choice"),
                                               (["--days", "ninety"], "invalid int value")])
def test_bad_scope_or_days_is_an_error(account_manager, args, message):
    with pytest.raises(CommandError, match=message):
        create_api_token("anna", *args)
    assert not ApiToken.objects.exists()
