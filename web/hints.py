"""What the waiting page says after a withheld or unavailable call named its challenge.

The store keeps the hint on the challenge row (``Challenge.hint``), so a page that polls
/verify/status hears of it as well as one on the SSE stream, after a restart too.
"""

from __future__ import annotations

from db.models import EndedBy

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

#: What a waiting page says when its login ended because of another login of the holder.
#: Whoever holds the password may be reading it: it says what to do if that was not them.
ENDED_MESSAGES = {
    EndedBy.SUPERSEDED: (
        "このアカウントで新しいログインが行われたため、"
        "この画面の認証専用番号はご利用いただけなくなりました。"
        "お客さまご自身の操作でない場合は、第三者がパスワードを知っているおそれがありますので、"
        "お手数ですが、コールセンターへご連絡ください。"
    ),
    EndedBy.VERIFIED_ELSEWHERE: (
        "別の画面または端末でのログインが完了しました。"
        "この画面の認証専用番号はご利用いただけなくなりました。"
        "お心当たりがない場合は、第三者がパスワードを知っているおそれがありますので、"
        "お手数ですが、コールセンターへご連絡ください。"
    ),
}
