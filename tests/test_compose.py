"""docker-compose.yml and the Dockerfile agree with asterisk-conf/ and callauth's config.

Docker cannot run here, so every path and address in them is checked instead.
"""

from __future__ import annotations

import argparse
import re
import shlex
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from callauth.ivr.config import Address, Config, load
from callauth.ivr.ending import PROMPTS
from callauth.sample_secrets import refusal
from tests.asterisk_conf import CONF, globals_of, read_sections, sections_named, substitute

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")
_REQUIRED = re.compile(r"\$\{(\w+):\?([^}]*)\}")
#: What the admin must set (compose stops with the message otherwise), as if they had.
ADMIN_SET = {"CALLAUTH_AMI_SECRET": "a-long-random-secret-the-admin-chose"}


def resolve(text: str) -> str:
    """``${VAR:-default}`` as compose resolves it with VAR unset; ``${VAR:?message}`` as
    it resolves it once the admin has set VAR (only the variables in ADMIN_SET)."""
    text = _REQUIRED.sub(lambda m: ADMIN_SET[m[1]], text)
    assert "$" not in _DEFAULTED.sub("", text), f"a variable without a default in {text!r}"
    return _DEFAULTED.sub(lambda m: m[2], text)


def bind_mounts(service: str) -> dict[str, Path]:
    """container path -> repo path, for the ``./…`` bind mounts of a service."""
    mounts = {}
    for volume in SERVICES[service].get("volumes", []):
        source, target, *_ = resolve(volume).split(":")
        if source.startswith("."):
            mounts[target] = (ROOT / source).resolve()
    return mounts


def callauth_config() -> tuple[Config, argparse.Namespace]:
    """The Config callauth builds in its container: compose environment plus command flags."""
    service = SERVICES["callauth"]
    environ = {key: resolve(str(value)) for key, value in service["environment"].items()}
    parser = argparse.ArgumentParser()
    for flag in ("--http", "--agi", "--db", "--config"):
        parser.add_argument(flag)
    command = service["command"]
    assert command[:2] == ["callauth", "serve"]
    flags = parser.parse_args(command[2:])
    return load(None, environ, {"http": flags.http, "agi": flags.agi, "db": flags.db}), flags


def dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for line in (raw.strip() for raw in text.splitlines()):
        if line and not line.startswith("#"):
            kind, _, value = line.partition(" ")
            found.append((kind, value.strip()))
    return found


def test_every_mounted_path_exists_in_the_repo() -> None:
    for service in SERVICES:
        for target, source in bind_mounts(service).items():
            assert source.exists(), f"{service}: {source} (for {target}) is not in the repo"
            assert source.is_relative_to(ROOT)


def test_asterisk_gets_the_shipped_configuration_and_prompts() -> None:
    mounts = bind_mounts("asterisk")
    for name in ("pjsip.conf", "extensions.conf", "manager.conf"):
        assert mounts[f"/etc/asterisk/{name}"].parent == CONF
    sounds = mounts["/var/lib/asterisk/sounds/ja/callauth"]
    for prompt in PROMPTS.values():  # callauth/<outcome> in language ja
        assert (sounds.parent.parent / "ja" / f"{prompt}.wav").is_file()
    assert SERVICES["asterisk"]["image"].startswith("andrius/asterisk:")


def test_fastagi_url_matches_callauths_listening_address_and_exposed_port() -> None:
    config, _ = callauth_config()
    dialplan = bind_mounts("asterisk")["/etc/asterisk/extensions.conf"].name
    url = urlsplit(substitute("${CALLAUTH_AGI}", globals_of(dialplan)))
    assert Address(url.hostname or "", url.port or 0) == config.telephony.agi
    assert url.path == "/auth"
    # Host networking: Asterisk's FastAGI connection comes from 127.0.0.1, which is allowed.
    assert {s.get("network_mode") for s in SERVICES.values()} == {"host"}
    assert "127.0.0.1" in config.telephony.allowed_peers
    assert config.telephony.trusted_contexts == ("auth-in",)
    exposed = {int(p) for k, v in dockerfile() if k == "EXPOSE" for p in v.split()}
    assert {config.telephony.agi.port, config.web.http.port} <= exposed


def test_ami_settings_match_manager_conf() -> None:
    config, _ = callauth_config()
    sections = read_sections(bind_mounts("asterisk")["/etc/asterisk/manager.conf"].name)
    general = sections_named(sections, "general")[0]
    assert config.ami.enabled
    assert (
        Address(general.get("bindaddr") or "", int(general.get("port") or 0)) == config.ami.address
    )
    user = sections_named(sections, config.ami.user)
    assert user, f"manager.conf has no user [{config.ami.user}]"
    # No usable secret ships: compose has none, manager.conf a placeholder serve refuses.
    assert config.ami.secret == ADMIN_SET["CALLAUTH_AMI_SECRET"]
    shipped = user[0].get("secret") or ""
    assert refusal(replace(config, ami=replace(config.ami, secret=shipped))) is not None
    assert refusal(config) is None
    assert f"{config.ami.address.host}/255.255.255.255" in user[0].all("permit")


def test_dockerfile_builds_callauth_and_runs_what_compose_runs() -> None:
    instructions = dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    for kind, value in instructions:
        if kind == "COPY":
            *sources, _ = shlex.split(value)
            assert all((ROOT / source).exists() for source in sources), value
    run = " ".join(v for k, v in instructions if k == "RUN")
    assert "pip install --no-cache-dir ." in run
    cmd = next(v for k, v in instructions if k == "CMD")
    assert yaml.safe_load(cmd) == SERVICES["callauth"]["command"]
    assert SERVICES["callauth"]["build"] == "."


@pytest.mark.parametrize("package", ["callauth", "db", "ivr", "web"])
def test_the_image_holds_every_package(package: str) -> None:
    copied = {shlex.split(v)[0] for k, v in dockerfile() if k == "COPY"}
    assert package in copied


def test_the_ami_secret_has_no_default_in_compose() -> None:
    value = str(SERVICES["callauth"]["environment"]["CALLAUTH_AMI_SECRET"])
    assert _REQUIRED.fullmatch(value), f"compose must require CALLAUTH_AMI_SECRET, not {value!r}"


def test_the_postgres_profile_runs_a_second_instance_on_its_own_ports_and_the_same_database() -> (
    None
):
    first, second, server = SERVICES["callauth"], SERVICES["callauth-b"], SERVICES["postgres"]
    assert second["profiles"] == server["profiles"] == ["postgres"] and "profiles" not in first
    assert second["image"] == first["image"] and second["environment"] == first["environment"]
    assert first["environment"]["CALLAUTH_DB"] == "${CALLAUTH_DB:-/data/callauth.db}"
    flags = argparse.ArgumentParser()
    for flag in ("--http", "--agi", "--admin"):
        flags.add_argument(flag)
    ours = vars(flags.parse_args(first["command"][2:]))
    theirs = vars(flags.parse_args(second["command"][2:]))
    taken = {Address.parse(ours[k] or default, k).port
             for k, default in (("http", ""), ("agi", ""), ("admin", "127.0.0.1:8081"))}  # fmt: skip
    assert not taken & {Address.parse(theirs[k], k).port for k in ("http", "agi", "admin")}
    assert f"127.0.0.1:{Address.parse(theirs['http'], 'http').port}/healthz" in " ".join(
        second["healthcheck"]["test"]
    )
    assert "listen_addresses=127.0.0.1" in server["command"]
    assert _REQUIRED.fullmatch(str(server["environment"]["POSTGRES_PASSWORD"]))
