"""The recorded calls: the simulated Asterisk's spec behind each fixture transcript
(``tests/fixtures/fastagi-<name>.txt``), by name."""

from __future__ import annotations

from dataclasses import replace

from callauth.ivr.simulator import CallSpec, next_channel_seq, next_uniqueid

_NAME = "YAMADA TARO"
_BASE = CallSpec("09012345678", "0312345678", _NAME)
_SIP = replace(_BASE, channel_type="PJSIP", threadid="139711003055808")
_ANON = replace(_BASE, caller="anonymous", caller_name="Anonymous")
_SIP_ANON = replace(_SIP, caller="anonymous", caller_name="Anonymous")

#: The call behind each ``tests/fixtures/fastagi-<name>.txt`` (uniqueid, threadid and
#: channel number vary per call: replace them to compare bytes).
SCENARIOS: dict[str, CallSpec] = {
    "allowed": _BASE,
    "allowed-via-dial": replace(_BASE, callingpres=3, num_pres="allowed", pres="allowed"),
    "prohibited": replace(_BASE, callingpres=35, num_pres="prohib", pres="prohib"),
    "empty-cid": replace(_BASE, caller="", caller_name="", callingpres=67, pres="unavailable"),
    "empty-cid-via-dial": replace(_BASE, caller="", caller_name=""),
    "unavailable": replace(
        _BASE, caller="", caller_name="", callingpres=67, num_pres="unavailable", pres="unavailable"
    ),
    "anonymous": _ANON,
    "anonymous-prohib": replace(_ANON, callingpres=35, num_pres="prohib", pres="prohib"),
    "caller-hangup": replace(_BASE, dialled="0312340001", hangup_after=6),
    "caller-hangup-during-exec": replace(_BASE, dialled="0312340002", hangup_after=8),
    "reject-unanswered": replace(
        _BASE,
        dialled="0312340003",
        caller_name="",
        callingpres=35,
        num_pres="prohib",
        pres="prohib",
    ),
    "return-to-dialplan": replace(_BASE, dialled="0312340004", caller_name=""),
    "during-ami-session": _BASE,
    "sip-trusted-allowed": _SIP,
    "sip-trusted-prohibited": replace(
        _SIP, callingpres=32, num_pres="prohib_not_screened", pres="prohib_not_screened"
    ),
    "sip-trusted-unavailable": _SIP_ANON,
    "sip-untrusted-prohibited": replace(_SIP_ANON, endpoint="in-untrusted"),
    # Keypad input: each recorded on its own extension, so the recorder knew what to play.
    "get-data-digits": replace(_BASE, dialled="0312341001", dtmf=("1234",)),
    "get-data-hash": replace(_BASE, dialled="0312341002", dtmf=("12#", "#")),
    "get-data-timeout": replace(_BASE, dialled="0312341003", dtmf=("", "1")),
    "get-data-hangup": replace(_BASE, dialled="0312341004", hangup_after=1),
    # The missing prompt reads no key: the one entry goes to the second GET DATA.
    "get-data-missing-prompt": replace(_BASE, dialled="0312341005", dtmf=("1234",)),
    "stream-file-escape": replace(_BASE, dialled="0312341006", dtmf=("5", "5")),
    "wait-for-digit": replace(_BASE, dialled="0312341007", dtmf=("7",)),
    "get-data-hangup-during-prompt": replace(_BASE, dialled="0312341008", hangup_after=1),
    "get-data-barge-in": replace(_BASE, dialled="0312341009", dtmf=("1234",)),
}


def scenario(name: str, **changes: object) -> CallSpec:
    """The spec of a fixture scenario, with a fresh uniqueid and channel number."""
    fresh = {"uniqueid": next_uniqueid(), "channel_seq": next_channel_seq()}
    return replace(SCENARIOS[name], **{**fresh, **changes})  # type: ignore[arg-type]
