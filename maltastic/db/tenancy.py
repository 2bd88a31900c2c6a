"""Tenant scoping: a session opened for a tenant sees and writes only that tenant's rows.

Every SELECT, UPDATE and DELETE that such a session runs through the ORM gets the
criterion `tenant_id = <tenant>` for every tenant-owned entity it touches, including
joins and relationship loads. On flush, new rows get the session's tenant id and rows
of another tenant are refused. Sessions without a tenant (system jobs, login) are
unscoped and must filter by hand.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from maltastic.db.base import TenantOwned

TENANT_ID_KEY = "tenant_id"


class CrossTenantWriteError(Exception):
    """A tenant session tried to write a row that belongs to another tenant."""


def open_tenant_session(factory: sessionmaker[Session], tenant_id: int) -> Session:
    session = factory()
    session.info[TENANT_ID_KEY] = tenant_id
    return session


def session_tenant_id(session: Session) -> int | None:
    tenant_id: int | None = session.info.get(TENANT_ID_KEY)
    return tenant_id


@event.listens_for(Session, "do_orm_execute")
def _add_tenant_criteria(state: ORMExecuteState) -> None:
    tenant_id = session_tenant_id(state.session)
    if tenant_id is None:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria of the statement that loaded the parent propagate
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _check_tenant_of_written_rows(session: Session, _context: Any, _instances: Any) -> None:
    tenant_id = session_tenant_id(session)
    if tenant_id is None:
        return
    for row in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(row, TenantOwned):
            continue
        if row.tenant_id is None and row in session.new:
            row.tenant_id = tenant_id
        elif row.tenant_id != tenant_id:
            raise CrossTenantWriteError(
                f"{type(row).__name__} of tenant {row.tenant_id} cannot be written "
                f"in a session of tenant {tenant_id}"
            )
