"""Every admin page renders in German by default and switches to English."""

import io

import httpx
from PIL import Image

PAGES = {
    "/departments": "Abteilungen",
    "/employees": "Mitarbeiter",
    "/employees/new": "Neuer Mitarbeiter",
    "/employees/import": "Mitarbeiter importieren",
    "/banners": "Banner hochladen",
    "/campaigns": "Kampagnen",
    "/campaigns/new": "Neue Kampagne",
    "/target-groups": "Zielgruppen",
    "/domains": "Interne Domains",
    "/settings": "Einstellungen",
}
NAVIGATION = ("Übersicht", "Kampagnen", "Banner", "Zielgruppen", "Mitarbeiter", "Abteilungen")


def test_pages_render_in_german(owner: httpx.Client) -> None:
    for page, heading in PAGES.items():
        response = owner.get(page)
        assert response.status_code == 200, page
        assert '<html lang="de">' in response.text, page
        assert heading in response.text, page
        for label in NAVIGATION:
            assert f">{label}</a>" in response.text, (page, label)


def test_pages_switch_to_english(owner: httpx.Client) -> None:
    owner.get("/?lang=en")
    assert "Target groups" in owner.get("/target-groups").text
    assert "Internal domains" in owner.get("/domains").text
    assert "Import employees" in owner.get("/employees/import").text


def test_current_page_is_marked_in_navigation(owner: httpx.Client) -> None:
    page = owner.get("/campaigns/new")
    assert '<a href="/campaigns" aria-current="page">Kampagnen</a>' in page.text


def test_htmx_is_served_from_own_origin(owner: httpx.Client) -> None:
    page = owner.get("/campaigns")
    assert '<script src="/static/vendor/htmx.min.js" defer></script>' in page.text
    assert "<script>" not in page.text
    script = owner.get("/static/vendor/htmx.min.js")
    assert script.status_code == 200
    assert "htmx" in script.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_unknown_object_gives_german_404(owner: httpx.Client) -> None:
    response = owner.get("/campaigns/999999")
    assert response.status_code == 404
    assert "Diese Seite oder dieses Objekt gibt es nicht" in response.text


def test_favicon_is_linked_and_served(client: httpx.Client) -> None:
    page = client.get("/login")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
    assert "img-src 'self'" in page.headers["content-security-policy"]
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_favicon_ico_is_a_real_icon(client: httpx.Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/vnd.microsoft.icon"
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO"
    assert icon.info["sizes"] == {(16, 16), (32, 32), (48, 48)}
    corner, middle = icon.convert("RGBA").getpixel((0, 0)), icon.convert("RGBA").getpixel((4, 16))
    assert corner[3] == 0  # transparent outside the rounded corner
    assert middle[:3] == (7, 55, 99)  # the background colour #073763


def test_unknown_page_gets_the_error_page(client: httpx.Client, owner: httpx.Client) -> None:
    anonymous = client.get("/gibt-es-nicht")
    logged_in = owner.get("/gibt-es-nicht")
    api = owner.get("/api/gibt-es-nicht")

    assert anonymous.status_code == 404
    assert "text/html" in anonymous.headers["content-type"]
    assert logged_in.status_code == 404
    assert "gehört zu einer anderen Organisation" in logged_in.text
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/json"


def test_favicon_answers_head(client: httpx.Client) -> None:
    assert client.head("/favicon.ico").status_code == 200
