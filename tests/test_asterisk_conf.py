"""The shipped Asterisk configuration agrees with callauth's code and defaults."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import pytest

from callauth.ivr.config import Address, Ami, Config, ConfigError, Telephony
from callauth.ivr.dialplan import AUTH_SCRIPT, FASTAGI_PORT, RESULT_VARIABLE, Outcome
from tests.asterisk_conf import (
    CONF,
    Extension,
    Step,
    best_match,
    dialplan,
    globals_of,
    read_sections,
    route,
    sections_named,
    substitute,
)

DIALPLANS = ("extensions.conf", "extensions-announce.conf")
TELEPHONY, AMI = Telephony(), Ami()  # the defaults the shipped files must match
TRUSTED = TELEPHONY.trusted_contexts[0]
INTERNAL = "internal"
RESULT_REF = "${" + RESULT_VARIABLE + "}"


def steps_until_agi(name: str, context: str, number: str) -> tuple[list[Step], Step, list[Step]]:
    """(steps before, the AGI step, steps after) of the extension a call to ``number`` runs."""
    found, _ = route(name, context, number)
    assert found is not None, f"{name} [{context}]: no extension for {number}"
    steps = found.steps
    agi = [i for i, step in enumerate(steps) if step.app == "AGI"]
    assert agi, f"{name} [{context}] {found.pattern}: no AGI()"
    return steps[: agi[0]], steps[agi[0]], steps[agi[0] + 1 :]


@pytest.mark.parametrize("name", DIALPLANS)
def test_fastagi_url_is_the_services_address_and_script(name: str) -> None:
    variables = globals_of(name)
    for context in (TRUSTED, INTERNAL):
        _, agi, _ = steps_until_agi(name, context, TELEPHONY.auth_numbers[0])
        url = urlsplit(substitute(agi.args.split(",")[0], variables))
        assert url.scheme == "agi" and Address(url.hostname or "", url.port or 0) == TELEPHONY.agi
        assert url.path == f"/{AUTH_SCRIPT}"
    assert TELEPHONY.agi.port == FASTAGI_PORT


@pytest.mark.parametrize("name", DIALPLANS)
def test_every_agi_call_passes_the_secret_from_the_root_readable_include(name: str) -> None:
    for context in (TRUSTED, INTERNAL):
        _, agi, _ = steps_until_agi(name, context, TELEPHONY.auth_numbers[0])
        assert agi.args.split(",")[1:] == ["${CALLAUTH_AGI_SECRET}"]  # agi_arg_1
    text = (CONF / name).read_text(encoding="utf-8")
    assert '#tryinclude "callauth-secret.conf"' in text
    # Included inside [globals], from the sample the admin copies with mode 0640.
    secret = globals_of(name)["CALLAUTH_AGI_SECRET"]
    sample = (CONF / "callauth-secret.conf.sample").read_text(encoding="utf-8")
    assert secret == "CHANGE-ME" and "-m 0640 -o root -g asterisk" in sample


def test_the_shipped_secret_placeholder_is_refused_by_callauth() -> None:
    with pytest.raises(ConfigError, match="agi_secret") as caught:
        Config.from_keys(agi_secret=globals_of("extensions.conf")["CALLAUTH_AGI_SECRET"])
    assert "CHANGE-ME" not in str(caught.value)


@pytest.mark.parametrize("name", DIALPLANS)
@pytest.mark.parametrize("number", TELEPHONY.auth_numbers)
def test_every_auth_number_reaches_agi_unanswered_with_agisighup_off(
    name: str, number: str
) -> None:
    before, _, _ = steps_until_agi(name, TRUSTED, number)
    apps = [step.app for step in before]
    # Reject mode must never answer (the call stays free); announce mode lets callauth answer.
    assert "Answer" not in apps and "Playback" not in apps
    assert Step("", "Set", "AGISIGHUP=no") in before


@pytest.mark.parametrize("name", DIALPLANS)
def test_after_agi_the_dialplan_branches_on_agistatus_and_result(name: str) -> None:
    _, _, after = steps_until_agi(name, TRUSTED, TELEPHONY.auth_numbers[0])
    text = " ".join(step.args for step in after)
    assert '"${AGISTATUS}" = "FAILURE"' in text
    assert RESULT_REF in text
    # The unreachable path leaves a line in Asterisk's log.
    assert any(step.app == "Log" and step.args.startswith("ERROR,") for step in after)


def test_reject_mode_hangs_up_with_reject_or_unavailable_causes() -> None:
    _, _, after = steps_until_agi("extensions.conf", TRUSTED, TELEPHONY.auth_numbers[0])
    causes = {step.args for step in after if step.app == "Hangup"}
    assert causes <= {"16", "21", "34"} and {"21", "34"} <= causes
    assert "Answer" not in [step.app for step in after]


def result_words(name: str) -> set[str]:
    words = set()
    for extensions in dialplan(name).values():
        for extension in extensions:
            for step in extension.steps:
                words |= set(re.findall(re.escape(f'"{RESULT_REF}" = "') + r"(\w+)", step.args))
                words |= set(re.findall(rf"{RESULT_VARIABLE}=(\w+)", step.args))
    return words


@pytest.mark.parametrize("name", DIALPLANS)
def test_outcome_words_in_the_dialplan_are_outcomes(name: str) -> None:
    assert result_words(name) <= {o.value for o in Outcome}


def test_announce_mode_has_a_branch_for_every_outcome() -> None:
    results = dialplan("extensions-announce.conf")["callauth-result"]
    words = {e.pattern for e in results} - {"play", "i"}
    assert words == {o.value for o in Outcome}
    play = next(e for e in results if e.pattern == "play")
    assert [s.app for s in play.steps[:2]] == ["Answer", "Playback"]
    assert play.steps[1].args == f"callauth/{RESULT_REF}"
    # The dialplan's own prompt ends with the causes callauth's own endings carry.
    hangups = {s.label or "rejected": s.args for s in play.steps if s.app == "Hangup"}
    assert hangups == {"rejected": "21", "verified": "16", "error": "34"}
    assert f'"{RESULT_REF}" = "verified"]?verified' in play.steps[2].args


def forms(number: str) -> list[str]:
    """The ways carriers deliver the called number 0120111222."""
    national = number.removeprefix("0")
    return [number, f"+81{national}", f"81{national}", national]


@pytest.mark.parametrize("name", DIALPLANS)
@pytest.mark.parametrize("number", TELEPHONY.auth_numbers)
def test_every_form_of_an_auth_number_reaches_agi_as_the_domestic_number(
    name: str, number: str
) -> None:
    for form in forms(number):
        found, reached = route(name, TRUSTED, form)
        assert found is not None and reached == number, f"{name}: {form} -> {reached}"
        before, _, _ = steps_until_agi(name, TRUSTED, form)
        # callauth reads agi_dnid first: it carries the domestic form as well.
        assert Step("", "Set", "CALLERID(dnid)=${EXTEN}") in before


OUTSIDE = ["0312345678", "+81312345678", "0120999000", "0120111", "01201112223", "+1555"]


@pytest.mark.parametrize("name", DIALPLANS)
@pytest.mark.parametrize("number", OUTSIDE)
def test_a_number_outside_the_pool_is_logged_by_name_and_refused_unallocated(
    name: str, number: str
) -> None:
    found, reached = route(name, TRUSTED, number)
    assert found is not None and reached == number
    log, hangup = found.steps
    assert log.app == "Log" and log.args.startswith("NOTICE,") and "${EXTEN}" in log.args
    assert "not an authentication number" in log.args
    assert hangup == Step("", "Hangup", "1")  # 1 Unallocated: SIP 404 Not Found


@pytest.mark.parametrize("name", DIALPLANS)
def test_the_catch_all_leaves_the_h_and_i_extensions_alone(name: str) -> None:
    extensions = dialplan(name)[TRUSTED]
    hangup = best_match(extensions, "h")
    assert hangup is not None and hangup.pattern == "h"
    invalid = best_match(extensions, "i")
    assert invalid is not None and "${INVALID_EXTEN}" in invalid.steps[0].args


@pytest.mark.parametrize("name", DIALPLANS)
@pytest.mark.parametrize("context", [TRUSTED, INTERNAL])
def test_an_error_result_has_its_own_branch_before_agistatus(name: str, context: str) -> None:
    # The classic script exits 2 (AGISTATUS=FAILURE) after setting error: the error branch
    # must be taken first, and its line must not blame the FastAGI address.
    _, _, after = steps_until_agi(name, context, TELEPHONY.auth_numbers[0])
    assert after[0] == Step("", "GotoIf", f'$["{RESULT_REF}" = "error"]?error')
    labelled = {step.label: i for i, step in enumerate(after) if step.label}
    error_log = after[labelled["error"]]
    assert error_log.app == "Log" and error_log.args.startswith("ERROR,")
    assert "CALLAUTH_AGI" not in error_log.args and "callauth's own log" in error_log.args
    unreachable = after[labelled["unreachable"]]
    assert "${CALLAUTH_AGI}" in unreachable.args and "callauth-agi" in unreachable.args
    if name == "extensions.conf":
        assert after[labelled["error"] + 1] == Step("", "Hangup", "34")


def entries_into(extensions: list[Extension], context: str) -> list[str]:
    """Steps that would move a call into ``context`` (Goto, Gosub, Dial Local/...@context)."""
    found = []
    for extension in extensions:
        for step in extension.steps:
            if re.search(rf"(^|[,@(]){re.escape(context)}([,)]|$)", step.args):
                found.append(f"{extension.pattern}: {step.app}({step.args})")
    return found


@pytest.mark.parametrize("name", DIALPLANS)
def test_only_the_trunk_enters_the_trusted_context(name: str) -> None:
    contexts = dialplan(name)
    assert set(contexts) >= {TRUSTED, INTERNAL}
    for context_name in TELEPHONY.trusted_contexts:
        for other, extensions in contexts.items():
            if other in TELEPHONY.trusted_contexts:
                continue
            assert not entries_into(extensions, context_name), f"[{other}] enters {context_name}"
    for section in read_sections(name):
        assert all(value not in TELEPHONY.trusted_contexts for key, value in section.options
                   if key == "include"), f"[{section.name}] includes a trusted context"  # fmt: skip


def endpoints() -> list[dict[str, str]]:
    found = []
    for section in read_sections("pjsip.conf"):
        if section.get("type") == "endpoint":
            found.append({"name": section.name, **dict(section.options)})
    return found


def test_only_the_ip_identified_trunk_lands_in_the_trusted_context() -> None:
    sections = read_sections("pjsip.conf")
    trusted = [e for e in endpoints() if e["context"] in TELEPHONY.trusted_contexts]
    assert [e["name"] for e in trusted] == ["carrier"]
    trunk = trusted[0]
    assert trunk["trust_id_inbound"] == "yes" and trunk["identify_by"] == "ip"
    identify = [
        s for s in sections if s.get("type") == "identify" and s.get("endpoint") == "carrier"
    ]
    assert identify and all(ipaddress.ip_network(m) for s in identify for m in s.all("match"))
    transport = next(s for s in sections if s.name == trunk["transport"])
    assert transport.get("protocol") == "udp"


def test_other_endpoints_are_untrusted_and_nothing_is_anonymous() -> None:
    others = [e for e in endpoints() if e["name"] != "carrier"]
    assert others, "a test endpoint that is not trusted is shipped"
    for endpoint in others:
        assert endpoint["context"] not in TELEPHONY.trusted_contexts
        assert endpoint.get("trust_id_inbound", "no") == "no"
    assert INTERNAL in {e["context"] for e in others}
    assert not [e for e in endpoints() if e["name"] == "anonymous"]


def test_manager_binds_where_callauth_connects_with_least_privilege() -> None:
    sections = read_sections("manager.conf")
    general = sections_named(sections, "general")[0]
    assert general.get("enabled") == "yes"
    assert (general.get("bindaddr"), int(general.get("port") or 0)) == (
        AMI.address.host,
        AMI.address.port,
    )
    users = [s for s in sections if s.name != "general"]
    assert [u.name for u in users] == [AMI.user]
    user = users[0]
    assert set((user.get("read") or "").split(",")) <= {"system", "call"}
    assert "call" in (user.get("read") or "")
    assert (user.get("write") or "") == ""
    assert user.all("deny") == ["0.0.0.0/0.0.0.0"]
    permitted = [ipaddress.ip_network(p, strict=True) for p in user.all("permit")]
    assert permitted == [ipaddress.ip_network(f"{AMI.address.host}/32")]


def test_the_carrier_is_not_sent_options_every_minute() -> None:
    aor = next(
        s for s in read_sections("pjsip.conf") if s.name == "carrier" and s.get("type") == "aor"
    )
    # Calls come in identified by IP: no contact status is needed to receive them.
    assert int(aor.get("qualify_frequency") or 0) == 0


def test_the_test_phone_presents_a_configured_caller_id_and_stays_untrusted() -> None:
    from callauth.ivr import phone_policy

    phone = next(e for e in endpoints() if e["name"] == "test-phone")
    match = re.fullmatch(r'"[^"]*" <(?P<number>\d+)>', phone["callerid"])
    assert match, phone["callerid"]
    assert phone_policy.registrable(phone_policy.normalize(match["number"]) or "")
    assert phone["context"] == INTERNAL and phone["trust_id_inbound"] == "no"


def test_every_row_of_the_carrier_table_names_tests_and_fixtures_that_exist() -> None:
    text = (CONF / "README.md").read_text(encoding="utf-8")
    table = text.split("### What the carrier sees", 1)[1].split("\n\n**Another SIP", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    defined = "\n".join(p.read_text(encoding="utf-8") for p in (CONF.parent / "tests").glob("*.py"))
    fixtures = CONF.parent / "tests" / "fixtures"
    for row in rows[1:]:
        backed = row.rsplit("|", 2)[-2]
        tests = re.findall(r"`(test_\w+)`", backed)
        files = re.findall(r"`([\w*.-]+\.txt)`", backed)
        assert tests or files, row
        for name in tests:
            assert f"def {name}(" in defined, name
        for pattern in files:
            assert list(fixtures.glob(pattern)), pattern
