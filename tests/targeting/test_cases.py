"""Every targeting case in the shared case table, one test per case."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

import pytest
import yaml

from maltastic.targeting import (
    AudienceKind,
    TargetingPolicy,
    decide_audience_for_headers,
    is_freemail,
    normalise_address,
    normalise_domain,
)
from tests.shared_files import shared_path

CASES_FILE = "cases/targeting.yaml"


def _load_table() -> dict[str, Any]:
    with shared_path(CASES_FILE).open(encoding="utf-8") as file:
        table: dict[str, Any] = yaml.safe_load(file)
    return table


def _case_params() -> list[Any]:
    # shared_path skips the calling test when the shared folder is absent. At collection
    # time pytest reports that skip as a collection error, so it becomes one skipped
    # parameter with the same reason.
    try:
        table = _load_table()
    except pytest.skip.Exception as skipped:
        return [pytest.param(None, marks=pytest.mark.skip(reason=str(skipped.msg)), id="no-cases")]
    return [pytest.param(case, id=case["name"]) for case in table["cases"]]


@pytest.fixture(scope="module")
def policy() -> TargetingPolicy:
    tenant = _load_table()["tenant"]
    contacts = {normalise_address(address) for address in tenant["known_contacts"]}
    return TargetingPolicy(
        own_domains=frozenset(tenant["own_domains"]),
        internal_domains=frozenset(tenant.get("internal_domains", [])),
        known_contacts=frozenset(address for address in contacts if address is not None),
    )


@pytest.mark.parametrize("fields", ["headers", "envelope", "both"])
@pytest.mark.parametrize("case", _case_params())
def test_case(case: dict[str, Any], fields: str, policy: TargetingPolicy) -> None:
    to, cc, bcc = case.get("to", []), case.get("cc", []), case.get("bcc", [])
    # The envelope carries bare addresses, without display names.
    envelope = [parseaddr(entry)[1] for entry in [*to, *cc, *bcc]]
    use_headers = fields in ("headers", "both")
    use_envelope = fields in ("envelope", "both")

    decision = decide_audience_for_headers(
        to=", ".join(to) if use_headers else None,
        cc=", ".join(cc) if use_headers else None,
        bcc=", ".join(bcc) if use_headers else None,
        envelope=envelope if use_envelope else None,
        policy=policy,
    )

    expected = case["expect"]
    assert decision.kind == AudienceKind(expected["audience"]), decision.explanation_en
    assert decision.value == expected.get("value"), decision.explanation_en


def test_freemail_examples_are_freemail() -> None:
    for domain in _load_table()["tenant"]["freemail_examples"]:
        assert is_freemail(normalise_domain(domain)), domain
