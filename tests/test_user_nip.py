"""A user's NIP (18 digits, typed with spaces as printed or without): taken by `user add --nip`
and by the admin's form (directly, or kept on the request an Atasan PPID confirms), refused with
a typed error the kiosk says in its language, and added to an existing database by migration 0020."""

from __future__ import annotations

import pytest
from helpers.kiosk import login, make_app, token
from sqlalchemy import select

from scan_station.accounts.users import UserError, check_nip
from scan_station.db.database import UserAccount

PASSWORD = "kopi tubruk di pagi hari"


@pytest.mark.parametrize("typed, stored", [("198503122010011002", "198503122010011002"),
                                           ("19850312 201001 1 002", "198503122010011002"),
                                           ("  19850312\t201001 1 002 ", "198503122010011002"), ("", ""), ("  ", "")])
def test_a_nip_is_stored_as_its_digits(typed, stored):
    assert check_nip(typed) == stored


@pytest.mark.parametrize("typed", ["19850312201001100", "1985031220100110021", "19850312-201001-1-002",
                                   "NIP198503122010011", "١٩٨٥٠٣١٢٢٠١٠٠١١٠٠٢", "19850312 201001 1 00x"])
def test_a_nip_that_is_not_18_digits_is_refused_with_its_code(typed):
    with pytest.raises(UserError, match="NIP: 18 digits") as refused:
        check_nip(typed)
    assert refused.value.code == "nip" and refused.value.params == {"digits": 18}


def test_user_add_takes_a_nip_and_refuses_a_bad_one_in_one_line(run):
    added = run("user", "add", "siti", "--role", "dokumentasi", "--name", "Siti Aminah", "--nip",
                "19850312 201001 1 002", "--password", PASSWORD, "--json")
    assert added.code == 0, added.stderr
    assert added.json == {"username": "siti", "name": "Siti Aminah", "nip": "198503122010011002", "role": "dokumentasi"}
    plain = run("user", "add", "budi", "--role", "ppid", "--password", PASSWORD, "--json")
    assert plain.code == 0 and plain.json["nip"] == ""
    bad = run("user", "add", "rudi", "--role", "ppid", "--nip", "12345", "--password", PASSWORD, "--json")
    assert bad.code == 2 and bad.stdout == "" and len(bad.stderr.strip().splitlines()) == 1
    assert "NIP: 18 digits" in bad.stderr


def _nips(app) -> dict[str, str]:
    with app.extensions["scan_station"]["db"].session() as s:
        return {u.username: u.nip for u in s.scalars(select(UserAccount))}


def test_the_admin_form_takes_a_nip_at_once_or_on_the_request_the_atasan_confirms(home):
    app = make_app(home)
    admin = login(app.test_client(), "admin")
    csrf = token(admin, "/admin/")
    form = {"username": "siti", "name": "Siti Aminah", "nip": "19850312 201001 1 002", "role": "dokumentasi",
            "password": PASSWORD, "csrf_token": csrf}
    assert admin.post("/admin/users", data=form).status_code == 302
    assert _nips(app)["siti"] == "198503122010011002"
    assert "NIP 198503122010011002" in admin.get("/admin/").get_data(as_text=True)
    asked = admin.post("/admin/users", data=form | {"username": "budi", "role": "ppid", "nip": "197001011995032001"},
                       follow_redirects=True)
    assert "Belum ada yang berubah" in asked.get_data(as_text=True) and "budi" not in _nips(app)
    atasan = login(app.test_client(), "atasan")
    done = atasan.post("/access/1/confirm", data={"password": PASSWORD, "csrf_token": token(atasan, "/access/")})
    assert done.status_code == 302
    assert _nips(app)["budi"] == "197001011995032001"


@pytest.mark.parametrize("role", ["dokumentasi", "ppid"])
def test_a_bad_nip_is_said_in_indonesian_and_what_was_typed_is_kept(home, role):
    app = make_app(home)
    admin = login(app.test_client(), "admin")
    form = {"username": "siti", "name": "Siti Aminah", "nip": "1985 03", "role": role, "password": PASSWORD,
            "csrf_token": token(admin, "/admin/")}
    page = admin.post("/admin/users", data=form, follow_redirects=True).get_data(as_text=True)
    assert "NIP: 18 angka" in page and "18 digits" not in page
    assert 'name="nip" value="1985 03"' in page and "siti" not in _nips(app)


def test_migration_0020_gives_existing_users_an_empty_nip(settings):
    """A database at 0019 with a user in it: opened by this version, the user is there with no NIP."""
    from pathlib import Path

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from scan_station.db import database as db_module
    from scan_station.db.database import Database, schema_revision

    settings.home.mkdir(parents=True, exist_ok=True)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db_module.__file__).parent / "migrations"))
    engine = create_engine(settings.database_url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0019")
        connection.execute(text("INSERT INTO user_account (username, name, role, password_hash, active, created_at) "
                                "VALUES ('lama', 'Pegawai Lama', 'dokumentasi', 'x', 1, '2025-01-01 00:00:00')"))
    engine.dispose()
    database = Database(settings)
    try:
        assert schema_revision(database) == "0020"
        with database.session() as s:
            assert (s.get(UserAccount, "lama").name, s.get(UserAccount, "lama").nip) == ("Pegawai Lama", "")
    finally:
        database.close()
