"""What the waiting page says after a withheld or unavailable call named its challenge.

The store keeps the hint on the challenge row (``Challenge.hint``), so a page that polls
/verify/status hears of it as well as one on the SSE stream, after a restart too.
"""

from __future__ import annotations

#: What the waiting page says after a refused call, by event kind.
HINT_MESSAGES = {
    "withheld_call": (
        "非通知でおかけいただいたため、認証できませんでした。"
        "電話番号の前に「186」をつけて、もう一度おかけ直しください。"
    ),
    "unavailable_call": (
        "発信者番号が通知されなかったため、認証できませんでした。"
        "ご登録の電話から「186」をつけておかけ直しいただくか、"
        "電話機の電話番号通知設定をご確認ください。"
    ),
}
