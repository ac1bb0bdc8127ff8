"""Driving the kiosk in tests: an app with one user per role, logging in, CSRF tokens, entries."""

from __future__ import annotations

import re

from scan_station.register import add_entry
from scan_station.users import add_user
from web import create_app, service

PASSWORD = "rahasia-123"
ROLES = {"dok": "dokumentasi", "ppid": "ppid", "atasan": "atasan", "admin": "admin"}


def make_app(home, *, users: bool = True, **config):
    """The kiosk on `home`, with one user per role (password PASSWORD) unless `users` is false."""
    app = create_app({"SCAN_STATION_HOME": str(home), "SECRET_KEY": "test", "TESTING": True, **config})
    if users:
        with app.extensions["scan_station"]["db"].session() as s:
            for username, role in ROLES.items():
                add_user(s, username=username, password=PASSWORD, role=role, name=username.title())
    return app


def token(client, url="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def login(client, username):
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def logout(client):
    client.post("/logout", data={"csrf_token": token(client, "/search")})


def add(app, **fields):
    with app.app_context():
        settings, db = service()
        with db.session() as s:
            return add_entry(s, settings, **({"title": "Laporan", "unit": "Umum", "category": "berkala"} | fields)).id
