"""Configuration: frozen sections, loaded and validated once at start-up.

``Config`` holds the global settings (``db``, ``demo``) and one section per reader:
``config.telephony`` (numbers, call mode, FastAGI, keypad codes, call limits),
``config.ami`` (the AMI client), ``config.web`` (listeners, cookies, sessions, CORS, login
throttles) and ``config.site`` (the insurer's date, call centre, underwriters, mail, URL).
Each setting has one public key, used alike in the TOML file, as ``CALLAUTH_<KEY>`` in the
environment and as a flag: its field name (``challenge_ttl``, ``cookie_secure``), except the
AMI's (``ami_user`` for ``config.ami.user``, ``ami`` for its address). See ``loading``.
"""

from callauth.ivr.config.loading import ENV_PREFIX, load, load_file
from callauth.ivr.config.model import KEYS, SECTIONS, Config
from callauth.ivr.config.telephony import Ami, Telephony
from callauth.ivr.config.values import Address, ConfigError
from callauth.ivr.config.web import Site, Underwriter, Web

__all__ = [
    "ENV_PREFIX", "KEYS", "SECTIONS", "Address", "Ami", "Config", "ConfigError", "Site",
    "Telephony", "Underwriter", "Web", "load", "load_file",
]  # fmt: skip
