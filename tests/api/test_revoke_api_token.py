"""``manage.py revoke_api_token PREFIX_OR_ID [--user USERNAME]``: the token stops working at once;
when nothing was revoked the command says why and exits non-zero."""

from io import StringIO

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.test import Client

from api.models import ApiToken


def revoke_api_token(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("revoke_api_token", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def api_status(raw: str) -> tuple[int, dict]:
    response = Client().get("/api/v1/incidents", headers={"Authorization": f"Bearer {raw}"})
    return response.status_code, response.json()


@pytest.fixture
def issued(account_manager, incident) -> tuple[ApiToken, str]:
    token, raw = ApiToken.issue(user=account_manager, name="alertmanager")
    assert api_status(raw)[0] == 200
    return token, raw


@pytest.mark.parametrize("by", ["prefix", "prefix…", "id", "token"])
def test_revokes_by_prefix_id_or_the_token_itself(issued, by):
    token, raw = issued
    argument = {"prefix": token.prefix, "prefix…": f"{token.prefix}…", "id": str(token.pk), "token": raw}[by]
    stdout, stderr = revoke_api_token(argument)
    assert stdout == f"Revoked token {token.prefix}… (alertmanager) of anna.\n" and stderr == ""
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by is None  # from the command line
    assert api_status(raw) == (401, {"detail": "Token revoked."})


def test_user_narrows_the_search(issued, other_account_manager):
    token, raw = issued
    with pytest.raises(CommandError, match="No API token matches .* among the tokens of 'otto'"):
        revoke_api_token(token.prefix, "--user", "otto")
    assert api_status(raw)[0] == 200
    revoke_api_token(token.prefix, "--user", "anna")
    assert api_status(raw)[0] == 401


def test_unknown_token_is_an_error(issued):
    _token, raw = issued
    for argument in ["kalm_nothere1", "999999", raw + "x"]:
        with pytest.raises(CommandError, match="No API token matches"):
            revoke_api_token(argument)
    with pytest.raises(CommandError, match="A prefix has 12 characters"):
        revoke_api_token(raw[:8])
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        revoke_api_token(raw[:12], "--user", "ghost")
    assert api_status(raw)[0] == 200


def test_an_ambiguous_prefix_revokes_nothing(issued, other_account_manager):
    token, _raw = issued
    twin = ApiToken.objects.create(user=other_account_manager, prefix=token.prefix, key_hash="0" * 64)
    with pytest.raises(CommandError, match="Several API tokens match"):
        revoke_api_token(token.prefix)
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()
    revoke_api_token(token.prefix, "--user", "otto")
    twin.refresh_from_db()
    assert twin.revoked_at is not None


def test_revoking_twice_is_an_error(issued):
    token, _raw = issued
    revoke_api_token(token.prefix)
    revoked_at = ApiToken.objects.get().revoked_at
    with pytest.raises(CommandError, match="already revoked"):
        revoke_api_token(token.prefix)
    assert ApiToken.objects.get().revoked_at == revoked_at


@pytest.mark.django_db(transaction=True)  # the command line closes every connection when it ends
def test_exit_status(issued, capsys):
    """What a shell script sees: status 0 and a line on stdout, or non-zero and the reason on stderr."""
    token, raw = issued

    def run(*args: str) -> int:
        try:
            ManagementUtility(["manage.py", "revoke_api_token", *args]).execute()
        except SystemExit as stop:
            return stop.code
        return 0

    assert run("kalm_nothere1") == 1
    assert "No API token matches 'kalm_nothere1'" in capsys.readouterr().err
    assert run(token.prefix) == 0
    assert capsys.readouterr().out.startswith(f"Revoked token {token.prefix}…")
    assert run(token.prefix) == 1
    assert "already revoked" in capsys.readouterr().err
    assert run() != 0
    assert "PREFIX_OR_ID" in capsys.readouterr().err
