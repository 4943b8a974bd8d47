"""The API console works without a CDN: every asset /docs and /redoc load comes from the app."""

import re

import httpx
import pytest


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_assets_are_served_locally(client: httpx.AsyncClient, page: str) -> None:
    html = await client.get(page)
    assert html.status_code == 200
    refs = set(re.findall(r"""(?:src|href)=["']([^"']+)["']""", html.text))
    refs |= set(re.findall(r"""(?:url|openapi_url):\s*['"]([^'"]+)['"]""", html.text))
    assert refs, "the page references no assets?"
    for ref in refs:
        assert not ref.startswith(("http://", "https://", "//")), f"{page} loads {ref} from outside"
        asset = await client.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.content) > 0, ref
    assert any(r.endswith(".js") for r in refs)


async def test_swagger_authorize_uses_the_password_login(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    flows = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "/api/v1/auth/token"
