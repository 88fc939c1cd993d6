"""Lines other apps add to the incident page, without incidents/ importing them.

``comms`` registers one in its AppConfig.ready(): messages about this incident that wait
for a recipient's interval, with their send time. A provider gets the incident and the
user (to keep to the user's customers) and answers safe HTML, or "" for nothing; it runs
on every render of the page, including the 30-second refresh, so it must stay one cheap query.
"""

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.utils.safestring import SafeString

from incidents.models import Incident

NoticeProvider = Callable[[Incident, AbstractBaseUser], SafeString | str]

providers: list[NoticeProvider] = []


def incident_notices(incident: Incident, user: AbstractBaseUser) -> list[SafeString | str]:
    return [notice for provider in providers if (notice := provider(incident, user))]
