"""Helpers to fill in the admin application's forms like a browser would."""

import re

import httpx

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(page: httpx.Response) -> str:
    match = CSRF_FIELD.search(page.text)
    assert match, f"no CSRF field on {page.url}"
    return match.group(1)


def log_in(client: httpx.Client, email: str, password: str, **extra: str) -> httpx.Response:
    token = csrf_from(client.get("/login"))
    form = {"email": email, "password": password, "csrf_token": token, **extra}
    return client.post("/login", data=form)
