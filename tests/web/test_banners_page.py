"""Banner: upload checks the real image type, previews need a login."""

import io

import httpx
from PIL import Image
from sqlalchemy import func, select

from maltastic.campaigns.models import Banner
from maltastic.runtime import Runtime
from tests.web.admin import post_form


def image_bytes(image_format: str, size: tuple[int, int] = (600, 100)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 83, 148)).save(buffer, format=image_format)
    return buffer.getvalue()


def banner_count(runtime: Runtime) -> int:
    with runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(Banner)) or 0


def upload(client: httpx.Client, name: str, data: bytes, filename: str) -> httpx.Response:
    files = {"image": (filename, data, "image/png")}
    form = {"name": name, "alt_text": "Jetzt Frühjahrsangebot sichern"}
    return post_form(client, "/banners", "/banners", form, files=files)


def test_upload_jpeg_named_png(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    response = upload(owner, "Sommeraktion", image_bytes("JPEG"), "sommer.png")
    assert response.status_code == 303
    with sqlite_runtime.session_factory() as session:
        banner = session.scalar(select(Banner).where(Banner.name == "Sommeraktion"))
    assert banner is not None
    assert banner.content_type == "image/jpeg"
    assert (banner.width, banner.height) == (600, 100)
    preview = owner.get(f"/banners/{banner.id}/image")
    assert preview.status_code == 200
    assert preview.headers["content-type"] == "image/jpeg"
    assert preview.content.startswith(b"\xff\xd8")


def test_gif_upload(owner: httpx.Client) -> None:
    assert upload(owner, "Animiert", image_bytes("GIF"), "a.gif").status_code == 303


def test_text_named_png_is_rejected(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    before = banner_count(sqlite_runtime)
    response = upload(owner, "Falsch", b"<svg onload=alert(1)>", "banner.png")
    assert response.status_code == 400
    assert "Die Datei ist kein lesbares PNG-, JPEG- oder GIF-Bild." in response.text
    assert 'value="Falsch"' in response.text
    assert banner_count(sqlite_runtime) == before


def test_bmp_is_rejected(owner: httpx.Client) -> None:
    response = upload(owner, "Bitmap", image_bytes("BMP"), "banner.png")
    assert response.status_code == 400
    assert "Erlaubt sind nur PNG-, JPEG- und GIF-Bilder." in response.text


def test_oversized_file_is_rejected(owner: httpx.Client) -> None:
    response = upload(owner, "Groß", image_bytes("PNG") + b"\0" * (1024 * 1024), "x.png")
    assert response.status_code == 400
    assert "Das Bild ist größer als 1 MB." in response.text


def test_too_wide_image_is_rejected(owner: httpx.Client) -> None:
    response = upload(owner, "Breit", image_bytes("PNG", (2400, 100)), "x.png")
    assert response.status_code == 400
    assert "höchstens 2000 × 2000 Pixel" in response.text


def test_missing_alt_text_is_shown_at_field(owner: httpx.Client) -> None:
    files = {"image": ("x.png", image_bytes("PNG"), "image/png")}
    response = post_form(owner, "/banners", "/banners", {"name": "Ohne Text"}, files=files)
    assert response.status_code == 400
    assert 'id="alt_text-error"' in response.text


def test_edit_alt_text(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    response = post_form(
        owner, "/banners", "/banners/1", {"name": "Neuer Name", "alt_text": "Neuer Alternativtext"}
    )
    assert response.status_code == 303
    with sqlite_runtime.session_factory() as session:
        banner = session.scalar(select(Banner).where(Banner.id == 1))
    assert banner is not None
    assert banner.alt_text == "Neuer Alternativtext"


def test_banner_in_use_cannot_be_deleted(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    before = banner_count(sqlite_runtime)
    response = post_form(owner, "/banners", "/banners/1/delete")
    assert response.status_code == 400
    assert "wird von einer Kampagne verwendet" in response.text
    assert banner_count(sqlite_runtime) == before


def test_preview_needs_login(client: httpx.Client) -> None:
    assert client.get("/banners/1/image").status_code == 303
