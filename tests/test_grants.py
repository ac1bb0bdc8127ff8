"""Nobody grants themselves exempt access (issue 23, item 3): every way the admin could come to
hold a login that sees "dikecualikan" — a new user of such a role, reactivating one, a new
password for one — waits for the Atasan PPID, who sets the password the admin never learns. The
PPID roles see the requests and the audit records of them; nothing else changes on the way."""

from __future__ import annotations

import re
import threading

import pytest
from helpers.kiosk import PASSWORD, login, logout, make_app, token
from sqlalchemy import select

from scan_station.accounts import grants
from scan_station.accounts.users import add_user, authenticate
from scan_station.core.config import load_settings
from scan_station.core.errors import ScanStationError
from scan_station.db.database import AccessRequest, AuditRecord, Database, UserAccount

NEW_PASSWORD = "kopi tubruk di pagi hari"
EXEMPT_ROLES = ["ppid", "atasan"]


@pytest.fixture
def app(home):
    return make_app(home, LOGIN_RATE_LIMIT="10000 per minute")


def _db(app) -> Database:
    return app.extensions["scan_station"]["db"]


def _admin(app):
    client = app.test_client()
    login(client, "admin")
    return client, token(client, "/admin/")


def _accounts(app) -> dict[str, tuple[str, str, bool]]:
    with _db(app).session() as s:
        return {u.username: (u.role, u.password_hash, u.active) for u in s.scalars(select(UserAccount))}


def _logs_in(app, username: str, password: str) -> bool:
    client = app.test_client()
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token(client)}).status_code == 302


# -- the admin alone changes nothing that would see "dikecualikan" ----------------------------------

@pytest.mark.parametrize("role", EXEMPT_ROLES)
def test_the_admin_only_asks_for_a_user_who_sees_exempt(app, role):
    admin, csrf = _admin(app)
    before = _accounts(app)
    page = admin.post("/admin/users", data={"username": "baru", "name": "Petugas Baru", "role": role,
                                            "password": PASSWORD + "-admin", "csrf_token": csrf},
                      follow_redirects=True).get_data(as_text=True)
    assert "Atasan PPID" in page and "Belum ada yang berubah" in page
    assert _accounts(app) == before  # no user, whatever password the admin typed
    assert not _logs_in(app, "baru", PASSWORD + "-admin")
    with _db(app).session() as s:
        asked = s.scalars(select(AccessRequest)).one()
        assert (asked.action, asked.username, asked.role, asked.status) == ("add", "baru", role, "pending")


@pytest.mark.parametrize("role", EXEMPT_ROLES)
def test_the_admin_cannot_set_the_password_of_a_user_who_sees_exempt(app, role):
    with _db(app).session() as s:
        add_user(s, username="petugas2", password=PASSWORD, role=role)
    admin, csrf = _admin(app)
    before = _accounts(app)
    admin.post("/admin/users/petugas2/password", data={"password": NEW_PASSWORD, "csrf_token": csrf})
    assert _accounts(app) == before
    assert not _logs_in(app, "petugas2", NEW_PASSWORD) and _logs_in(app, "petugas2", PASSWORD)


@pytest.mark.parametrize("role", EXEMPT_ROLES)
def test_the_admin_cannot_reactivate_a_user_who_sees_exempt(app, role):
    with _db(app).session() as s:
        add_user(s, username="lama", password=PASSWORD, role=role)
    admin, csrf = _admin(app)
    admin.post("/admin/users/lama/deactivate", data={"csrf_token": csrf})  # taking access away is at once
    assert _accounts(app)["lama"][2] is False
    admin.post("/admin/users/lama/activate", data={"csrf_token": csrf})
    assert _accounts(app)["lama"][2] is False
    assert not _logs_in(app, "lama", PASSWORD)


@pytest.mark.parametrize("role", ["dokumentasi", "admin"])
def test_users_who_do_not_see_exempt_are_still_made_at_once(app, role):
    admin, csrf = _admin(app)
    admin.post("/admin/users", data={"username": "biasa", "role": role, "password": PASSWORD, "csrf_token": csrf})
    assert _accounts(app)["biasa"][0] == role and _logs_in(app, "biasa", PASSWORD)
    admin.post("/admin/users/biasa/password", data={"password": NEW_PASSWORD, "csrf_token": csrf})
    assert _logs_in(app, "biasa", NEW_PASSWORD)


@pytest.mark.parametrize("role", ["admin", "dok", "ppid"])
def test_only_the_atasan_decides(app, role):
    admin, csrf = _admin(app)
    admin.post("/admin/users", data={"username": "baru", "role": "ppid", "csrf_token": csrf})
    client = login(app.test_client(), role)
    csrf = token(client, "/search")
    answer = client.post("/access/1/confirm", data={"password": NEW_PASSWORD, "csrf_token": csrf})
    assert answer.status_code == 403
    assert client.post("/access/1/refuse", data={"csrf_token": csrf}).status_code == 403
    assert "baru" not in _accounts(app)


def test_the_atasan_confirms_and_sets_the_password(app):
    admin, csrf = _admin(app)
    admin.post("/admin/users", data={"username": "baru", "name": "Petugas Baru", "role": "ppid", "csrf_token": csrf})
    atasan = login(app.test_client(), "atasan")
    page = atasan.get("/access/").get_data(as_text=True)
    assert "baru" in page and "menunggu Atasan PPID" in page
    csrf = token(atasan, "/access/")
    weak = atasan.post("/access/1/confirm", data={"password": "baru", "csrf_token": csrf}, follow_redirects=True)
    assert "paling sedikit 8 karakter" in weak.get_data(as_text=True) and "baru" not in _accounts(app)
    done = atasan.post("/access/1/confirm", data={"password": NEW_PASSWORD, "csrf_token": csrf},
                       follow_redirects=True).get_data(as_text=True)
    assert "Dikonfirmasi" in done
    assert _accounts(app)["baru"][0] == "ppid" and _logs_in(app, "baru", NEW_PASSWORD)
    again = atasan.post("/access/1/confirm", data={"password": NEW_PASSWORD + "!", "csrf_token": csrf},
                        follow_redirects=True).get_data(as_text=True)
    assert "sudah diputuskan" in again and _logs_in(app, "baru", NEW_PASSWORD)
    assert atasan.post("/access/99/confirm", data={"password": NEW_PASSWORD, "csrf_token": csrf}).status_code == 404
    assert atasan.post("/access/1/explode", data={"csrf_token": csrf}).status_code == 404


def test_a_refusal_changes_nothing(app):
    with _db(app).session() as s:
        add_user(s, username="petugas2", password=PASSWORD, role="ppid")
    admin, csrf = _admin(app)
    admin.post("/admin/users/petugas2/password", data={"csrf_token": csrf})
    before = _accounts(app)
    atasan = login(app.test_client(), "atasan")
    atasan.post("/access/1/refuse", data={"csrf_token": token(atasan, "/access/")})
    assert _accounts(app) == before
    with _db(app).session() as s:
        assert s.get(AccessRequest, 1).status == "refused"


def test_reactivation_gives_a_new_password(app):
    with _db(app).session() as s:
        add_user(s, username="lama", password=PASSWORD, role="ppid")
    admin, csrf = _admin(app)
    admin.post("/admin/users/lama/deactivate", data={"csrf_token": csrf})
    admin.post("/admin/users/lama/activate", data={"csrf_token": csrf})
    atasan = login(app.test_client(), "atasan")
    atasan.post("/access/1/confirm", data={"password": NEW_PASSWORD, "csrf_token": token(atasan, "/access/")})
    assert not _logs_in(app, "lama", PASSWORD) and _logs_in(app, "lama", NEW_PASSWORD)


def test_no_atasan_means_the_first_is_made_on_the_server(home):
    app = make_app(home, users=False, LOGIN_RATE_LIMIT="10000 per minute")
    with _db(app).session() as s:
        add_user(s, username="admin", password=PASSWORD, role="admin")
    admin, csrf = _admin(app)
    page = admin.post("/admin/users", data={"username": "atasan1", "role": "atasan", "csrf_token": csrf},
                      follow_redirects=True).get_data(as_text=True)
    assert "Belum ada Atasan PPID aktif" in page and "scan-station user add" in page
    assert set(_accounts(app)) == {"admin"}


@pytest.mark.parametrize("hostile", ["", "a", "x" * 65, "../atasan", "ba ru", "baru\x00", "ADMIN", "admin"])
def test_hostile_usernames_are_form_errors(app, hostile):
    admin, csrf = _admin(app)
    answer = admin.post("/admin/users", data={"username": hostile, "role": "ppid", "csrf_token": csrf},
                        follow_redirects=True)
    if answer.status_code != 400:  # a NUL is refused before any view
        assert answer.status_code == 200 and 'class="flash error"' in answer.get_data(as_text=True)
    with _db(app).session() as s:
        assert s.scalar(select(AccessRequest)) is None


def test_one_request_per_user_at_a_time(app):
    admin, csrf = _admin(app)
    admin.post("/admin/users", data={"username": "baru", "role": "ppid", "csrf_token": csrf})
    second = admin.post("/admin/users", data={"username": "baru", "role": "atasan", "csrf_token": csrf},
                        follow_redirects=True).get_data(as_text=True)
    assert "sudah menunggu Atasan PPID" in second
    with _db(app).session() as s:
        assert len(s.scalars(select(AccessRequest)).all()) == 1


def test_the_ppid_roles_see_requests_and_their_records(app):
    admin, csrf = _admin(app)
    admin.post("/admin/users", data={"username": "baru", "role": "ppid", "csrf_token": csrf})
    atasan = login(app.test_client(), "atasan")
    atasan.post("/access/1/confirm", data={"password": NEW_PASSWORD, "csrf_token": token(atasan, "/access/")})
    for role in ("ppid", "atasan"):
        client = login(app.test_client(), role)
        requests = client.get("/access/").get_data(as_text=True)
        assert "baru" in requests and "dikonfirmasi oleh atasan" in requests
        log = client.get("/audit/?action=access").get_data(as_text=True)
        assert "access.ask" in log and "access.confirm" in log
        assert "user.add" in client.get("/audit/?action=user").get_data(as_text=True)
    for role in ("dok", "admin"):
        assert login(app.test_client(), role).get("/access/").status_code == 403
    with _db(app).session() as s:
        actions = [(r.actor, r.action) for r in s.scalars(select(AuditRecord).order_by(AuditRecord.seq))]
    assert ("admin", "access.ask") in actions and ("atasan", "access.confirm") in actions
    assert ("atasan", "user.add") in actions  # the account is the Atasan's doing, at the admin's request


def test_the_service_refuses_a_decision_by_any_other_role(home):
    settings = load_settings(home)
    db = Database(settings)
    with db.session() as s:
        for username, role in [("admin", "admin"), ("atasan", "atasan")]:
            add_user(s, username=username, password=PASSWORD, role=role)
        grants.ask(s, "add", "baru", role="ppid", actor="admin")
    for role in ("admin", "ppid", "dokumentasi", "", "ATASAN"):
        with pytest.raises(ScanStationError) as refused, db.session() as s:
            grants.confirm(s, 1, password=NEW_PASSWORD, actor="someone", actor_role=role)
        assert refused.value.code == "not_atasan"
    with pytest.raises(ScanStationError) as own, db.session() as s:  # two people even if one held both roles
        grants.confirm(s, 1, password=NEW_PASSWORD, actor="admin", actor_role="atasan")
    assert own.value.code == "own_request"
    with db.session() as s:
        assert s.get(AccessRequest, 1).status == "pending" and s.get(UserAccount, "baru") is None
    db.close()


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_two_confirmations_at_once_make_one(request, home, database):
    if database == "postgresql":
        home.mkdir(parents=True, exist_ok=True)
        (home / "scan-station.toml").write_text(f'database_url = "{request.getfixturevalue("postgres")()}"\n')
    settings = load_settings(home)
    db = Database(settings)
    with db.session() as s:
        for username, role in [("admin", "admin"), ("atasan", "atasan"), ("atasan2", "atasan")]:
            add_user(s, username=username, password=PASSWORD, role=role)
        grants.ask(s, "add", "baru", role="ppid", actor="admin")
    outcomes: dict[str, object] = {}

    def decide(actor: str, password: str):
        try:
            with db.session() as s:
                grants.confirm(s, 1, password=password, actor=actor, actor_role="atasan")
            outcomes[actor] = "done"
        except ScanStationError as exc:
            outcomes[actor] = exc.code

    threads = [threading.Thread(target=decide, args=(a, p)) for a, p in
               [("atasan", NEW_PASSWORD), ("atasan2", NEW_PASSWORD + " lain")]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(map(str, outcomes.values())) in (["already_decided", "done"], ["done", "user_exists"])
    with db.session() as s:
        winner = next(a for a, o in outcomes.items() if o == "done")
        password = NEW_PASSWORD if winner == "atasan" else NEW_PASSWORD + " lain"
        assert authenticate(s, "baru", password) is not None
    db.close()


def test_the_admin_page_says_what_waits(app):
    admin, csrf = _admin(app)
    admin.post("/admin/users", data={"username": "baru", "role": "atasan", "csrf_token": csrf})
    page = admin.get("/admin/").get_data(as_text=True)
    assert re.search(r'id="waiting-requests".*baru', page, re.S)
    logout(admin)
