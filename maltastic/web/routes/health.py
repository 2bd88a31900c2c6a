"""Health check for load balancers and operators."""

from __future__ import annotations

import logging

import redis.asyncio as redis_asyncio
from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from maltastic.runtime import Runtime
from maltastic.web.dependencies import runtime_of

logger = logging.getLogger(__name__)
router = APIRouter()


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """Return 200 when the database (and Redis, if configured) answer, else 503."""
    runtime = runtime_of(request)
    checks = {
        "database": await run_in_threadpool(check_database, runtime),
        "redis": await check_redis(runtime.settings.redis_url),
    }
    healthy = all(state in ("ok", "not configured") for state in checks.values())
    body = {"status": "ok" if healthy else "unavailable", **checks}
    return JSONResponse(body, status_code=200 if healthy else 503)


def check_database(runtime: Runtime) -> str:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        logger.warning("health check: database failed: %s", error)
        return "failed"
    return "ok"


async def check_redis(url: str | None) -> str:
    if url is None:
        return "not configured"
    client = redis_asyncio.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
    except redis_asyncio.RedisError as error:
        logger.warning("health check: redis failed: %s", error)
        return "failed"
    finally:
        await client.aclose()
    return "ok"
