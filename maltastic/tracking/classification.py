"""Classify each banner load and click at ingest: human, proxy prefetch, machine or suspect.

The client address and user agent are only read here, in memory; what is stored is the
class and a short reason code. Rules, first match wins:

1. HEAD requests and prefetch hints (`Purpose`/`Sec-Purpose: prefetch`, `X-Moz`,
   `X-Purpose: preview`) are proxy prefetches;
2. security scanners, link checkers, crawlers, headless browsers and HTTP libraries are
   machines;
3. Apple Mail Privacy Protection (user agent exactly `Mozilla/5.0`) is a proxy;
4. Gmail's image proxy within the delivery window after sending is a proxy prefetch,
   later it stands for a person opening the mail;
5. fetches from the tenant's own networks (the sender's mail client previewing Sent
   Items) are suspect;
6. a source that clicks many different tokens in a short time is suspect;
7. everything else is human.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from maltastic.tracking.models import TrafficClass

GMAIL_DELIVERY_WINDOW = dt.timedelta(minutes=2)
BURST_WINDOW_SECONDS = 60.0
BURST_DISTINCT_TOKENS = 5
IDLE_SWEEP_EVERY = 10_000  # burst checks between sweeps of sources gone quiet

PREFETCH_HEADERS = {
    "purpose": ("prefetch", "preview"),
    "sec-purpose": ("prefetch", "preview"),
    "x-purpose": ("prefetch", "preview"),
    "x-moz": ("prefetch",),
}

MACHINE_AGENTS = re.compile(
    r"bot\b|crawler|spider|scanner|headlesschrome|phantomjs|curl/|wget/|python-|httpx|"
    r"aiohttp|go-http-client|java/|okhttp|libwww|apache-httpclient|node-fetch|axios|"
    r"barracuda|proofpoint|mimecast|symantec|trendmicro|forcepoint|sophos|fortiguard|"
    r"microsoft office protocol discovery|urlscan|virustotal",
    re.IGNORECASE,
)
APPLE_PRIVACY_PROXY_AGENT = "Mozilla/5.0"
GMAIL_PROXY_AGENT = "GoogleImageProxy"

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Classification:
    traffic_class: TrafficClass
    reason: str


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """The request details classification reads; they are kept in memory only."""

    method: str
    headers: Mapping[str, str]  # lower-case names
    client_ip: str | None
    token: str
    token_issued_at: dt.datetime | None
    now: dt.datetime


def parse_networks(cidrs: Iterable[str]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


class BurstDetector:
    """Counts distinct tokens per source in a sliding window, keyed by a salted hash.

    The salt is random per process and never stored, so the keys cannot be turned back
    into addresses even from a memory dump of another process.
    """

    def __init__(
        self, window: float = BURST_WINDOW_SECONDS, limit: int = BURST_DISTINCT_TOKENS
    ) -> None:
        self.window = window
        self.limit = limit
        self._salt = secrets.token_bytes(16)
        self._seen: dict[bytes, deque[tuple[float, str]]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def is_burst(self, source: str, token: str) -> bool:
        key = hashlib.blake2b(source.encode(), key=self._salt, digest_size=16).digest()
        now = time.monotonic()
        self._calls += 1
        if self._calls % IDLE_SWEEP_EVERY == 0:
            self.forget_idle()
        with self._lock:
            recent = self._seen.setdefault(key, deque())
            while recent and recent[0][0] < now - self.window:
                recent.popleft()
            recent.append((now, token))
            return len({seen_token for _at, seen_token in recent}) > self.limit

    def forget_idle(self) -> None:
        """Drop sources without activity in the window, so memory stays bounded."""
        cutoff = time.monotonic() - self.window
        with self._lock:
            for key in [k for k, seen in self._seen.items() if not seen or seen[-1][0] < cutoff]:
                del self._seen[key]


def classify(
    facts: RequestFacts,
    own_networks: tuple[IpNetwork, ...],
    bursts: BurstDetector | None,
) -> Classification:
    traffic_class, reason = classify_request(
        facts.method,
        facts.headers,
        facts.client_ip,
        facts.token,
        facts.token_issued_at,
        facts.now,
        own_networks,
        bursts,
    )
    return Classification(traffic_class, reason)


def classify_request(
    method: str,
    headers: Mapping[str, str],
    client_ip: str | None,
    token: str,
    token_issued_at: dt.datetime | None,
    now: dt.datetime,
    own_networks: tuple[IpNetwork, ...],
    bursts: BurstDetector | None,
) -> tuple[TrafficClass, str]:
    """Apply the rules to one request and return its class and reason code.

    `classify` takes the same facts as one `RequestFacts` object; the endpoints call
    this form to save building that object per request.
    """
    prefetch = prefetch_reason(method, headers)
    if prefetch:
        return TrafficClass.PROXY, prefetch
    agent = headers.get("user-agent", "").strip()
    if not agent:
        return TrafficClass.MACHINE, "no_user_agent"
    if is_machine_agent(agent):
        return TrafficClass.MACHINE, "agent"
    if agent == APPLE_PRIVACY_PROXY_AGENT:
        return TrafficClass.PROXY, "apple_privacy_proxy"
    if GMAIL_PROXY_AGENT in agent and within_delivery_window(token_issued_at, now):
        return TrafficClass.PROXY, "gmail_proxy_at_delivery"
    if client_ip and own_networks and in_networks(client_ip, own_networks):
        return TrafficClass.SUSPECT, "own_network"
    if bursts is not None and client_ip and bursts.is_burst(client_ip, token):
        return TrafficClass.SUSPECT, "burst"
    return TrafficClass.HUMAN, ""


@lru_cache(maxsize=8192)
def is_machine_agent(agent: str) -> bool:
    """Match the user agent against the machine list; few distinct agents, so cached."""
    return MACHINE_AGENTS.search(agent) is not None


def prefetch_reason(method: str, headers: Mapping[str, str]) -> str:
    if method == "HEAD":
        return "head"
    # Requests carry few headers here, so walking them beats looking up all four names.
    for name, value in headers.items():
        values = PREFETCH_HEADERS.get(name)
        if values is not None and value.strip().lower() in values:
            return "prefetch_header"
    return ""


def within_delivery_window(token_issued_at: dt.datetime | None, now: dt.datetime) -> bool:
    if token_issued_at is None:
        return False
    return now - token_issued_at <= GMAIL_DELIVERY_WINDOW


def in_networks(client_ip: str, networks: tuple[IpNetwork, ...]) -> bool:
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    return any(address in network for network in networks)
