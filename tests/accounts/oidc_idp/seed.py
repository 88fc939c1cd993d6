"""``python -m tests.accounts.oidc_idp.seed '<json>'``: users (with groups) and clients in the IdP's database.

JSON: {"users": [{"username", "password", "email", "first_name", "last_name", "groups": [...]}],
       "clients": [{"client_id", "client_secret", "redirect_uris": [...]}]}
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.accounts.oidc_idp.settings")
django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402


def seed(spec: dict) -> None:
    for item in spec.get("users", []):
        user, _ = User.objects.get_or_create(username=item["username"])
        user.email = item.get("email", "")
        user.first_name = item.get("first_name", "")
        user.last_name = item.get("last_name", "")
        user.set_password(item["password"])
        user.save()
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in item.get("groups", [])])
    for item in spec.get("clients", []):
        Application.objects.filter(client_id=item["client_id"]).delete()
        Application.objects.create(
            name=item["client_id"], client_id=item["client_id"], client_secret=item["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(item["redirect_uris"]), algorithm=Application.RS256_ALGORITHM,
            skip_authorization=item.get("skip_authorization", True),
        )


if __name__ == "__main__":
    seed(json.loads(sys.argv[1]))
