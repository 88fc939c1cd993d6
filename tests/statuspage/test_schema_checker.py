"""The structural checker itself rejects what it should (so the API tests can trust it)."""

import pytest

from tests.statuspage.schema import COMPONENT, DOCUMENTS, PAGE, validate

GOOD_PAGE = {"id": "midsize", "name": "M", "url": "http://x/", "time_zone": "Europe/Amsterdam",
             "updated_at": "2025-06-03T14:00:00.000+02:00"}
GOOD_COMPONENT = {
    "id": "1", "name": "ERP", "status": "operational", "created_at": "2025-06-03T14:00:00.000+02:00",
    "updated_at": "2025-06-03T14:00:00.000+02:00", "position": 1, "description": None, "showcase": True,
    "start_date": None, "group_id": None, "page_id": "midsize", "group": False, "only_show_if_degraded": False,
}


def test_accepts_a_good_document():
    validate({"page": GOOD_PAGE, "components": [GOOD_COMPONENT]}, DOCUMENTS["components.json"])


@pytest.mark.parametrize(
    ("value", "spec", "message"),
    [
        ({**GOOD_PAGE, "extra": 1}, PAGE, "unexpected"),
        ({k: v for k, v in GOOD_PAGE.items() if k != "time_zone"}, PAGE, "missing"),
        ({**GOOD_PAGE, "updated_at": "2025-06-03T14:00:00Z"}, PAGE, "timestamp"),
        ({**GOOD_COMPONENT, "status": "down"}, COMPONENT, "not one of"),
        ({**GOOD_COMPONENT, "position": True}, COMPONENT, "integer"),
        ({**GOOD_COMPONENT, "group": True}, COMPONENT, "missing"),  # a group lists its components
    ],
)
def test_rejects(value, spec, message):
    with pytest.raises(AssertionError, match=message):
        validate(value, spec)
