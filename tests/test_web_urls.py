"""Named routes: every URL of the site has a name, and a name builds the public path."""

from __future__ import annotations

import pathlib

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from callauth.ivr.config import Config
from callauth.site import create_site
from callauth.web.urls import url


@pytest.fixture
def app(tmp_path: pathlib.Path) -> web.Application:
    return create_site(Config(db=str(tmp_path / "callauth.db"), demo=True))


def test_every_route_of_the_site_has_a_name(app: web.Application) -> None:
    unnamed = [
        f"{route.method} {route.resource.canonical if route.resource else '?'}"
        for route in app.router.routes()
        if route.resource is None or route.resource.name is None
    ]
    assert unnamed == []


def test_each_path_is_one_named_resource(app: web.Application) -> None:
    paths = [resource.canonical for resource in app.router.resources()]
    assert len(paths) == len(set(paths))


@pytest.mark.parametrize(
    ("name", "parts", "query", "path"),
    [
        ("index", {}, None, "/"),
        ("login", {}, None, "/login"),
        ("login", {}, {"logged_out": "1"}, "/login?logged_out=1"),
        ("logout", {}, None, "/logout"),
        ("verify", {}, None, "/verify"),
        ("verify.reissue", {}, None, "/verify/reissue"),
        ("verify.status", {}, None, "/verify/status"),
        ("verify.events", {}, None, "/verify/events"),
        ("mypage", {}, {"done": "email"}, "/mypage?done=email"),
        ("email", {}, None, "/mypage/email"),
        ("email.verify", {}, None, "/mypage/email/verify"),
        ("contract", {"contract_id": 7}, None, "/mypage/contracts/7"),
        (
            "contract.change",
            {"contract_id": 7, "party": "insured"},
            None,
            "/mypage/contracts/7/change/insured",
        ),
        ("change.confirm", {"change_id": 12}, None, "/mypage/changes/12/confirm"),
        ("change.done", {"change_id": 12}, None, "/mypage/changes/12/done"),
        ("healthz", {}, None, "/healthz"),
        ("api.phone.validate", {}, None, "/api/phone/validate"),
        ("api.openapi", {}, None, "/api/openapi.json"),
        ("demo.apply", {}, None, "/demo/apply"),
        ("admin", {}, None, "/admin"),
        ("admin.login", {}, None, "/admin/login"),
        ("admin.holder", {"holder_id": 3}, {"done": "unlocked"}, "/admin/holders/3?done=unlocked"),
        (
            "admin.holder.cancel_change",
            {"holder_id": 3, "change_id": 9},
            None,
            "/admin/holders/3/changes/9/cancel",
        ),
    ],
)
def test_a_route_name_builds_the_public_path(
    app: web.Application,
    name: str,
    parts: dict[str, str | int],
    query: dict[str, str] | None,
    path: str,
) -> None:
    request = make_mocked_request("GET", "/", app=app)
    assert url(request, name, query=query, **parts) == path


def test_an_unknown_route_name_is_an_error(app: web.Application) -> None:
    request = make_mocked_request("GET", "/", app=app)
    with pytest.raises(KeyError):
        url(request, "my_page")


def test_a_route_without_its_part_is_an_error(app: web.Application) -> None:
    request = make_mocked_request("GET", "/", app=app)
    with pytest.raises(KeyError):
        url(request, "change.call")
