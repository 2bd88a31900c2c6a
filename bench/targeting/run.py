"""Benchmark the tenant index: build time, memory per contact, resolution latency.

Fills a fresh SQLite database with one tenant of 1,000,000 contacts, 100,000 accounts
and 1,000 campaigns, builds the tenant index from it, then times targeting decisions
and campaign resolutions one call at a time.

Run: `.venv/bin/python bench/targeting/run.py` (or `make bench`); options: --help.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from maltastic.campaigns.audience import Audience
from maltastic.campaigns.models import campaign_departments, campaign_target_groups
from maltastic.campaigns.tenant_index import TenantIndex, load_tenant_index
from maltastic.db.engine import create_db_engine, create_session_factory
from maltastic.db.migrate import upgrade_database
from maltastic.db.models import (
    Account,
    Banner,
    Campaign,
    Contact,
    Department,
    Employee,
    TargetGroup,
    Tenant,
    TenantDomain,
)
from maltastic.targeting.models import target_group_accounts, target_group_contacts
from maltastic.targeting.rules import decide_audience_for_headers

SEED = 20261204


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--campaigns", type=int, default=1_000)
    parser.add_argument("--samples", type=int, default=100_000, help="timed calls per case")
    return parser.parse_args()


def fill_database(session: Session, contacts: int, accounts: int, campaigns: int) -> None:
    session.add(Tenant(id=1, slug="bench", name="Bench GmbH"))
    session.flush()
    session.add(TenantDomain(tenant_id=1, domain="bench.de", kind="own"))
    session.add(
        Banner(
            id=1,
            tenant_id=1,
            name="b",
            image=b"x",
            content_type="image/png",
            byte_size=1,
            width=1,
            height=1,
            sha256="0" * 64,
        )
    )
    session.flush()
    departments = 50
    session.execute(
        insert(Department),
        [{"id": d, "tenant_id": 1, "name": f"Abteilung {d}"} for d in range(1, departments + 1)],
    )
    session.execute(
        insert(Employee),
        [
            {
                "id": e,
                "tenant_id": 1,
                "email": f"mitarbeiter{e}@bench.de",
                "department_id": e % departments + 1,
                "custom_fields": {},
            }
            for e in range(1, 5_001)
        ],
    )
    session.execute(
        insert(Account),
        [{"id": a, "tenant_id": 1, "domain": f"firma{a}.de"} for a in range(1, accounts + 1)],
    )
    session.execute(
        insert(Contact),
        [
            {
                "id": c,
                "tenant_id": 1,
                "email": f"kontakt{c}@firma{c % accounts + 1}.de",
                "account_id": c % accounts + 1,
                "external_ids": {},
            }
            for c in range(1, contacts + 1)
        ],
    )
    fill_groups_and_campaigns(session, contacts, accounts, campaigns, departments)


def fill_groups_and_campaigns(
    session: Session, contacts: int, accounts: int, campaigns: int, departments: int
) -> None:
    contact_groups, account_groups = 150, 150
    groups = [
        {
            "id": g,
            "tenant_id": 1,
            "name": f"Gruppe {g}",
            "level": "contact" if g <= contact_groups else "account",
            "source": "csv",
            "sync_state": "idle",
        }
        for g in range(1, contact_groups + account_groups + 1)
    ]
    session.execute(insert(TargetGroup), groups)
    session.execute(
        insert(target_group_contacts),
        [
            {"target_group_id": c % contact_groups + 1, "contact_id": c}
            for c in range(1, contacts + 1)
        ],
    )
    session.execute(
        insert(target_group_accounts),
        [
            {"target_group_id": contact_groups + a % account_groups + 1, "account_id": a}
            for a in range(1, accounts + 1)
        ],
    )
    sender_campaigns = campaigns // 10
    rows, group_links, department_links = [], [], []
    for number in range(1, campaigns + 1):
        is_sender = number <= sender_campaigns
        rows.append(
            {
                "id": number,
                "tenant_id": 1,
                "name": f"Kampagne {number}",
                "kind": "sender" if is_sender else "recipient",
                "banner_id": 1,
                "target_url": f"https://bench.de/{number}",
                "priority": number % 97,
                "paused": number % 50 == 0,
                "is_tenant_default": number == 1,
            }
        )
        if is_sender:
            department_links.append(
                {"campaign_id": number, "department_id": number % departments + 1}
            )
        else:
            group_links.append(
                {
                    "campaign_id": number,
                    "target_group_id": number % (contact_groups + account_groups) + 1,
                }
            )
    session.execute(insert(Campaign), rows)
    session.execute(insert(campaign_target_groups), group_links)
    session.execute(insert(campaign_departments), department_links)


def measure_build(factory: sessionmaker[Session]) -> tuple[TenantIndex, float, int]:
    """Time one build, then build again under tracemalloc to count retained bytes.

    Two builds, because tracemalloc slows allocation-heavy code several times over.
    """
    gc.collect()
    started = time.perf_counter()
    index = load_tenant_index(factory, 1)
    elapsed = time.perf_counter() - started
    del index
    gc.collect()
    tracemalloc.start()
    index = load_tenant_index(factory, 1)
    gc.collect()
    retained, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return index, elapsed, retained


def percentiles(call: Callable[[int], object], samples: int) -> tuple[float, float, float]:
    durations = []
    for number in range(samples):
        started = time.perf_counter_ns()
        call(number)
        durations.append(time.perf_counter_ns() - started)
    durations.sort()
    p50 = durations[len(durations) // 2] / 1000
    p99 = durations[int(len(durations) * 0.99)] / 1000
    return p50, p99, statistics.fmean(durations) / 1000


def main() -> None:
    arguments = parse_arguments()
    random.seed(SEED)
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{folder}/bench.sqlite3")
        upgrade_database(engine)
        factory = create_session_factory(engine)
        started = time.perf_counter()
        with factory.begin() as session:
            fill_database(session, arguments.contacts, arguments.accounts, arguments.campaigns)
        print(f"database filled in {time.perf_counter() - started:.1f} s")

        index, build_seconds, retained = measure_build(factory)
        report(index, build_seconds, retained, arguments)
        engine.dispose()


def report(
    index: TenantIndex, build_seconds: float, retained: int, arguments: argparse.Namespace
) -> None:
    contacts, accounts = arguments.contacts, arguments.accounts
    now = dt.datetime.now(dt.UTC)
    rng = random.Random(SEED)
    contact_ids = [rng.randint(1, contacts) for _ in range(arguments.samples)]
    account_ids = [rng.randint(1, accounts) for _ in range(arguments.samples)]
    employees = [rng.randint(1, 5_000) for _ in range(arguments.samples)]
    resolve = index.campaigns.resolve
    policy = index.policy

    cases = {
        "resolve contact audience": lambda i: resolve(
            employees[i], Audience.contact(contact_ids[i], account_ids[i]), now
        ),
        "resolve account audience": lambda i: resolve(
            employees[i], Audience.account(account_ids[i]), now
        ),
        "resolve no audience": lambda i: resolve(employees[i], Audience.nobody(), now),
        "decide audience, 1 envelope recipient (known contact)": lambda i: (
            decide_audience_for_headers(
                envelope=[f"kontakt{contact_ids[i]}@firma{contact_ids[i] % accounts + 1}.de"],
                policy=policy,
            )
        ),
        "decide audience, 3 envelope recipients": lambda i: decide_audience_for_headers(
            envelope=[
                f"a{i}@firma{account_ids[i]}.de",
                f"b@firma{account_ids[i]}.de",
                "kollege@bench.de",
            ],
            policy=policy,
        ),
    }
    print(f"index build (from SQLite): {build_seconds:.2f} s")
    print(f"index memory: {retained / 1e6:.1f} MB = {retained / contacts:.1f} bytes per contact")
    print(f"{'case':58} {'p50 µs':>8} {'p99 µs':>8} {'mean µs':>8}")
    for name, call in cases.items():
        p50, p99, mean = percentiles(call, arguments.samples)
        print(f"{name:58} {p50:8.1f} {p99:8.1f} {mean:8.1f}")


if __name__ == "__main__":
    main()
