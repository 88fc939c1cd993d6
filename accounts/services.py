"""Writes and reads about staff accounts: their language, and the roles an SSO login grants.

Roles follow the permission rule of ``incidents.selectors``: a manager is in the managers
group (``KALM_MANAGERS_GROUP``, "Managers"), which holds ``incidents.view_all_customers``; an
account manager is assigned to customers (``Customer.account_managers``).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import transaction

from accounts.models import AccountPreferences
from incidents.models import Customer
from incidents.selectors import user_is_msp_staff

log = logging.getLogger(__name__)

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def user_language(user: AbstractBaseUser | None, fallback: str | None = None) -> str:
    """The language mail to ``user`` is written in: theirs, else ``fallback``, else the site's."""
    if user is not None and user.pk:
        language = AccountPreferences.objects.filter(user=user).values_list("language", flat=True).first()
        if language in LANGUAGE_CODES:
            return language
    return fallback if fallback in LANGUAGE_CODES else settings.LANGUAGE_CODE


def remember_language(user: AbstractBaseUser, language: str | None) -> None:
    """Record the console language ``user`` chose or signed in with (unknown codes are ignored)."""
    if not user.pk or language not in LANGUAGE_CODES:
        return
    AccountPreferences.objects.update_or_create(user=user, defaults={"language": language})


# --- single sign-on: IdP groups → Kalm roles -------------------------------------------------


@dataclass(frozen=True)
class SsoRoles:
    """What the IdP's groups grant under ``settings.KALM_OIDC``."""

    manager: bool = False
    customer_slugs: frozenset[str] = field(default_factory=frozenset)
    # What the mapping speaks about; what it does not mention is left as it is.
    manages_manager_role: bool = False
    mapped_slugs: frozenset[str] = field(default_factory=frozenset)

    @property
    def grants_anything(self) -> bool:
        return self.manager or bool(self.customer_slugs)


def groups_from_claims(*claim_sets: dict | None, claim: str | None = None) -> set[str]:
    """The groups claim (``claim``, else ``KALM_OIDC_GROUPS_CLAIM``) from the ID token and userinfo:
    a list, or one string such as Google's hosted domain ``hd``."""
    name = claim or settings.KALM_OIDC["groups_claim"]
    groups: set[str] = set()
    for claims in claim_sets:
        value = (claims or {}).get(name)
        if isinstance(value, str):
            groups.add(value)
        elif isinstance(value, list | tuple):
            groups.update(str(item) for item in value if isinstance(item, str | int))
    return groups


def roles_for_groups(groups: Iterable[str]) -> SsoRoles:
    mapping = settings.KALM_OIDC
    member_of = {group.casefold() for group in groups}
    manager_groups = {group.casefold() for group in mapping["manager_groups"]}
    customer_groups = {group.casefold(): slugs for group, slugs in mapping["customer_groups"].items()}
    slugs = {slug for group, group_slugs in customer_groups.items() if group in member_of for slug in group_slugs}
    return SsoRoles(
        manager=bool(manager_groups & member_of),
        customer_slugs=frozenset(slugs),
        manages_manager_role=bool(manager_groups),
        mapped_slugs=frozenset(slug for group_slugs in customer_groups.values() for slug in group_slugs),
    )


def managers_group() -> Group:
    """The managers group, created with its permission on first use (a fresh production database)."""
    group, _created = Group.objects.get_or_create(name=settings.KALM_MANAGERS_GROUP)
    permission = Permission.objects.filter(codename="view_all_customers", content_type__app_label="incidents").first()
    if permission is not None:
        group.permissions.add(permission)
    return group


@transaction.atomic
def apply_sso_roles(user: AbstractBaseUser, roles: SsoRoles) -> None:
    """Make ``user``'s roles what the IdP says, for what the mapping covers.

    Membership of the managers group follows the manager groups (when any are configured);
    assignments to customers named in the customer mapping follow the customer groups.
    Customers the mapping does not name, and assignments made by hand to them, stay.
    """
    if roles.manages_manager_role:
        group = managers_group()
        if roles.manager:
            user.groups.add(group)
            if not user.is_staff:
                user.is_staff = True  # managers edit reference data in /admin/
                user.save(update_fields=["is_staff"])
        else:
            user.groups.remove(group)
    if roles.mapped_slugs:
        known = dict(Customer.objects.filter(slug__in=roles.mapped_slugs).values_list("slug", "pk"))
        for slug in sorted(roles.mapped_slugs - known.keys()):
            log.warning("KALM_OIDC_CUSTOMER_GROUPS names customer %r, which does not exist", slug)
        assigned = [pk for slug, pk in known.items() if slug in roles.customer_slugs]
        withdrawn = [pk for slug, pk in known.items() if slug not in roles.customer_slugs]
        user.managed_customers.add(*assigned)
        user.managed_customers.remove(*withdrawn)
    # Permissions are cached on the user object; the rest of this request must see the new ones.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    log.info("SSO roles for %s: manager=%s customers=%s", user.get_username(), roles.manager,
             sorted(roles.customer_slugs))


def may_use_console(user: AbstractBaseUser) -> bool:
    return user_is_msp_staff(user)
