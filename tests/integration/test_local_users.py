"""The local users' passwords (README: Sign in): made once, kept across restarts, readable by the owner only,
meeting the template's password policy."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from xtasks_local import users
from xtasks_local.template import Template


def test_the_local_users_passwords_are_made_once_and_kept(tmp_path: Path) -> None:
    made = users.passwords(tmp_path)
    assert set(made) == {"reader", "writer", "admin"}
    assert users.passwords(tmp_path) == made
    stored = users.users_file(tmp_path)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert f"[writer]\npassword = {made['writer']}\n" in stored.read_text()
    policy = Template().resources[users.USER_POOL]["Properties"]["Policies"]["PasswordPolicy"]
    for password in made.values():
        assert len(password) >= policy["MinimumLength"]
        assert all(re.search(kind, password) for kind in ("[a-z]", "[A-Z]", "[0-9]"))


def test_a_user_missing_from_the_file_is_added_and_the_others_kept(tmp_path: Path) -> None:
    users.users_file(tmp_path).write_text("[writer]\npassword = Kept-Passw0rd-123\n")
    made = users.passwords(tmp_path)
    assert made["writer"] == "Kept-Passw0rd-123"
    assert set(made) == {"reader", "writer", "admin"}
