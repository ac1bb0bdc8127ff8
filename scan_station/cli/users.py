"""`scan-station user ...`: kiosk users."""

from __future__ import annotations

import click

from ..accounts.roles import ROLES
from .common import App, command


@click.group()
def user() -> None:
    """Kiosk users (the first admin is made here)."""


@command(group=user, name="add")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), required=True,
              help="Petugas Dokumentasi, Petugas PPID, Atasan PPID, or admin.")
@click.option("--name", default="", help="Full name, shown on screen and printed on the berita acara.")
@click.option("--nip", default="", help="NIP (18 digits, spaces allowed), printed under the name on the berita acara.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 8 characters, not the username nor a common password; asked for when not given.")
def user_add(app: App, username: str, role: str, name: str, nip: str, password: str):
    """Add a kiosk user."""
    from ..accounts.users import add_user

    with app.db.session() as session:
        account = add_user(session, username=username, password=password, role=role, name=name, nip=nip,
                           actor=app.actor)
        data = {"username": account.username, "name": account.name, "nip": account.nip, "role": account.role}
    return data, f"user {data['username']} ({data['role']}) added"


COMMANDS = [user]
