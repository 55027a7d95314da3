"""The QR code beside the number on wide screens: the holder scans it with the phone in
hand and dials from there. segno draws it as an inline SVG on the server, so the page
needs no image request, no script and no external service (CSP default-src 'self')."""

from __future__ import annotations

import functools

import segno
from markupsafe import Markup


@functools.lru_cache(maxsize=64)  # a handful of pool numbers, drawn again on every page
def tel_qr(number: str) -> Markup:
    """An inline ``<svg>`` QR code of ``tel:<number>`` (domestic digits)."""
    code = segno.make(f"tel:{number}", error="m", micro=False)
    svg = code.svg_inline(
        scale=4, border=2, dark="#17477e", light="#ffffff", svgclass="qr", lineclass=None,
        omitsize=True,  # a viewBox: the stylesheet sizes it
        title=f"tel:{number} に発信するQRコード",
    )  # fmt: skip
    return Markup(svg)  # noqa: S704 - segno's own SVG of digits we produced
