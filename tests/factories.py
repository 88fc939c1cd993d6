"""factory_boy factories with deterministic values (sequences, never random data)."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from incidents.models import Component, Customer


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@msp.example")
    password = factory.django.Password("kalm-test-password")
    is_staff = True


class ManagerFactory(UserFactory):
    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"manager{n}")

    @factory.post_generation
    def view_all(user, create, extracted, **kwargs):
        if create:
            user.user_permissions.add(Permission.objects.get(codename="view_all_customers"))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Customer {n} BV")
    slug = factory.Sequence(lambda n: f"customer-{n}")
    incident_prefix = factory.Sequence(lambda n: f"C{n}")
    language = "en"
    time_zone = "Europe/Amsterdam"


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Component {n}")
