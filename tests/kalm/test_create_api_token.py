"""``manage.py create_api_token``: stdout carries the token and nothing else."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from kalm.models import ApiToken, token_hash
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
