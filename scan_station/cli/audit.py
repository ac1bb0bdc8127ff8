"""`scan-station audit ...`: the tamper-evident audit log (`scan_station.audit.log`)."""

from __future__ import annotations

import click

from .common import App, command, storage_code


@click.group()
def audit() -> None:
    """The audit log: who changed what, and proof that the log is whole."""


@command(group=audit, name="verify")
def audit_verify(app: App):
    """Check the chain: any record edited, deleted, inserted or moved, or its tail cut off."""
    from ..audit.log import verify_all

    problems = verify_all(app.settings, app.db)
    data = {"ok": not problems, "problems": [{"seq": p.seq, "what": p.what} for p in problems]}
    human = "audit log whole" if not problems else "\n".join(str(p) for p in problems)
    return data, human, storage_code(problems)


@command(group=audit, name="list")
@click.option("--action", default="", help="Only actions starting with this, e.g. register, login.failed.")
@click.option("--actor", default="", help="Only this user (cli:NAME for the command line).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this day (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Up to and including this day.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1_000_000), help="Newest first.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the records as CSV instead.")
def audit_list(app: App, action: str, actor: str, since, until, limit: int, as_csv: bool):
    """The newest audit records."""
    from ..audit import log

    f = log.Filter(action=action, actor=actor, since=since.date() if since else None,
                   until=until.date() if until else None)
    with app.db.session() as session, log.readable():
        rows = list(session.scalars(log.records_query(f).limit(limit)))
        data = [log.as_dict(r) for r in rows]
        if as_csv:
            return data, log.as_csv(rows).rstrip("\n")
    return data, "\n".join(f"{d['seq']:>6} {d['at'][:19]} {d['actor']:<16} {d['action']:<18} {d['subject']}"
                           for d in data)


COMMANDS = [audit]
