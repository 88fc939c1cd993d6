"""The intake's source parsers: each source's documented payload (tests/intake/fixtures) read into
AlertSignals field by field, and every malformed body answered with a PayloadError naming the
field, never a KeyError, TypeError or ValueError. Pure functions: no database."""

import copy
import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from intake.signals import AlertSignal, PayloadError
from intake.sources import PARSERS, alertmanager, dattormm, generic, grafana, ninjaone, uptimekuma, zabbix
from intake.sources.base import Payload, clean_url, component_names, parse_time, short_key, tag_pairs

FIXTURES = Path(__file__).parent / "fixtures"
MEDIA_TYPE = Path(__file__).resolve().parents[2] / "deploy" / "zabbix" / "kalm_mediatype.yaml"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def payload(data: object, content_type: str = "application/json", **headers: str) -> Payload:
    return Payload(json.dumps(data).encode(), content_type, headers)


def from_file(name: str) -> Payload:
    return Payload((FIXTURES / f"{name}.json").read_bytes())


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def field_of(parse, data: object, config: dict[str, str] | None = None) -> str:
    """The field a malformed body's PayloadError names."""
    with pytest.raises(PayloadError) as raised:
        parse(payload(data), config or {})
    return raised.value.field


# --- shared readers (intake/sources/base.py) --------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-05-31T07:02:11Z", utc(2025, 5, 31, 7, 2, 11)),
        ("2025-05-31T09:02:11+02:00", utc(2025, 5, 31, 7, 2, 11)),
        ("2018-08-03T09:52:26.739266876+02:00", utc(2018, 8, 3, 7, 52, 26, 739266)),  # Alertmanager's nanoseconds
        ("2025-05-31T07:02:11", utc(2025, 5, 31, 7, 2, 11)),  # naive is UTC
        ("2025-05-31 07:02:11.512", utc(2025, 5, 31, 7, 2, 11, 512000)),  # Uptime Kuma's
        (1748675531, utc(2025, 5, 31, 7, 12, 11)),
        (1748675531.5, utc(2025, 5, 31, 7, 12, 11, 500000)),
        ("1748675531", utc(2025, 5, 31, 7, 12, 11)),
        (None, None),
        ("", None),
        ("  ", None),
    ],
)
def test_parse_time_reads_iso_8601_and_epoch_seconds_as_aware_utc(value, expected):
    moment = parse_time(value, "startsAt")
    assert moment == expected
    assert moment is None or moment.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    ["1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-02:00", "0001-01-01T00:30:00+02:00",
     "2101-01-01T00:00:00Z", 0, 1748675531482, 10**20,
     float("inf"), float("nan"), "yesterday", "2025-13-01T00:00:00Z", True, {"at": 1}, [2025]],
)
def test_parse_time_refuses_absurd_or_unreadable_times_naming_the_field(value):
    with pytest.raises(PayloadError) as raised:
        parse_time(value, "alerts[0].startsAt")
    assert raised.value.field == "alerts[0].startsAt"


def test_short_key_keeps_keys_up_to_200_characters_and_hashes_longer_ones_stably():
    assert short_key("event:58114") == "event:58114"
    assert short_key("a" * 200) == "a" * 200
    long = short_key("a" * 201)
    assert long == "sha256:" + hashlib.sha256(b"a" * 201).hexdigest()
    assert len(long) <= 200
    assert short_key("a" * 201) == long
    assert short_key("mon\x00itor:7\n") == "monitor:7"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://grafana.example.net/d/abc?viewPanel=2", "https://grafana.example.net/d/abc?viewPanel=2"),
        ("  http://prometheus:9090/graph  ", "http://prometheus:9090/graph"),
        ("javascript:alert(1)", ""),
        ("https://", ""),  # Uptime Kuma's default for a monitor without a URL
        ("/relative/path", ""),
        ("https://example.net/a b", ""),
        ("https://example.net/\x00", ""),
        (42, ""),
        (None, ""),
    ],
)
def test_clean_url_keeps_only_absolute_http_links(value, expected):
    assert clean_url(value) == expected


def test_component_names_and_tag_pairs_read_the_usual_shapes():
    assert component_names("Fileserver, VPN,,Fileserver") == ("Fileserver", "VPN")
    assert component_names(["ERP", "Mail\x00 gateway", 7, None, {"x": 1}]) == ("ERP", "Mail gateway", "7")
    assert component_names({"name": "ERP"}) == ()
    assert tag_pairs([{"tag": "component", "value": "A"}, {"tag": "component", "value": "B"},
                      {"name": "site", "value": "Eindhoven"}, "env:prod", "team=blue", "solo", 12]) == {
        "component": "A,B", "site": "Eindhoven", "env": "prod", "team": "blue", "solo": ""}
    assert tag_pairs({"site": "Eindhoven", "gone": None, "n": 3}) == {"site": "Eindhoven", "n": "3"}
    assert tag_pairs("component=A") == {}


# --- every source: bodies that are not what it reads ------------------------------------------


@pytest.mark.parametrize("kind", sorted(PARSERS))
@pytest.mark.parametrize("body", [b"not json", b"", b"\xff\xfe", b"[]", b'"text"', b"42", b"null"])
def test_every_source_refuses_a_body_that_is_not_a_json_object(kind, body):
    with pytest.raises(PayloadError) as raised:
        PARSERS[kind](Payload(body), {})
    assert raised.value.field == "body"


ODD_VALUES: list[object] = [None, "", "x", 0, -1, 1e300, True, [], ["x"], {}, {"x": 1}, "\x00"]


def _paths(value: object, prefix: tuple = (), depth: int = 4) -> Iterator[tuple]:
    """Every key/index path into a fixture, a few levels deep."""
    if depth == 0:
        return
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        yield (*prefix, key)
        yield from _paths(item, (*prefix, key), depth - 1)


def _replaced(data: dict, path: tuple, new: object) -> dict:
    changed = copy.deepcopy(data)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return changed


GENERIC_PAGERDUTY = {
    "fingerprint": "dedup_key",
    "status": "event_action == 'resolve' && 'resolved' || 'firing'",
    "title": "payload.summary",
    "description": "payload.custom_details.site",
    "severity": "payload.severity",
    "group_key": "payload.group",
    "labels": "{source: payload.source, class: payload.class}",
    "components": "payload.component",
    "started_at": "payload.timestamp",
    "url": "links[0].href",
}
GENERIC_BETTERSTACK = {
    "alerts": "[data]",
    "fingerprint": "id",
    "status": "attributes.status",
    "title": "attributes.name",
    "description": "attributes.cause",
    "started_at": "attributes.started_at",
    "url": "attributes.url",
}
CONFIGS = {"generic_pagerduty_trigger": GENERIC_PAGERDUTY, "generic_pagerduty_resolve": GENERIC_PAGERDUTY,
           "generic_betterstack": GENERIC_BETTERSTACK}


@pytest.mark.parametrize("name", sorted(path.stem for path in FIXTURES.glob("*.json")))
def test_any_value_of_the_wrong_type_anywhere_gives_signals_or_a_payload_error(name):
    """Every field of every fixture, four levels deep, replaced by values of every other type:
    the parser answers signals or a PayloadError naming a field, never another exception."""
    data, parse, config = fixture(name), PARSERS[name.split("_")[0]], CONFIGS.get(name, {})
    for path in _paths(data):
        for odd in ODD_VALUES:
            try:
                signals = parse(payload(_replaced(data, path, odd)), config)
            except PayloadError as error:
                assert error.field, (path, odd)
            else:
                assert all(isinstance(signal, AlertSignal) for signal in signals)
                assert all(signal.fingerprint and len(signal.fingerprint) <= 200 for signal in signals)
                assert all(signal.title for signal in signals)


# --- Alertmanager -------------------------------------------------------------------------------

GROUP_KEY = '{}/{customer="midsize"}:{alertname="ProbeFailure"}'
PROBE_URL = "http://prometheus.example.net:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1"


def test_alertmanager_reads_each_alert_of_a_group_as_a_signal():
    files, mail = alertmanager.parse(from_file("alertmanager_firing"), {})

    assert files == AlertSignal(
        fingerprint="1a30ba71cca2921f",
        firing=True,
        title="Fileserver unreachable",
        description="https://files.midsize.example has been down for over 5m.",
        severity="critical",
        group_key=GROUP_KEY,
        labels={"alertname": "ProbeFailure", "customer": "midsize", "instance": "https://files.midsize.example",
                "job": "blackbox", "severity": "critical", "component": "Fileserver, VPN"},
        components=("Fileserver", "VPN"),
        started_at=utc(2025, 5, 31, 6, 52, 26, 739266),
        ended_at=None,  # 0001-01-01: not set
        url=PROBE_URL,
    )
    # No annotations: the rule's name and the instance it fired on.
    assert mail.fingerprint == "7c2e0d9a11b4f3e8"
    assert mail.title == "ProbeFailure on https://mail.midsize.example"
    assert mail.description == ""
    assert mail.severity == "medium"  # "warning"
    assert mail.group_key == files.group_key
    assert mail.components == ()
    assert mail.started_at == utc(2025, 5, 31, 6, 53, 1)


def test_alertmanager_resolved_alert_carries_its_end():
    [files] = alertmanager.parse(from_file("alertmanager_resolved"), {})
    assert files.fingerprint == "1a30ba71cca2921f"
    assert files.firing is False
    assert files.started_at == utc(2025, 5, 31, 6, 52, 26, 739000)
    assert files.ended_at == utc(2025, 5, 31, 7, 41, 56, 739000)
    assert files.title == "Fileserver unreachable"


def test_alertmanager_without_a_fingerprint_hashes_the_sorted_labels():
    data = fixture("alertmanager_firing")
    first, second = data["alerts"]
    del first["fingerprint"], second["fingerprint"]
    reordered = copy.deepcopy(data)
    reordered["alerts"][0]["labels"] = dict(reversed(list(first["labels"].items())))

    signals, again = alertmanager.parse(payload(data), {}), alertmanager.parse(payload(reordered), {})
    assert signals[0].fingerprint == again[0].fingerprint  # label order does not matter
    assert signals[0].fingerprint != signals[1].fingerprint
    assert re.fullmatch(r"labels:[0-9a-f]{32}", signals[0].fingerprint)

    first["labels"] = {}
    assert field_of(alertmanager.parse, data) == "alerts[0].fingerprint"


def test_alertmanager_title_falls_back_to_description_then_alertname():
    data = fixture("alertmanager_firing")
    data["alerts"][0]["annotations"] = {"description": "Probe failed"}
    data["alerts"][1]["labels"] = {"alertname": "Watchdog"}
    first, second = alertmanager.parse(payload(data), {})
    assert first.title == "Probe failed"
    assert second.title == "Watchdog"


def test_alertmanager_cleans_text_labels_and_long_fingerprints():
    data = fixture("alertmanager_firing")
    alert = data["alerts"][0]
    alert["annotations"]["summary"] = "File\x00server\x07 unreachable\r\n"
    alert["labels"]["team\x00"] = "ops\x1b[31m"
    alert["fingerprint"] = "f" * 500
    signal = alertmanager.parse(payload(data), {})[0]
    assert signal.title == "File server unreachable"
    assert signal.labels["team"] == "ops [31m"
    assert len(signal.fingerprint) <= 200 and signal.fingerprint.startswith("sha256:")


def test_alertmanager_empty_group_gives_no_signals():
    data = fixture("alertmanager_firing")
    data["alerts"] = []
    assert alertmanager.parse(payload(data), {}) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda data: data.pop("alerts"), "alerts"),
        (lambda data: data.update(alerts={"status": "firing"}), "alerts"),
        (lambda data: data["alerts"].append("firing"), "alerts[2]"),
        (lambda data: data["alerts"][0].update(labels=["alertname", "ProbeFailure"]), "alerts[0].labels"),
        (lambda data: data["alerts"][1].update(annotations="summary"), "alerts[1].annotations"),
        (lambda data: data["alerts"][0].update(status="pending"), "alerts[0].status"),
        (lambda data: data["alerts"][0].pop("status"), "alerts[0].status"),
        (lambda data: data["alerts"][0].update(fingerprint={"id": 1}), "alerts[0].fingerprint"),
        (lambda data: data["alerts"][1].update(startsAt="1970-01-01T00:00:00Z"), "alerts[1].startsAt"),
        (lambda data: data["alerts"][0].update(startsAt="soon"), "alerts[0].startsAt"),
        (lambda data: data.update(groupKey=["a"]), "groupKey"),
    ],
)
def test_alertmanager_malformed_bodies_name_the_field(change, field):
    data = fixture("alertmanager_firing")
    change(data)
    assert field_of(alertmanager.parse, data) == field


def test_alertmanager_resolved_with_an_absurd_end_names_it():
    data = fixture("alertmanager_resolved")
    data["alerts"][0]["endsAt"] = "3024-05-31T07:41:56Z"
    assert field_of(alertmanager.parse, data) == "alerts[0].endsAt"


# --- Grafana ------------------------------------------------------------------------------------


def test_grafana_reads_its_documented_example():
    memory, cpu = grafana.parse(from_file("grafana_firing"), {})

    assert memory == AlertSignal(
        fingerprint="c6eadffa33fcdf37",
        firing=True,
        title="This alert was triggered for zone us-1",
        description="The system has high memory usage",
        severity=None,
        group_key="{}:{}",
        labels={"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
        components=(),
        started_at=utc(2021, 10, 12, 7, 51, 3, 157076),
        ended_at=None,
        url="https://play.grafana.org/alerting/1afz29v7z/edit",  # no panel or dashboard: the rule
    )
    assert cpu.fingerprint == "bc97ff14869b13e3"
    assert cpu.title == "High CPU usage"  # no summary, no instance: the rule's name
    assert cpu.description.startswith("[ var='B' labels={zone=eu-1} value=94.85 ]")  # valueString
    assert cpu.url == "https://play.grafana.org/d/a4b3c2d1?viewPanel=2"  # the panel first


def test_grafana_resolved_links_the_dashboard_without_a_panel():
    [memory] = grafana.parse(from_file("grafana_resolved"), {})
    assert memory.firing is False
    assert memory.severity == "high"
    assert memory.ended_at == utc(2021, 10, 12, 8, 21, 3, 157076)
    assert memory.url == "https://play.grafana.org/d/a4b3c2d1"


def test_grafana_ignores_a_link_that_is_not_http_and_names_bad_fields_as_alertmanager_does():
    data = fixture("grafana_firing")
    data["alerts"][1]["panelURL"] = "javascript:alert(document.cookie)"
    data["alerts"][1]["dashboardURL"] = None
    assert grafana.parse(payload(data), {})[1].url == "https://play.grafana.org/alerting/d1rdpdv7k/edit"

    data["alerts"][1] = ["not", "an", "alert"]
    assert field_of(grafana.parse, data) == "alerts[1]"
    data = fixture("grafana_firing")
    data["alerts"][0]["endsAt"] = 17
    data["alerts"][0]["status"] = "resolved"
    assert field_of(grafana.parse, data) == "alerts[0].endsAt"


# --- Uptime Kuma --------------------------------------------------------------------------------


def test_uptime_kuma_down_opens_the_monitors_alert():
    [down] = uptimekuma.parse(from_file("uptimekuma_down"), {})
    assert down == AlertSignal(
        fingerprint="monitor:7",
        firing=True,
        title="Fileserver is down: Request failed with status code 503",
        description="Request failed with status code 503",
        severity=None,
        group_key="",
        labels={"component": "Fileserver", "production": "", "monitor_id": "7", "monitor": "Fileserver",
                "type": "http"},
        components=("Fileserver",),
        started_at=utc(2025, 5, 31, 7, 2, 11, 512000),
        ended_at=None,
        url="https://files.midsize.example/health",
    )


def test_uptime_kuma_up_resolves_it():
    [up] = uptimekuma.parse(from_file("uptimekuma_up"), {})
    assert up.fingerprint == "monitor:7"
    assert up.firing is False
    assert up.title == "Fileserver is up: 200 - OK"
    assert up.started_at is None
    assert up.ended_at == utc(2025, 5, 31, 7, 48, 40, 90000)


def test_uptime_kuma_pending_maintenance_unimportant_and_test_beats_give_nothing():
    assert uptimekuma.parse(from_file("uptimekuma_pending"), {}) == []
    assert uptimekuma.parse(from_file("uptimekuma_test"), {}) == []
    assert uptimekuma.parse(payload({"msg": "Uptime Kuma Testing"}), {}) == []
    maintenance = fixture("uptimekuma_down")
    maintenance["heartbeat"]["status"] = 3
    assert uptimekuma.parse(payload(maintenance), {}) == []
    unimportant = fixture("uptimekuma_down")
    unimportant["heartbeat"]["important"] = False
    assert uptimekuma.parse(payload(unimportant), {}) == []
    unimportant["heartbeat"].pop("important")
    assert uptimekuma.parse(payload(unimportant), {}) == []
    as_number = fixture("uptimekuma_down")
    as_number["heartbeat"]["important"] = 1  # SQLite's true
    assert len(uptimekuma.parse(payload(as_number), {})) == 1


def _multipart(fields: dict[str, str], boundary: str = "--------------------------515890814546601021194782") -> Payload:
    """A body as the form-data package (Uptime Kuma's "form-data" content type) writes it."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return Payload(body, f"multipart/form-data; boundary={boundary}")


def test_uptime_kuma_form_data_reads_the_json_in_its_data_field():
    text = (FIXTURES / "uptimekuma_down.json").read_text()
    assert uptimekuma.parse(_multipart({"data": text}), {}) == uptimekuma.parse(from_file("uptimekuma_down"), {})
    form = Payload(urlencode({"data": text}).encode(), "application/x-www-form-urlencoded")
    assert uptimekuma.parse(form, {})[0].fingerprint == "monitor:7"


def test_uptime_kuma_form_data_without_the_boundary_in_the_media_type():
    """A caller passing Django's ``request.content_type`` (no parameters): the boundary comes
    from the raw header, else from the body's first line."""
    text = (FIXTURES / "uptimekuma_down.json").read_text()
    multipart = _multipart({"data": text})
    bare = Payload(multipart.body, "multipart/form-data", {"content-type": multipart.content_type})
    assert uptimekuma.parse(bare, {})[0].fingerprint == "monitor:7"
    assert uptimekuma.parse(Payload(multipart.body, "multipart/form-data"), {})[0].fingerprint == "monitor:7"


def test_uptime_kuma_reads_odd_forms_without_tripping():
    part = b'--xyz\r\nContent-Disposition: form-data; name="data"\r\nContent-Type: text/plain; charset=bogus\r\n\r\n'
    odd_charset = Payload(part + b'{"msg": "Uptime Kuma Testing"}\r\n--xyz--\r\n', "multipart/form-data; boundary=xyz")
    assert uptimekuma.parse(odd_charset, {}) == []
    for body, content_type, field in [
        (b"garbage", "multipart/form-data", "data"),
        (b"garbage", "multipart/form-data; boundary=xyz\r\nX-Injected: 1", "data"),
        (b"\xff", "application/x-www-form-urlencoded", "body"),
        (b"data=%FF", "application/x-www-form-urlencoded", "data"),
    ]:
        with pytest.raises(PayloadError) as raised:
            uptimekuma.parse(Payload(body, content_type), {})
        assert raised.value.field == field


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"msg": "x"}, "data"), ({"data": "{not json"}, "data"), ({"data": "[1, 2]"}, "data")],
)
def test_uptime_kuma_form_without_readable_data_names_it(fields, field):
    with pytest.raises(PayloadError) as raised:
        uptimekuma.parse(_multipart(fields), {})
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda data: data.update(heartbeat=["down"]), "heartbeat"),
        (lambda data: data.update(monitor="Fileserver"), "monitor"),
        (lambda data: data["heartbeat"].update(status="down"), "heartbeat.status"),
        (lambda data: data["heartbeat"].update(status=7), "heartbeat.status"),
        (lambda data: data["heartbeat"].update(status=None), "heartbeat.status"),
        (lambda data: data["heartbeat"].update(time="1999-12-31 23:59:59"), "heartbeat.time"),
        (lambda data: data["heartbeat"].update(time=[2025]), "heartbeat.time"),
        (lambda data: (data["monitor"].pop("id"), data["heartbeat"].pop("monitorID")), "monitor.id"),
        (lambda data: data["monitor"].update(id={"id": 7}), "monitor.id"),
    ],
)
def test_uptime_kuma_malformed_bodies_name_the_field(change, field):
    data = fixture("uptimekuma_down")
    change(data)
    assert field_of(uptimekuma.parse, data) == field


def test_uptime_kuma_cleans_the_monitor_name_and_message():
    data = fixture("uptimekuma_down")
    data["monitor"]["name"] = "File\x00server"
    data["heartbeat"]["msg"] = "connect\tECONNREFUSED\x00 10.0.0.4:443"
    [down] = uptimekuma.parse(payload(data), {})
    assert down.title == "File server is down: connect ECONNREFUSED 10.0.0.4:443"


def test_uptime_kuma_without_the_monitor_object_uses_the_heartbeats_monitor_id():
    data = fixture("uptimekuma_down")
    data["monitor"] = None
    [down] = uptimekuma.parse(payload(data), {})
    assert down.fingerprint == "monitor:7"
    assert down.title == "Monitor 7 is down: Request failed with status code 503"
    assert down.url == ""


# --- Zabbix -------------------------------------------------------------------------------------


def test_zabbix_problem_opens_the_events_alert():
    [problem] = zabbix.parse(from_file("zabbix_problem"), {})
    assert problem == AlertSignal(
        fingerprint="event:58114",
        firing=True,
        title="High CPU utilization (over 90% for 5m)",
        description="Problem started at 09:12:03 on 2025.05.31 on host fs01.midsize.local. "
        "Severity: High. Operational data: 97.3 %",
        severity="high",
        group_key="",
        labels={"class": "os", "component": "cpu,Fileserver", "scope": "performance", "host": "fs01.midsize.local"},
        components=("cpu", "Fileserver"),
        started_at=None,
        ended_at=None,
        url="https://zabbix.example.net/tr_events.php?triggerid=23661&eventid=58114",
    )


def test_zabbix_recovery_resolves_the_same_event_and_an_update_changes_nothing():
    [recovery] = zabbix.parse(from_file("zabbix_recovery"), {})
    assert recovery.fingerprint == "event:58114"
    assert recovery.firing is False
    assert recovery.components == ("Fileserver",)
    assert recovery.url == ""
    assert zabbix.parse(from_file("zabbix_update"), {}) == []


@pytest.mark.parametrize(
    ("severity", "expected"),
    [("0", None), ("1", "low"), ("2", "medium"), ("3", "medium"), ("4", "high"), ("5", "critical"),
     (5, "critical"), ("Disaster", "critical"), ("Average", "medium"), ("{EVENT.NSEVERITY}", None), ("9", None)],
)
def test_zabbix_severity_from_nseverity(severity, expected):
    data = fixture("zabbix_problem")
    data["severity"] = severity
    assert zabbix.parse(payload(data), {})[0].severity == expected


def test_zabbix_tags_as_json_text_or_unresolved_macros():
    data = fixture("zabbix_problem")
    data["tags"] = json.dumps(data["tags"])
    assert zabbix.parse(payload(data), {})[0].components == ("cpu", "Fileserver")
    data["tags"] = "{EVENT.TAGSJSON}"
    data["url"] = "{$ZABBIX.URL}"
    data["host"] = "{HOST.NAME}"
    [problem] = zabbix.parse(payload(data), {})
    assert problem.labels == {}
    assert problem.components == ()
    assert problem.url == ""


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda data: data.update(event_value="2"), "event_value"),
        (lambda data: data.pop("event_value"), "event_value"),
        (lambda data: data.pop("event_id"), "event_id"),
        (lambda data: data.update(event_id="{EVENT.ID}"), "event_id"),
        (lambda data: data.update(event_id=["58114"]), "event_id"),
        (lambda data: data.update(event_name=""), "event_name"),
        (lambda data: data.update(event_name={"name": "x"}), "event_name"),
        (lambda data: data.update(tags={"component": "Fileserver"}), "tags"),
        (lambda data: data.update(tags="component=Fileserver"), "tags"),
        (lambda data: data["tags"].append("component:Mail"), "tags[4]"),
        (lambda data: data.update(update_status=[1]), "update_status"),
    ],
)
def test_zabbix_malformed_bodies_name_the_field(change, field):
    data = fixture("zabbix_problem")
    change(data)
    assert field_of(zabbix.parse, data) == field


def test_zabbix_cleans_the_event_name():
    data = fixture("zabbix_problem")
    data["event_name"] = "Disk\x00 full\n on /var"
    assert zabbix.parse(payload(data), {})[0].title == "Disk full on /var"


def test_zabbix_media_type_posts_the_keys_the_parser_reads():
    yaml = pytest.importorskip("yaml")
    export = yaml.safe_load(MEDIA_TYPE.read_text())["zabbix_export"]
    [media] = export["media_types"]
    assert media["type"] == "WEBHOOK"
    parameters = {parameter["name"]: parameter["value"] for parameter in media["parameters"]}
    assert parameters["kalm_url"] == "<PLACE KALM INTAKE URL>"
    assert parameters["event_id"] == "{EVENT.ID}"
    assert parameters["event_value"] == "{EVENT.VALUE}"
    assert parameters["update_status"] == "{EVENT.UPDATE.STATUS}"
    assert parameters["severity"] == "{EVENT.NSEVERITY}"
    assert parameters["tags"] == "{EVENT.TAGSJSON}"
    for key in fixture("zabbix_problem"):
        assert f"{key}: " in media["script"], key
    assert "JSON.parse(value)" in media["script"]
    assert "Content-Type: application/json" in media["script"]
    assert {template["operation_mode"] for template in media["message_templates"]} == {"PROBLEM", "RECOVERY", "UPDATE"}


# --- NinjaOne -----------------------------------------------------------------------------------

SERIES = "7b1f8a3e-4c2d-4e5f-9a6b-0c1d2e3f4a5b"


def test_ninjaone_triggered_condition_opens_its_series():
    [triggered] = ninjaone.parse(from_file("ninjaone_triggered"), {})
    assert triggered == AlertSignal(
        fingerprint=SERIES,
        firing=True,
        title="FS01: Disk C: free space below 10%",
        description="Disk C: has 6.2 GB free (4%)",
        severity="high",  # MAJOR
        group_key="",
        labels={"device_id": "412", "host": "FS01", "organization_id": "18", "source": "Disk free space below 10%",
                "priority": "HIGH", "severity": "MAJOR"},
        components=(),
        started_at=utc(2025, 5, 31, 7, 12, 11, 482000),  # epoch seconds with a fraction
        ended_at=None,
        url="",
    )


def test_ninjaone_reset_resolves_the_same_series():
    [reset] = ninjaone.parse(from_file("ninjaone_reset"), {})
    assert reset.fingerprint == SERIES
    assert reset.firing is False
    assert reset.title == "Disk C: has 31.0 GB free (21%)"  # no subject, no device: the message
    assert reset.started_at is None
    assert reset.ended_at == utc(2025, 5, 31, 7, 50, 2)


@pytest.mark.parametrize(("severity", "expected"),
                         [("NONE", None), ("MINOR", "medium"), ("MODERATE", "medium"), ("MAJOR", "high"),
                          ("CRITICAL", "critical"), (None, None)])
def test_ninjaone_severity(severity, expected):
    data = fixture("ninjaone_triggered")
    data["severity"] = severity
    [signal] = ninjaone.parse(payload(data), {})
    assert signal.severity == expected
    assert "severity" not in signal.labels or severity not in ("NONE", None)


def test_ninjaone_other_activities_give_nothing():
    assert ninjaone.parse(from_file("ninjaone_reboot"), {}) == []
    acknowledged = fixture("ninjaone_triggered")
    acknowledged["statusCode"] = "ACKNOWLEDGED"
    assert ninjaone.parse(payload(acknowledged), {}) == []
    for status in ("CLEARED", "RESOLVED", "reset"):
        acknowledged["statusCode"] = status
        assert ninjaone.parse(payload(acknowledged), {})[0].firing is False


def test_ninjaone_without_a_series_uses_device_and_condition():
    data = fixture("ninjaone_triggered")
    del data["seriesUid"]
    assert ninjaone.parse(payload(data), {})[0].fingerprint == "device:412:Disk free space below 10%"
    del data["deviceId"], data["sourceName"]
    assert field_of(ninjaone.parse, data) == "seriesUid"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda data: data.update(activityTime=1748675531482), "activityTime"),  # milliseconds: year 57 387
        (lambda data: data.update(activityTime="last tuesday"), "activityTime"),
        (lambda data: data.update(activityTime=-86400 * 365 * 40), "activityTime"),
        (lambda data: data.update(device=[412]), "device"),
        (lambda data: data["device"].update(displayName={"name": "FS01"}), "device.displayName"),
        (lambda data: data.update(seriesUid=["a"]), "seriesUid"),
        (lambda data: data.update(message=["Disk"]), "message"),
        (lambda data: data.update(activityType={"type": "CONDITION"}), "activityType"),
    ],
)
def test_ninjaone_malformed_bodies_name_the_field(change, field):
    data = fixture("ninjaone_triggered")
    change(data)
    assert field_of(ninjaone.parse, data) == field


def test_ninjaone_verify_checks_the_hmac_of_the_raw_body():
    body = (FIXTURES / "ninjaone_triggered.json").read_bytes()
    digest = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()

    def signed(signature: str, content: bytes = body) -> Payload:
        return Payload(content, "application/json", {"x-ninja-signature": signature})

    assert ninjaone.verify(signed(digest), "s3cret") is True
    assert ninjaone.verify(signed(f"sha256={digest}"), "s3cret") is True
    assert ninjaone.verify(signed(digest.upper()), "s3cret") is True
    assert ninjaone.verify(signed(digest), "other") is False
    assert ninjaone.verify(signed(digest, body.replace(b"MAJOR", b"MINOR")), "s3cret") is False
    assert ninjaone.verify(signed(""), "s3cret") is False
    assert ninjaone.verify(signed("sha256=zz\x00"), "s3cret") is False
    assert ninjaone.verify(Payload(body), "s3cret") is False
    assert ninjaone.verify(signed(hmac.new(b"", body, hashlib.sha256).hexdigest()), "") is False


# --- Datto RMM ----------------------------------------------------------------------------------


def test_datto_raised_opens_the_alert():
    [raised] = dattormm.parse(from_file("dattormm_raised"), {})
    assert raised == AlertSignal(
        fingerprint="alert:5f9d2a6c-8e1b-4f3a-b7c2-0d4e6f8a1b3c",
        firing=True,
        title="PRINT01: Service 'Spooler' is stopped",
        description="Service 'Spooler' is stopped",
        severity="critical",
        group_key="",
        labels={"host": "PRINT01", "site": "MidSize Manufacturing BV", "category": "Service Status",
                "priority": "Critical"},
        components=("Printing",),
        started_at=None,
        ended_at=None,
        url="https://merlot.centrastage.net/csm/alerts/5f9d2a6c-8e1b-4f3a-b7c2-0d4e6f8a1b3c",
    )


def test_datto_resolved_closes_it_and_an_unfilled_variable_is_missing():
    [resolved] = dattormm.parse(from_file("dattormm_resolved"), {})
    assert resolved.fingerprint == "alert:5f9d2a6c-8e1b-4f3a-b7c2-0d4e6f8a1b3c"
    assert resolved.firing is False
    assert resolved.url == ""  # still "[platform_url]"
    assert "category" not in resolved.labels


def test_datto_webhook_test_gives_nothing():
    assert dattormm.parse(from_file("dattormm_test"), {}) == []


@pytest.mark.parametrize(
    ("priority", "expected"),
    [("Critical", "critical"), ("High", "high"), ("Moderate", "medium"), ("Low", "low"), ("Information", "low"),
     ("[alert_priority]", None), ("Whatever", None)],
)
def test_datto_priority_as_severity(priority, expected):
    data = fixture("dattormm_raised")
    data["priority"] = priority
    assert dattormm.parse(payload(data), {})[0].severity == expected


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda data: data.update(event="open"), "event"),
        (lambda data: data.pop("event"), "event"),
        (lambda data: data.pop("alertUid"), "alertUid"),
        (lambda data: data.update(alertUid=""), "alertUid"),
        (lambda data: data.update(alertUid={"uid": "x"}), "alertUid"),
        (lambda data: data.update(message=["stopped"]), "message"),
        (lambda data: data.update(hostname=False), "hostname"),
    ],
)
def test_datto_malformed_bodies_name_the_field(change, field):
    data = fixture("dattormm_raised")
    change(data)
    assert field_of(dattormm.parse, data) == field


def test_datto_cleans_its_texts():
    data = fixture("dattormm_raised")
    data["message"] = "Service\x00 'Spooler'\r\nis stopped"
    data["hostname"] = "PRINT\x0701"
    assert dattormm.parse(payload(data), {})[0].title == "PRINT 01: Service 'Spooler' is stopped"


# --- generic (JMESPath) -------------------------------------------------------------------------


def test_generic_default_mapping_reads_kalms_own_words():
    backup, other = generic.parse(from_file("generic_default"), {})
    assert backup == AlertSignal(
        fingerprint="backup-nas01",
        firing=True,
        title="Nightly backup failed on NAS01",
        description="Job 'Nightly' ended with error 0x80070005",
        severity="high",
        group_key="backups",
        labels={"site": "Eindhoven", "kind": "backup"},
        components=("Backup", "Fileserver"),
        started_at=utc(2025, 5, 31, 7, 0),
        ended_at=None,
        url="https://backup.example.net/jobs/nightly",
    )
    assert other.fingerprint == "backup-nas02"
    assert other.firing is False  # "ok"
    assert other.severity is None


def test_generic_default_mapping_reads_a_single_alert_body():
    [signal] = generic.parse(payload({"id": 42, "name": "VPN down", "status": "down"}), {})
    assert signal.fingerprint == "42"
    assert signal.title == "VPN down"
    assert signal.firing is True  # "down" is not a resolved word


def test_generic_pagerduty_like_mapping():
    [trigger] = generic.parse(from_file("generic_pagerduty_trigger"), GENERIC_PAGERDUTY)
    assert trigger == AlertSignal(
        fingerprint="srv01/mysql-replication",
        firing=True,
        title="MySQL replication lag above 300 s on srv01",
        description="Eindhoven",
        severity="high",  # "error"
        group_key="databases",
        labels={"source": "srv01.midsize.local", "class": "replication"},
        components=("ERP",),
        started_at=utc(2025, 5, 31, 5, 20),
        ended_at=None,
        url="https://checks.example.net/srv01/mysql",
    )
    [resolve] = generic.parse(from_file("generic_pagerduty_resolve"), GENERIC_PAGERDUTY)
    assert resolve.fingerprint == trigger.fingerprint
    assert resolve.firing is False
    assert resolve.labels == {"source": "srv01.midsize.local"}  # class: null left out
    assert resolve.url == ""


def test_generic_better_stack_like_mapping_selects_the_alert_object():
    [incident] = generic.parse(from_file("generic_betterstack"), GENERIC_BETTERSTACK)
    assert incident.fingerprint == "208516331"
    assert incident.firing is False  # "Resolved"
    assert incident.title == "files.midsize.example"
    assert incident.description == "Status 503"
    assert incident.started_at == utc(2025, 5, 31, 7, 1, 35)
    assert incident.url == "https://files.midsize.example"


@pytest.mark.parametrize(
    ("status", "firing"),
    [("resolved", False), ("OK", False), ("up", False), ("Recovered", False), ("reset", False), ("closed", False),
     ("CLEARED", False), ("0", False), (0, False), ("false", False), (False, False), (" ok ", False),
     ("firing", True), ("triggered", True), ("down", True), (1, True), (True, True), (None, True), ("", True)],
)
def test_generic_status_words(status, firing):
    data = {"id": "a", "title": "t"} if status is None else {"id": "a", "title": "t", "status": status}
    assert generic.parse(payload(data), {})[0].firing is firing


def test_generic_fingerprint_or_title_found_nowhere_names_the_mapping_and_the_alert():
    config = {"fingerprint": "id", "title": "name"}
    with pytest.raises(PayloadError) as raised:
        generic.parse(payload({"name": "VPN down"}), config)
    assert (raised.value.field, raised.value.problem) == ("fingerprint", "the mapping 'id' found nothing in alert 1")

    config["alerts"] = "items"
    with pytest.raises(PayloadError) as raised:
        generic.parse(payload({"items": [{"id": 1, "name": "a"}, {"id": 2, "name": " \x00 "}]}), config)
    assert (raised.value.field, raised.value.problem) == ("title", "the mapping 'name' found nothing in alert 2")

    with pytest.raises(PayloadError) as raised:
        generic.parse(payload({"id": 1}), {"fingerprint": "id"})
    assert raised.value.field == "title"


@pytest.mark.parametrize(
    ("config", "data", "field"),
    [
        ({"alerts": "items", "fingerprint": "id", "title": "id"}, {"items": "nope"}, "alerts"),
        ({"alerts": "items", "fingerprint": "id", "title": "id"}, {}, "alerts"),
        ({"alerts": "items", "fingerprint": "id", "title": "id"}, {"items": [{"id": 1}, 2]}, "alerts[1]"),
        ({"fingerprint": "length(id)", "title": "name"}, {"id": 5, "name": "x"}, "fingerprint"),  # a type error
        ({"fingerprint": "id", "title": "name", "started_at": "at"}, {"id": 5, "name": "x", "at": 0}, "started_at"),
        ({"fingerprint": "id", "title": "name", "started_at": "at"}, {"id": 5, "name": "x", "at": "2200-01-01"},
         "started_at"),
        ({"fingerprint": "id ||", "title": "name"}, {"id": 5, "name": "x"}, "fingerprint"),  # does not compile
    ],
)
def test_generic_malformed_bodies_name_the_field(config, data, field):
    assert field_of(generic.parse, data, config) == field


def test_generic_values_of_other_types_are_read_as_text():
    config = {"fingerprint": "key", "title": "name", "labels": "tags", "components": "parts", "url": "link"}
    data = {"key": {"host": "a", "check": "b"}, "name": 404, "tags": ["env:prod", "team=ops"], "parts": 7,
            "link": "javascript:void(0)"}
    [signal] = generic.parse(payload(data), config)
    assert signal.fingerprint == '{"check": "b", "host": "a"}'
    assert signal.title == "404"
    assert signal.labels == {"env": "prod", "team": "ops"}
    assert signal.components == ()
    assert signal.url == ""


def test_generic_mapping_errors():
    assert generic.mapping_errors({}) == {}
    assert generic.mapping_errors(generic.DEFAULT_MAPPING) == {}
    assert generic.mapping_errors(GENERIC_PAGERDUTY) == {}
    errors = generic.mapping_errors(
        {"fingerprint": "dedup_key ||", "title": "", "severity": 3, "colour": "red", "labels": "tags[?"}
    )
    assert set(errors) == {"fingerprint", "title", "severity", "colour", "labels"}
    assert errors["fingerprint"].startswith("the expression does not compile")
    assert errors["labels"].startswith("the expression does not compile")
    assert errors["title"] == "required"
    assert errors["severity"] == "a JMESPath expression (text) is expected"
    assert errors["colour"].startswith("unknown key")
    assert generic.mapping_errors({"title": "summary"}) == {"fingerprint": "required"}


def test_generic_default_mapping_has_every_key():
    assert set(generic.DEFAULT_MAPPING) == set(generic.KEYS)


def test_grafanas_test_button_opens_nothing():
    body = {"receiver": "kalm", "status": "firing", "orgId": 1, "groupKey": "test-1", "title": "[FIRING:1] TestAlert",
            "alerts": [{"status": "firing", "labels": {"alertname": "TestAlert", "instance": "Grafana"},
                        "annotations": {"summary": "Notification test"}, "startsAt": "2026-12-06T10:00:00Z",
                        "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "57c6d9296de2ad39"}]}
    assert grafana.parse(Payload(json.dumps(body).encode()), {}) == []
