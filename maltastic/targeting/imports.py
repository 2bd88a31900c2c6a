"""Add members to a target group from a CSV or Excel table or a typed list, all or nothing.

Every line is checked first. Unless the admin chooses to skip rejected lines, one
rejected line means nothing is written, and the report lists each rejected line with
its reason. Accepted members are written with bulk statements in the caller's
transaction, so an import of 100,000 lines needs a few hundred statements, not one per
line. Members already in the group and repeats within the file count as unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from maltastic.audit.service import AuditAction, record_change
from maltastic.i18n.catalog import gettext as _
from maltastic.targeting.addresses import display_name_of
from maltastic.targeting.domains import is_freemail, registrable_domain
from maltastic.targeting.members import (
    MemberError,
    account_domain,
    contact_address,
    split_display_name,
)
from maltastic.targeting.models import (
    Account,
    Contact,
    TargetGroup,
    TargetLevel,
    target_group_accounts,
    target_group_contacts,
)
from maltastic.targeting.tabular import ImportReport, TableError, aliases, cell_text, map_columns
from maltastic.tenants.models import DomainKind, TenantDomain

CHUNK_SIZE = 500
ACCOUNT_COLUMNS = {
    "domain": aliases(
        "Domain",
        "Domäne",
        "Website",
        "Webseite",
        "Homepage",
        "URL",
        "Company domain",
        "Company domain name",
        "Firmen-Domain",
        "Unternehmensdomain",
        "Account",
    ),
    "name": aliases("Firma", "Firmenname", "Unternehmen", "Company", "Company name", "Name"),
}
CONTACT_COLUMNS = {
    "email": aliases("E-Mail", "E-Mail-Adresse", "Email", "Email address", "Mail", "Adresse"),
    "first_name": aliases("Vorname", "First name", "Firstname", "Given name"),
    "last_name": aliases("Nachname", "Last name", "Lastname", "Surname", "Familienname"),
}


@dataclass(frozen=True)
class Member:
    key: str  # registrable domain or normalised address
    first_name: str = ""
    last_name: str = ""
    name: str = ""


def import_members(
    session: Session,
    actor_id: int | None,
    group: TargetGroup,
    rows: Sequence[tuple[str, ...]],
    *,
    skip_rejected: bool,
) -> ImportReport:
    """Check `rows` (with or without a header line) and add the members to `group`.

    `actor_id` is the admin user, or None for imports that no user started.
    """
    columns, first_line = find_columns(group.level, rows)
    report = ImportReport()
    members = check_rows(session, group.level, rows, columns, first_line, report)
    if report.rejected and not skip_rejected:
        return report
    if group.level == TargetLevel.ACCOUNT:
        added = add_accounts(session, group, members)
    else:
        added = add_contacts(session, group, members)
    report.created = added
    report.unchanged += len(members) - added
    record_change(
        session,
        actor_id=actor_id,
        action=AuditAction.IMPORT,
        entity_type="target_group",
        entity_id=group.id,
        changes={"members_added": (None, added), "rejected": (None, len(report.rejected))},
    )
    report.applied = True
    return report


def find_columns(level: TargetLevel, rows: Sequence[tuple[str, ...]]) -> tuple[dict[str, int], int]:
    """Return the column of each field and the index of the first data row."""
    if not rows:
        raise TableError(_("The file is empty."))
    key_field = "domain" if level == TargetLevel.ACCOUNT else "email"
    column_aliases = ACCOUNT_COLUMNS if level == TargetLevel.ACCOUNT else CONTACT_COLUMNS
    columns = map_columns(rows[0], column_aliases)
    if key_field in columns:
        return columns, 1
    if len(rows[0]) == 1 or looks_like_member(level, rows[0][0]):
        return {key_field: 0}, 0  # a list without a header line
    if level == TargetLevel.ACCOUNT:
        raise TableError(_("The file has no column for the domain. Name it “Domain” or “Website”."))
    raise TableError(
        _("The file has no column for the email address. Name it “E-Mail” or “Email”.")
    )


def looks_like_member(level: TargetLevel, text: str) -> bool:
    try:
        parse_key(level, text, frozenset())
    except MemberError:
        return False
    return True


def parse_key(level: TargetLevel, text: str, extra_freemail: frozenset[str]) -> str:
    if level == TargetLevel.ACCOUNT:
        return account_domain(text, extra_freemail)
    return contact_address(text)


def check_rows(
    session: Session,
    level: TargetLevel,
    rows: Sequence[tuple[str, ...]],
    columns: dict[str, int],
    first_line: int,
    report: ImportReport,
) -> list[Member]:
    extra_freemail = frozenset(
        session.scalars(select(TenantDomain.domain).where(TenantDomain.kind == DomainKind.FREEMAIL))
    )
    key_field = "domain" if level == TargetLevel.ACCOUNT else "email"
    members: dict[str, Member] = {}
    for line, row in enumerate(rows[first_line:], start=first_line + 1):
        values = {name: cell(row, index) for name, index in columns.items()}
        try:
            key = parse_key(level, values[key_field], extra_freemail)
        except MemberError as error:
            report.reject(line, row, str(error))
            continue
        if key in members:
            report.unchanged += 1
            continue
        first_name, last_name = values.get("first_name", ""), values.get("last_name", "")
        if level == TargetLevel.CONTACT and not (first_name or last_name):
            first_name, last_name = split_display_name(display_name_of(values[key_field]))
        members[key] = Member(key, first_name[:200], last_name[:200], values.get("name", "")[:200])
    return list(members.values())


def cell(row: tuple[str, ...], index: int) -> str:
    return cell_text(row[index]) if index < len(row) else ""


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK_SIZE):
        yield items[start : start + CHUNK_SIZE]


def add_accounts(session: Session, group: TargetGroup, members: list[Member]) -> int:
    ids = ensure_rows(
        session,
        Account,
        Account.domain,
        [{"domain": m.key, "name": m.name, "tenant_id": group.tenant_id} for m in members],
        "domain",
    )
    return link_members(session, group, target_group_accounts, "account_id", ids)


def add_contacts(session: Session, group: TargetGroup, members: list[Member]) -> int:
    """Add contact members, each linked to the account of its company domain."""
    accounts = contact_accounts(session, group.tenant_id, [m.key for m in members])
    account_ids = [accounts.get(m.key) for m in members]
    rows: list[dict[str, Any]] = [
        {
            "email": m.key,
            "first_name": m.first_name,
            "last_name": m.last_name,
            "tenant_id": group.tenant_id,
            "external_ids": {},
            "account_id": account_id,
        }
        for m, account_id in zip(members, account_ids, strict=True)
    ]
    ids = ensure_rows(session, Contact, Contact.email, rows, "email")
    link_accounts_of_existing(session, ids, account_ids)
    fill_missing_names(session, ids, members)
    return link_members(session, group, target_group_contacts, "contact_id", ids)


def contact_accounts(session: Session, tenant_id: int, addresses: list[str]) -> dict[str, int]:
    """Map each address at a company domain to the id of that domain's Account.

    Missing accounts are created. Freemail addresses (including the tenant's own
    freemail list) belong to no company and are left out.
    """
    extra_freemail = frozenset(
        session.scalars(select(TenantDomain.domain).where(TenantDomain.kind == DomainKind.FREEMAIL))
    )
    domains: dict[str, str] = {}
    for address in addresses:
        domain = registrable_domain(address.rpartition("@")[2])
        if domain is not None and not is_freemail(domain, extra_freemail):
            domains[address] = domain
    distinct = sorted(set(domains.values()))
    rows = [{"domain": domain, "name": "", "tenant_id": tenant_id} for domain in distinct]
    ids = dict(
        zip(distinct, ensure_rows(session, Account, Account.domain, rows, "domain"), strict=True)
    )
    return {address: ids[domain] for address, domain in domains.items()}


def fill_missing_names(session: Session, contact_ids: list[int], members: list[Member]) -> None:
    """Give contacts stored without a name the name the import brings, if any."""
    named = {
        contact_id: member
        for contact_id, member in zip(contact_ids, members, strict=True)
        if member.first_name or member.last_name
    }
    nameless: list[int] = []
    for chunk in chunks(list(named)):
        nameless += session.scalars(
            select(Contact.id).where(
                Contact.id.in_(chunk), Contact.first_name == "", Contact.last_name == ""
            )
        )
    if nameless:
        session.execute(
            update(Contact),
            [
                {
                    "id": contact_id,
                    "first_name": named[contact_id].first_name,
                    "last_name": named[contact_id].last_name,
                }
                for contact_id in nameless
            ],
        )


def link_accounts_of_existing(
    session: Session, contact_ids: list[int], account_ids: list[int | None]
) -> None:
    """Give contacts stored without an account the account of their domain."""
    by_account: dict[int, list[int]] = {}
    for contact_id, account_id in zip(contact_ids, account_ids, strict=True):
        if account_id is not None:
            by_account.setdefault(account_id, []).append(contact_id)
    for account_id, contacts in by_account.items():
        for chunk in chunks(contacts):
            session.execute(
                update(Contact)
                .where(Contact.id.in_(chunk), Contact.account_id.is_(None))
                .values(account_id=account_id)
            )


def ensure_rows(
    session: Session, model: Any, key_column: Any, rows: list[dict[str, Any]], key: str
) -> list[int]:
    """Insert the rows whose key does not exist yet; return the ids of all of them.

    Existing keys are looked up before anything is inserted, and new ids come back from
    INSERT … RETURNING. Selecting after inserts would make PostgreSQL plan against
    statistics from before the import and scan the growing table once per chunk.
    """
    keys = [row[key] for row in rows]
    existing: dict[str, int] = {}
    for chunk in chunks(keys):
        found = session.execute(select(key_column, model.id).where(key_column.in_(chunk)))
        existing.update({row[0]: row[1] for row in found})
    new_rows = [row for row in rows if row[key] not in existing]
    for chunk in chunks(new_rows):
        inserted = session.execute(insert(model).returning(key_column, model.id), chunk)
        existing.update({row[0]: row[1] for row in inserted})
    return [existing[row_key] for row_key in keys]


def link_members(
    session: Session, group: TargetGroup, link_table: Any, column: str, ids: list[int]
) -> int:
    """Add the links from `group` to `ids` that do not exist yet; return how many were added."""
    linked = set(
        session.scalars(
            select(link_table.c[column]).where(link_table.c.target_group_id == group.id)
        )
    )
    new_ids = [member_id for member_id in ids if member_id not in linked]
    for chunk in chunks(new_ids):
        session.execute(
            insert(link_table),
            [{"target_group_id": group.id, column: member_id} for member_id in chunk],
        )
    return len(new_ids)
