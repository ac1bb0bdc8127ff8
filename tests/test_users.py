"""Kiosk users: the minimum password policy, for new users and changed passwords alike."""

import re

import pytest

from scan_station.accounts.users import UserError, add_user, authenticate, common_passwords, set_password

WEAK = {
    "        ": "not only spaces",
    "\t \t \t \t ": "not only spaces",
    "pendek": "at least 8 characters",
    "password": "most common passwords",
    "PASSWORD1": "most common passwords",
    "Password123": "most common passwords",
    "12345678": "most common passwords",
    "qwerty123": "most common passwords",
    "Bismillah": "most common passwords",
    "INDONESIA": "most common passwords",
    "admin123": "most common passwords",
    "rahasia123": "most common passwords",
    "sayangku": "most common passwords",
    "aaaaaaaaaa": "one character repeated",
    "ZZZZzzzz": "one character repeated",
    "petugas.dokumentasi": "not the username",
    "Petugas.Dokumentasi": "not the username",
}


@pytest.mark.parametrize("password, reason", WEAK.items(), ids=list(WEAK))
def test_weak_passwords_are_refused_with_what_to_choose_instead(db, password, reason):
    with pytest.raises(UserError, match=re.escape(reason)) as info, db.session() as s:
        add_user(s, username="petugas.dokumentasi", password=password, role="dokumentasi")
    assert "choose a phrase" in str(info.value)
    with db.session() as s:
        add_user(s, username="petugas.dokumentasi", password="kopi tubruk di pagi hari", role="dokumentasi")
    with pytest.raises(UserError, match=re.escape(reason)), db.session() as s:
        set_password(s, "petugas.dokumentasi", password)
    with db.session() as s:
        assert authenticate(s, "petugas.dokumentasi", "kopi tubruk di pagi hari") is not None


@pytest.mark.parametrize("password", ["kopi tubruk di pagi hari", "Lemari3-Arsip-Hukum", "rahasia-123", "Xq7!mP2#"])
def test_reasonable_passwords_are_taken(db, password):
    with db.session() as s:
        add_user(s, username="ppid", password=password, role="ppid")
    with db.session() as s:
        assert authenticate(s, "ppid", password) is not None


def test_the_common_password_list_ships_with_the_package_and_knows_indonesian_favourites():
    words = common_passwords()
    assert len(words) >= 300
    assert {"rahasia", "indonesia", "bismillah", "12345678", "password1", "qwerty123", "sayang", "admin123"} <= words
    assert all(w == w.casefold() and w.strip() == w and not w.startswith("#") for w in words)


def test_cli_user_add_refuses_a_weak_password_in_one_line(run):
    result = run("user", "add", "operator", "--role", "admin", "--password", "password", "--json")
    assert result.code == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "most common passwords" in result.stderr


def test_the_service_hashes_passwords_with_argon2s_defaults(tmp_path):
    """The tests hash at argon2's cheapest (tests/conftest.py); the service, in a process of its
    own, keeps argon2's defaults."""
    import subprocess
    import sys

    from argon2 import PasswordHasher

    code = ("from scan_station.accounts import users; h = users._hasher;"
            "print(h.time_cost, h.memory_cost, h.parallelism, users._hasher.hash('x').split('$')[3])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    defaults = PasswordHasher()
    assert done.stdout.split() == [str(defaults.time_cost), str(defaults.memory_cost), str(defaults.parallelism),
                                   f"m={defaults.memory_cost},t={defaults.time_cost},p={defaults.parallelism}"]


def test_the_kiosks_one_query_for_a_session_says_what_the_session_says(db):
    """`session_account` (read on every kiosk request) answers as `session_user` does: the live
    session's account; nobody for an unknown, empty or idle token, and an idle session ends."""
    from scan_station.accounts.users import add_user, open_session, session_account, session_user
    from scan_station.db.database import UserSession

    with db.session() as s:
        add_user(s, username="dok", password="rahasia-123", role="dokumentasi", name="Dok")
        token = open_session(s, "dok", now=1000.0, idle_seconds=900)
    with db.session() as s:
        assert session_account(s, token, now=1100.0, idle_seconds=900, touch=True).username == "dok"
        assert session_user(s, token, now=1100.0, idle_seconds=900, touch=False) == "dok"
        assert session_account(s, "not-a-token", now=1100.0, idle_seconds=900, touch=True) is None
        assert session_account(s, "", now=1100.0, idle_seconds=900, touch=True) is None
    with db.session() as s:  # touched at 1100: idle from there
        assert session_account(s, token, now=1100.0 + 901, idle_seconds=900, touch=True) is None
    with db.session() as s:
        assert s.query(UserSession).count() == 0
        assert session_user(s, token, now=1100.0, idle_seconds=900, touch=False) is None
