"""Tell the index registry when a commit changed data that campaign resolution reads.

A session collects the tenants whose campaigns, target groups, members, employees,
domains or signature templates (which the relay caches) it changed. After a successful
commit, every subscriber of the session's `ChangeFeed` hears about each tenant once.
Rolled-back changes are forgotten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from maltastic.campaigns.models import Banner, Campaign
from maltastic.db.tenancy import session_tenant_id
from maltastic.directory.models import Department, Employee
from maltastic.signatures.models import SignatureTemplate
from maltastic.targeting.models import Account, Contact, TargetGroup
from maltastic.tenants.models import Tenant, TenantDomain, TenantNetwork, TrackingOptOut

logger = logging.getLogger(__name__)

FEED_KEY = "change_feed"
CHANGED_KEY = "changed_tenants"
TRACKED_MODELS = (
    Banner,
    Campaign,
    TargetGroup,
    Contact,
    Account,
    Employee,
    Department,
    TenantDomain,
    TenantNetwork,
    TrackingOptOut,
    SignatureTemplate,
)
TRACKED_TABLES = frozenset(
    {model.__tablename__ for model in (*TRACKED_MODELS, Tenant)}
    | {"campaign_departments", "campaign_target_groups"}
    | {"target_group_accounts", "target_group_contacts"}
)

# Rows the relay inserts on first contact with a new domain; rebuilding the index for
# each of them would rebuild it for almost every message.
MEMBER_TABLES = frozenset({"accounts", "contacts"})

TenantListener = Callable[[int], None]


class ChangeFeed:
    """Subscribers hear the id of each tenant whose resolution data a commit changed.

    A change that another process committed (`publish(..., remote=True)`) reaches every
    subscriber except those registered with `local_only`, such as the publisher that
    sends this process's changes to the others.
    """

    def __init__(self) -> None:
        self._listeners: list[tuple[TenantListener, bool]] = []

    def subscribe(self, listener: TenantListener, *, local_only: bool = False) -> None:
        self._listeners.append((listener, local_only))

    def publish(self, tenant_id: int, *, remote: bool = False) -> None:
        for listener, local_only in self._listeners:
            if remote and local_only:
                continue
            try:
                listener(tenant_id)
            except Exception:
                logger.exception("change listener failed for tenant id=%s", tenant_id)


def _changed(session: Session) -> set[int]:
    changed: set[int] = session.info.setdefault(CHANGED_KEY, set())
    return changed


@event.listens_for(Session, "after_flush")
def _collect_flushed(session: Session, _context: Any) -> None:
    if FEED_KEY not in session.info:
        return
    dirty = [row for row in session.dirty if session.is_modified(row)]
    for row in (*session.new, *dirty, *session.deleted):
        if isinstance(row, Tenant) and row.id is not None:
            _changed(session).add(row.id)
        elif isinstance(row, TRACKED_MODELS) and row.tenant_id is not None:
            _changed(session).add(row.tenant_id)


@event.listens_for(Session, "do_orm_execute")
def _collect_bulk(state: ORMExecuteState) -> None:
    session = state.session
    if FEED_KEY not in session.info or not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    table_name = getattr(table, "name", None)
    if table_name not in TRACKED_TABLES:
        return
    if state.is_insert and table_name in MEMBER_TABLES:
        return  # a new account or contact matters only once a link row names it
    tenant_id = session_tenant_id(session)
    if tenant_id is None:
        logger.warning("bulk change to %s outside a tenant session: no index refresh", table)
        return
    _changed(session).add(tenant_id)


@event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    feed: ChangeFeed | None = session.info.get(FEED_KEY)
    changed = session.info.pop(CHANGED_KEY, set())
    if feed is None:
        return
    for tenant_id in changed:
        feed.publish(tenant_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(CHANGED_KEY, None)
