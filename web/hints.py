"""What the waiting page says about the last call that can be tied to its challenge.

The store keeps that call's kind on the challenge row (``Challenge.hint``, the column
``last_call``), so a page that polls /verify/status hears of it as well as one on the SSE
stream, after a restart too. Each tied call replaces the previous message; a call that
cannot be tied to the challenge leaves it as it was. None of these says "verified".
"""

from __future__ import annotations

from callauth.db.models import EndedBy

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
    "wrong_number": (
        "ご登録の電話から、この画面とは別の番号へのお電話がありました。認証はできていません。"
        "この画面に表示している認証専用番号へおかけ直しください。"
    ),
    "other_phone": (
        "お客さまの別の電話番号からのお電話がありました。認証はできていません。"
        "この画面に表示している末尾4桁の電話番号からおかけ直しください。"
    ),
    "old_phone": (
        "これまでの電話番号からのお電話がありました。電話番号の変更はまだ完了していません。"
        "新しい電話番号からおかけ直しください。"
    ),
    "wrong_code": (
        "お電話で押された確認番号が、この画面の確認番号と違いました。認証はできていません。"
        "画面の4桁の確認番号をお確かめのうえ、もう一度おかけください。"
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
