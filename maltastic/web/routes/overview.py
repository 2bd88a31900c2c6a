"""Übersicht: the first page after login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select
from starlette.responses import Response

from maltastic.campaigns.models import Campaign
from maltastic.db.tenancy import open_tenant_session
from maltastic.directory.models import Employee
from maltastic.web.dependencies import require_admin, runtime_of
from maltastic.web.identity import AdminIdentity
from maltastic.web.templating import render

router = APIRouter()


@router.get("/")
async def overview(
    request: Request, identity: Annotated[AdminIdentity, Depends(require_admin)]
) -> Response:
    factory = runtime_of(request).session_factory
    with open_tenant_session(factory, identity.tenant_id) as session:
        campaigns = session.scalars(
            select(Campaign).where(Campaign.paused.is_(False)).order_by(Campaign.priority)
        ).all()
        employee_count = session.scalar(
            select(func.count()).select_from(Employee).where(Employee.active.is_(True))
        )
    return render(
        request, "overview.html", {"campaigns": campaigns, "employee_count": employee_count}
    )
