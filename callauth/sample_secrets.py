"""Secrets that must never reach production: the placeholders the shipped files carry.

``asterisk-conf/manager.conf`` and ``docker-compose.yml`` once shipped a usable AMI secret;
anyone who read them could log in to AMI as callauth wherever they were copied as they
were. ``serve`` refuses to start with one of these, in one clear line.
"""

from __future__ import annotations

from callauth.ivr.config import Config

#: What manager.conf ships now, and what it and docker-compose.yml shipped before.
SAMPLE_AMI_SECRETS = frozenset({"CHANGE-ME", "CHANGE-ME-callauth-ami-secret"})


def refusal(config: Config) -> str | None:
    """Why ``serve`` must not start with this configuration's secrets, or None."""
    if config.ami.enabled and (
        config.ami.secret in SAMPLE_AMI_SECRETS or config.ami.secret.upper().startswith("CHANGE")
    ):
        return (
            "ami_secret is still the sample value from asterisk-conf/manager.conf; set a long"
            " random secret in manager.conf ([callauth] secret) and give callauth the same"
            " one (ami_secret or CALLAUTH_AMI_SECRET)"
        )
    return None
