"""The console's dashboard (/admin) and coverage (/admin/coverage, its CSV).

The charts are drawn by Chart.js (web/static/chart.umd.min.js, vendored: the CSP allows
scripts from this origin only); the page carries their data as a JSON script element
that web/static/admin.js reads, since no inline script may run.
"""

from __future__ import annotations

import csv
import datetime
import io

from aiohttp import web

from callauth.db.console_models import CallCounts, OperatorSession, Role
from callauth.ivr.jst import JST
from callauth.web import admin_session as adm
from callauth.web.filters import masked_phone
from callauth.web.flow import client_address
from callauth.web.keys import CONFIG, PBX, SERVICES
from callauth.web.responses import no_store

OUTCOMES = {
    "verified": "認証成功", "not_matched": "一致せず", "withheld": "非通知",
    "unavailable": "通知不可", "expired": "期限切れ", "ambiguous": "特定できず",
    "throttled": "回数制限", "untrusted": "信頼できない経路", "error": "エラー",
}  # fmt: skip
PBX_STATES = {"off": "AMI 未使用", "connected": "接続中", "disconnected": "切断中"}
KINDS = {"voip": "IP電話（050）", "toll_free": "フリーダイヤル", "shared_cost": "ナビダイヤル",
         "m2m": "020（データ通信）", "premium": "0990", "personal": "060",
         "foreign": "海外の番号", "invalid": "番号として無効", "mobile": "携帯電話（設定で不可）",
         "fixed_line": "固定電話（設定で不可）"}  # fmt: skip


def _series(counts: CallCounts, fmt: str) -> dict[str, object]:
    labels = [
        datetime.datetime.fromtimestamp(counts.start + i * counts.bucket, JST).strftime(fmt)
        for i in range(counts.buckets)
    ]
    order = [o for o in OUTCOMES if o in counts.by_outcome] + sorted(
        set(counts.by_outcome) - set(OUTCOMES))  # fmt: skip
    datasets = [
        {"key": o, "label": OUTCOMES.get(o, o), "data": counts.by_outcome[o]} for o in order
    ]
    return {"labels": labels, "datasets": datasets}


def _share(counts: CallCounts) -> str:
    return f"{100 * counts.verified / counts.total:.1f}%" if counts.total else "—"


@adm.requires(Role.VIEWER)
async def dashboard(request: web.Request, session: OperatorSession) -> web.Response:
    overview = await request.app[SERVICES].admin.overview()
    pbx = request.app[PBX].snapshot()
    charts = {
        "day": _series(overview.last_day, "%H時"),
        "month": _series(overview.last_month, "%m/%d"),
    }
    median = overview.median_to_verified
    context = {
        "overview": overview, "charts": charts, "pbx": pbx,
        "pbx_state": PBX_STATES.get(str(pbx["status"]), pbx["status"]),
        "share_day": _share(overview.last_day), "share_month": _share(overview.last_month),
        "median": None if median is None else round(median),
    }  # fmt: skip
    return adm.render(request, "admin_dashboard.html", session, context)


@adm.requires(Role.VIEWER)
async def coverage(request: web.Request, session: OperatorSession) -> web.Response:
    admin = request.app[SERVICES].admin
    found = await admin.coverage()
    chart = {"labels": ["利用できる番号", "未登録", "利用できない番号"],
             "data": [found.usable, found.none, found.unusable]}  # fmt: skip
    context = {"coverage": found, "chart": chart, "kinds": KINDS,
               "enforcement_date": request.app[CONFIG].site.enforcement_date,
               "enforced": admin.enforced()}  # fmt: skip
    return adm.render(request, "admin_coverage.html", session, context)


@adm.requires(Role.VIEWER)
async def coverage_csv(request: web.Request, session: OperatorSession) -> web.Response:
    """Holders to contact: no number, or one that cannot verify (UTF-8 with a BOM, so that
    Excel opens the Japanese as such)."""
    rows = await request.app[SERVICES].admin.to_contact(session, client_address(request))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["ログインID", "氏名", "フリガナ", "メールアドレス", "状況", "登録番号（末尾4桁）"]
    )
    for login_id, name, kana, email, phone in rows:
        writer.writerow([login_id, name, kana, email, "利用できない番号" if phone else "未登録",
                         masked_phone(phone) if phone else ""])  # fmt: skip
    return no_store(web.Response(
        body=("\ufeff" + out.getvalue()).encode("utf-8"),
        headers={"Content-Type": "text/csv; charset=utf-8",
                 "Content-Disposition": 'attachment; filename="to-contact.csv"'},
    ))  # fmt: skip
