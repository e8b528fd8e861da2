"""The local access keys: one AWS shared-credentials profile per local principal, kept under ``.xtasks/``.

The keys are made once and kept, so a developer's shell setup survives restarts. Any SigV4 client reads
them: ``AWS_SHARED_CREDENTIALS_FILE=.xtasks/credentials AWS_CONFIG_FILE=.xtasks/config AWS_PROFILE=writer``.
"""

from __future__ import annotations

import configparser
import secrets
from dataclasses import dataclass
from pathlib import Path

from xtasks_local.iam import PRINCIPALS, Principal
from xtasks_local.sigv4 import Key


@dataclass(frozen=True, slots=True)
class LocalCredentials:
    credentials_file: Path
    config_file: Path
    keys: dict[str, Key]  # access key id -> key
    principals: dict[str, Principal]  # access key id -> principal

    def key_of(self, profile: str) -> Key:
        return next(key for key_id, key in self.keys.items() if self.principals[key_id].profile == profile)


def _new_key() -> tuple[str, str]:
    """An access key id shaped like AWS's (20 characters) and a secret."""
    return "AKIAXTL" + secrets.token_hex(7).upper()[:13], secrets.token_urlsafe(30)


def ensure(directory: Path, region: str) -> LocalCredentials:
    """The profiles in ``directory``, created where missing; the config file names the region."""
    directory.mkdir(parents=True, exist_ok=True)
    credentials_file, config_file = directory / "credentials", directory / "config"
    stored = configparser.ConfigParser()
    stored.read(credentials_file)
    changed = False
    for principal in PRINCIPALS:
        if not stored.has_section(principal.profile):
            key_id, secret = _new_key()
            stored[principal.profile] = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
            changed = True
    if changed or not credentials_file.exists():
        with credentials_file.open("w") as file:
            file.write("# Local External Tasks principals; see README.md (Run it locally).\n")
            stored.write(file)
        credentials_file.chmod(0o600)
    config = configparser.ConfigParser()
    for principal in PRINCIPALS:
        config[f"profile {principal.profile}"] = {"region": region}
    with config_file.open("w") as file:
        config.write(file)
    keys, principals = {}, {}
    for principal in PRINCIPALS:
        section = stored[principal.profile]
        key_id = section["aws_access_key_id"]
        keys[key_id] = Key(key_id, section["aws_secret_access_key"], principal.arn)
        principals[key_id] = principal
    return LocalCredentials(credentials_file, config_file, keys, principals)


def page_token_key(directory: Path) -> str:
    """The local deployment's page-token secret (what Secrets Manager generates when deployed): made once,
    kept in ``directory``, so that page tokens survive restarts and no one else knows it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "page-token-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()
