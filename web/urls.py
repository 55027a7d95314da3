"""Links and redirects by route name: ``url(request, "mypage")`` is ``/mypage``.

Every route in web/routes.py and web/routes_admin.py has a name, so a path is written once,
in the route table, and a view or a template asks for it by name (templates use
aiohttp_jinja2's ``url('name', part=...)`` global, which reads the same table).
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web


def url(
    request: web.Request,
    name: str,
    *,
    query: Mapping[str, str] | None = None,
    **parts: str | int,
) -> str:
    """The path of route ``name`` with its ``{parts}`` filled in, plus ``query`` if given.

    An unknown name raises ``KeyError`` (a typo fails the first test that follows it).
    """
    built = request.app.router[name].url_for(**{key: str(value) for key, value in parts.items()})
    return str(built.with_query(query) if query else built)
