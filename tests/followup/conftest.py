"""Stakeholders of MidSize for the follow-up tests: executives in German and Dutch, management, IT, users."""

import pytest

from comms.models import Stakeholder

PEOPLE = {
    # name: role, audience, language
    "ceo": ("executives", "executive", "de"),
    "cfo": ("executives", "executive", "nl"),
    "ops": ("management", "operational", "nl"),
    "it": ("customer_it", "technical", "nl"),
    "staff": ("affected_users", "end_user", "nl"),
}


@pytest.fixture
def people(customer):
    return {name: Stakeholder.objects.create(customer=customer, name=name.upper(), role=role, audience=audience,
                                             language=language, email=f"{name}@midsize.example")
            for name, (role, audience, language) in PEOPLE.items()}
