"""Target groups as admins edit them: create, rename, delete, list and remove members."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from maltastic.audit.service import AuditAction, changed_fields, record_change
from maltastic.campaigns.models import campaign_target_groups
from maltastic.i18n.catalog import gettext as _
from maltastic.targeting.imports import import_members
from maltastic.targeting.members import split_entries
from maltastic.targeting.models import (
    Account,
    Contact,
    TargetGroup,
    TargetLevel,
    target_group_accounts,
    target_group_contacts,
)
from maltastic.targeting.tabular import ImportReport
from maltastic.validation import FieldErrors, InvalidInputError

MEMBER_PAGE_SIZE = 100


@dataclass(frozen=True)
class GroupSummary:
    group: TargetGroup
    member_count: int
    campaign_count: int


@dataclass(frozen=True)
class MemberRow:
    id: int
    key: str  # domain or address
    name: str


def list_groups(session: Session) -> list[GroupSummary]:
    groups = list(session.scalars(select(TargetGroup).order_by(TargetGroup.name)))
    return [
        GroupSummary(group, member_count(session, group), campaign_count(session, group.id))
        for group in groups
    ]


def member_count(session: Session, group: TargetGroup) -> int:
    table = link_table(group.level)
    count = select(func.count()).select_from(table).where(table.c.target_group_id == group.id)
    return session.scalar(count) or 0


def campaign_count(session: Session, group_id: int) -> int:
    table = campaign_target_groups
    count = select(func.count()).select_from(table).where(table.c.target_group_id == group_id)
    return session.scalar(count) or 0


def link_table(level: TargetLevel) -> Table:
    return target_group_accounts if level == TargetLevel.ACCOUNT else target_group_contacts


def check_group_name(session: Session, name: str, current_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInputError({"name": _("Please enter a name.")})
    if len(name) > 200:
        raise InvalidInputError({"name": _("The name can have at most 200 characters.")})
    clash = session.scalar(
        select(TargetGroup.id).where(func.lower(TargetGroup.name) == name.lower())
    )
    if clash is not None and clash != current_id:
        raise InvalidInputError({"name": _("A target group with this name already exists.")})
    return name


def create_group(session: Session, actor_id: int, name: str, level: str) -> TargetGroup:
    errors = FieldErrors()
    try:
        name = check_group_name(session, name)
    except InvalidInputError as error:
        errors.errors.update(error.errors)
    if level not in (TargetLevel.ACCOUNT.value, TargetLevel.CONTACT.value):
        errors.add("level", _("Please choose account level or contact level."))
    errors.raise_if_any()
    group = TargetGroup(name=name, level=TargetLevel(level))
    session.add(group)
    session.flush()
    record_group_change(
        session, actor_id, AuditAction.CREATE, group, {"name": (None, name), "level": (None, level)}
    )
    return group


def rename_group(session: Session, actor_id: int, group: TargetGroup, name: str) -> None:
    changes = changed_fields(group, {"name": check_group_name(session, name, group.id)})
    if changes:
        record_group_change(session, actor_id, AuditAction.UPDATE, group, changes)


def delete_group(session: Session, actor_id: int, group: TargetGroup) -> None:
    if campaign_count(session, group.id):
        raise InvalidInputError(
            {"name": _("This target group is used by a campaign and cannot be deleted.")}
        )
    record_group_change(session, actor_id, AuditAction.DELETE, group, {"name": (group.name, None)})
    session.delete(group)


def add_typed_members(
    session: Session, actor_id: int, group: TargetGroup, text: str
) -> ImportReport:
    """Add members typed or pasted by the admin, all or nothing."""
    entries = split_entries(text)
    if not entries:
        raise InvalidInputError({"members": _("Please enter at least one entry.")})
    return import_members(
        session, actor_id, group, [(entry,) for entry in entries], skip_rejected=False
    )


def list_members(session: Session, group: TargetGroup, query: str) -> list[MemberRow]:
    """Return the first members of `group` in alphabetical order, filtered by `query`."""
    pattern = f"%{query.strip().lower()}%"
    if group.level == TargetLevel.ACCOUNT:
        accounts = (
            select(Account.id, Account.domain, Account.name)
            .join(target_group_accounts, target_group_accounts.c.account_id == Account.id)
            .where(target_group_accounts.c.target_group_id == group.id)
            .where(Account.domain.like(pattern))
            .order_by(Account.domain)
        )
        rows = session.execute(accounts.limit(MEMBER_PAGE_SIZE)).all()
        return [MemberRow(row[0], row[1], row[2]) for row in rows]
    contacts = (
        select(Contact.id, Contact.email, Contact.first_name, Contact.last_name)
        .join(target_group_contacts, target_group_contacts.c.contact_id == Contact.id)
        .where(target_group_contacts.c.target_group_id == group.id)
        .where(Contact.email.like(pattern))
        .order_by(Contact.email)
    )
    contact_rows = session.execute(contacts.limit(MEMBER_PAGE_SIZE)).all()
    return [MemberRow(row[0], row[1], f"{row[2]} {row[3]}".strip()) for row in contact_rows]


def remove_member(session: Session, actor_id: int, group: TargetGroup, member_id: int) -> bool:
    """Remove one account or contact from `group`; the account or contact itself stays."""
    members = list_member_keys(session, group, member_id)
    if not members:
        return False
    if group.level == TargetLevel.ACCOUNT:
        table, column = target_group_accounts, target_group_accounts.c.account_id
    else:
        table, column = target_group_contacts, target_group_contacts.c.contact_id
    session.execute(delete(table).where(table.c.target_group_id == group.id, column == member_id))
    record_group_change(
        session, actor_id, AuditAction.UPDATE, group, {"member_removed": (members[0], None)}
    )
    return True


def list_member_keys(session: Session, group: TargetGroup, member_id: int) -> list[str]:
    if group.level == TargetLevel.ACCOUNT:
        statement = select(Account.domain).join(
            target_group_accounts, target_group_accounts.c.account_id == Account.id
        )
        statement = statement.where(
            target_group_accounts.c.target_group_id == group.id, Account.id == member_id
        )
    else:
        statement = select(Contact.email).join(
            target_group_contacts, target_group_contacts.c.contact_id == Contact.id
        )
        statement = statement.where(
            target_group_contacts.c.target_group_id == group.id, Contact.id == member_id
        )
    return list(session.scalars(statement))


def record_group_change(
    session: Session,
    actor_id: int,
    action: AuditAction,
    group: TargetGroup,
    changes: dict[str, tuple[object, object]],
) -> None:
    record_change(
        session,
        actor_id=actor_id,
        action=action,
        entity_type="target_group",
        entity_id=group.id,
        changes=changes,
    )
