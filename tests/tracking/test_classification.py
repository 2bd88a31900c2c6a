"""Classification of banner loads and clicks at ingest."""

import datetime as dt

import pytest

from maltastic.tracking.classification import (
    BurstDetector,
    RequestFacts,
    classify,
    parse_networks,
)
from maltastic.tracking.models import TrafficClass

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)
OWN_NETWORKS = parse_networks(["192.0.2.0/24", "2001:db8::/32"])


def facts(
    agent: str = FIREFOX,
    method: str = "GET",
    ip: str = "198.51.100.7",
    issued_minutes_ago: float = 60,
    token: str = "t1",
    **headers: str,
) -> RequestFacts:
    return RequestFacts(
        method=method,
        headers={"user-agent": agent, **{k.replace("_", "-"): v for k, v in headers.items()}},
        client_ip=ip,
        token=token,
        token_issued_at=NOW - dt.timedelta(minutes=issued_minutes_ago),
        now=NOW,
    )


def test_browser_is_human() -> None:
    result = classify(facts(), OWN_NETWORKS, BurstDetector())
    assert result.traffic_class is TrafficClass.HUMAN


def test_head_is_proxy() -> None:
    result = classify(facts(method="HEAD"), OWN_NETWORKS, None)
    assert (result.traffic_class, result.reason) == (TrafficClass.PROXY, "head")


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("purpose", "prefetch"),
        ("sec_purpose", "prefetch"),
        ("x_moz", "prefetch"),
        ("x_purpose", "preview"),
    ],
)
def test_prefetch_headers_are_proxy(header: str, value: str) -> None:
    result = classify(facts(**{header: value}), OWN_NETWORKS, None)
    assert (result.traffic_class, result.reason) == (TrafficClass.PROXY, "prefetch_header")


@pytest.mark.parametrize(
    "agent",
    [
        "curl/8.5.0",
        "python-requests/2.32",
        "Go-http-client/1.1",
        "Barracuda Sentinel (EE)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "",
    ],
)
def test_machines_are_recognised(agent: str) -> None:
    assert classify(facts(agent), OWN_NETWORKS, None).traffic_class is TrafficClass.MACHINE


def test_apple_privacy_proxy() -> None:
    result = classify(facts("Mozilla/5.0"), OWN_NETWORKS, None)
    assert (result.traffic_class, result.reason) == (TrafficClass.PROXY, "apple_privacy_proxy")


def test_gmail_proxy_at_delivery_is_prefetch() -> None:
    result = classify(facts(GMAIL_PROXY, issued_minutes_ago=0.5), OWN_NETWORKS, None)
    assert result.traffic_class is TrafficClass.PROXY


def test_gmail_proxy_later_is_human() -> None:
    result = classify(facts(GMAIL_PROXY, issued_minutes_ago=90), OWN_NETWORKS, None)
    assert result.traffic_class is TrafficClass.HUMAN


@pytest.mark.parametrize("ip", ["192.0.2.55", "2001:db8::1"])
def test_own_network_is_suspect(ip: str) -> None:
    result = classify(facts(ip=ip), OWN_NETWORKS, None)
    assert (result.traffic_class, result.reason) == (TrafficClass.SUSPECT, "own_network")


def test_many_tokens_from_one_source_is_burst() -> None:
    detector = BurstDetector(limit=3)
    results = [classify(facts(token=f"t{n}"), (), detector).traffic_class for n in range(5)]
    assert results[:3] == [TrafficClass.HUMAN] * 3
    assert results[3:] == [TrafficClass.SUSPECT] * 2


def test_same_token_repeated_is_no_burst() -> None:
    detector = BurstDetector(limit=3)
    results = {classify(facts(token="same"), (), detector).traffic_class for _ in range(10)}
    assert results == {TrafficClass.HUMAN}


def test_burst_sources_are_separate() -> None:
    detector = BurstDetector(limit=2)
    for n in range(3):
        classify(facts(ip="198.51.100.1", token=f"t{n}"), (), detector)
    other = classify(facts(ip="198.51.100.2", token="x"), (), detector)
    assert other.traffic_class is TrafficClass.HUMAN


def test_idle_sources_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    detector = BurstDetector(window=60)
    clock = [1000.0]
    monkeypatch.setattr("maltastic.tracking.classification.time.monotonic", lambda: clock[0])
    for number in range(50):
        detector.is_burst(f"198.51.100.{number}", "t")
    clock[0] += 61
    detector.forget_idle()
    assert detector._seen == {}
