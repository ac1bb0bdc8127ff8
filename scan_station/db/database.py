"""The database: SQLAlchemy models, engine set-up and migrations (Alembic).

SQLite is the embedded default; the models use only portable types so the same code runs on
PostgreSQL with `database_url = "postgresql+psycopg://..."`. The schema is created and upgraded
by the migrations in `scan_station/db/migrations`, never by `create_all`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

from ..core.config import Settings
from ..core.errors import ConfigError, DatabaseBusyError
from .engine import BUSY_TIMEOUT_SECONDS, _first_line, _is_busy, _shown, make_engine
from .sqlite_read import HEAD_REVISION  # a database already at it is opened without loading Alembic

__all__ = ["BUSY_TIMEOUT_SECONDS", "Database", "make_engine", "schema_revision", "utcnow"]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class IdSequence(Base):
    """The last sequence number handed out per year for new register ids."""

    __tablename__ = "id_sequence"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Entry(Base):
    """One row of the Daftar Informasi Publik (register of public information)."""

    __tablename__ = "entry"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(200))
    responsible: Mapped[str] = mapped_column(String(200), default="")
    created_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    format: Mapped[str] = mapped_column(String(20), default="hardcopy")
    retention: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(20))
    classification: Mapped[str] = mapped_column(String(40), default="")
    number: Mapped[str] = mapped_column(String(120), default="")
    hardcopy_location: Mapped[str] = mapped_column(String(200), default="")
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    documents: Mapped[list[Document]] = relationship(back_populates="entry")


class Batch(Base):
    """A scanned stack as received: kept unchanged in storage, with its checksums."""

    __tablename__ = "batch"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source_name: Mapped[str] = mapped_column(Text)
    raw_dir: Mapped[str] = mapped_column(Text)  # relative to the storage folder
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    #: In raw_dir; "batch.json", or "batch-2.json" ... for a batch filed again after a failure.
    manifest_name: Mapped[str] = mapped_column(String(40), default="batch.json", server_default="batch.json")
    page_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="received")  # `model.BatchOutcome`
    error: Mapped[str] = mapped_column(Text, default="")
    blank_pages: Mapped[list] = mapped_column(JSON, default=list)
    submitted_by: Mapped[str] = mapped_column(String(64), default="")  # who confirmed it at the kiosk

    documents: Mapped[list[Document]] = relationship(back_populates="batch")
    held: Mapped[list[HeldPages]] = relationship(back_populates="batch")


class Document(Base):
    """One filed version of a register entry: a PDF/A file and its sidecar in storage."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("register_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    register_id: Mapped[str] = mapped_column(ForeignKey("entry.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batch.id"))
    batch_pages: Mapped[list] = mapped_column(JSON)
    page_count: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)  # PDF, relative to the storage folder
    sha256: Mapped[str] = mapped_column(String(64))
    sidecar_path: Mapped[str] = mapped_column(Text)
    sidecar_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="submitted")  # `model.DocumentStatus`
    filed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: None for a scan; for softcopies handed over: {"kind": "softcopy", "files": [{"name",
    #: "sha256", "bytes", "kind", "signatures": [...]}], "note"}, each signature with its checked
    #: verdict (`signatures.SignatureCheck.as_dict`); one with only "signer" and "signed_at" was
    #: recorded before signatures were checked and reads "belum diperiksa", never valid.
    origin: Mapped[dict | None] = mapped_column(JSON, nullable=True, default=None)
    pages_to_check: Mapped[list | None] = mapped_column(JSON, nullable=True)  # `model.PageCheck`s; None: older

    entry: Mapped[Entry] = relationship(back_populates="documents")
    batch: Mapped[Batch] = relationship(back_populates="documents")
    pages: Mapped[list[DocumentPage]] = relationship(
        back_populates="document", order_by="DocumentPage.page"
    )


class DocumentPage(Base):
    """The OCR engine's own text of one page of a filed document."""

    __tablename__ = "document_page"
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True)
    page: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based within the document
    batch_page: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")

    document: Mapped[Document] = relationship(back_populates="pages")


class HeldPages(Base):
    """Pages of a batch that were not filed, with the reason; they stay in the raw batch."""

    __tablename__ = "held_pages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batch.id"), index=True)
    batch_pages: Mapped[list] = mapped_column(JSON)
    cover_page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    register_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="held")

    batch: Mapped[Batch] = relationship(back_populates="held")


class ScanProfile(Base):
    """Named scanner settings, in device-independent terms (see `scanner.apply_profile`)."""

    __tablename__ = "scan_profile"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # flatbed, adf, adf-duplex
    mode: Mapped[str] = mapped_column(String(20))  # lineart, gray, color
    resolution: Mapped[int] = mapped_column(Integer)  # dpi
    page_size: Mapped[str] = mapped_column(String(20))  # A4, F4, A5, Letter, Legal, max


class DocumentEvent(Base):
    """One step of the handover: submitted (filed from the kiosk), accepted ("diterima,
    disimpan") or returned, by whom, when."""

    __tablename__ = "document_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # submitted, accepted, returned
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: A decision's own record in storage (`handover`), relative to the storage folder; None for
    #: "submitted", which the sidecar records.
    path: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)


class UserAccount(Base):
    """Someone who logs in to the kiosk; `role` is one of `users.ROLES`."""

    __tablename__ = "user_account"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    nip: Mapped[str] = mapped_column(String(18), default="")  # a civil servant's number, on papers they sign
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AccessRequest(Base):
    """A change that would let someone see "dikecualikan" (`grants`): asked by the admin, decided
    by the Atasan PPID. `action` is "add", "activate" or "password"; `status` "pending",
    "confirmed" or "refused"."""

    __tablename__ = "access_request"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="")
    nip: Mapped[str] = mapped_column(String(18), default="")
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)


class CoversheetPrint(Base):
    """One print of cover sheets: the ids, in order, who printed them and when."""

    __tablename__ = "coversheet_print"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    printed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    printed_by: Mapped[str] = mapped_column(String(64), default="")
    register_ids: Mapped[list] = mapped_column(JSON)


class BeritaAcara(Base):
    """One berita acara as filed; `replaces` names the one it corrects."""

    __tablename__ = "berita_acara"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(120), unique=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    scope: Mapped[str] = mapped_column(Text)  # "batch B..." or "2026-12 Subbagian Umum"
    document_ids: Mapped[list] = mapped_column(JSON)
    path: Mapped[str] = mapped_column(Text)  # relative to the storage folder
    sha256: Mapped[str] = mapped_column(String(64))
    replaces: Mapped[str | None] = mapped_column(String(120), nullable=True)
    #: The register entry its signed paper is scanned back under (`berita_acara.signed_copy_entry`).
    register_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The audit log's head when it was made (an anchor `audit.verify` checks).
    audit_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audit_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditRecord(Base):
    """One record of the audit log (`audit`): never updated, never deleted."""

    __tablename__ = "audit_record"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The audit chain's head: one row, updated by every writer before it appends."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class SearchPending(Base):
    """An entry whose search-index records are to be rewritten, from the transaction that changed
    it until the index holds them (`search`: what stays marked is hidden and written again)."""

    __tablename__ = "search_pending"
    register_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    since: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AccessCopy(Base):
    """One copy handed out (`access_copy`): the document, the copy's own SHA-256, who, when."""

    __tablename__ = "access_copy"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    berita_acara: Mapped[str] = mapped_column(String(120), default="")


class UserSession(Base):
    """A login at the kiosk, until logout, idle time, or a change of the user's password or status.
    The browser holds the token; only its SHA-256 is stored. Times are seconds since the epoch."""

    __tablename__ = "user_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("user_account.username"), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)


# -- engine, sessions, migrations -----------------------------------------------------------------


class SchemaError(Exception):
    """Alembic could not bring the schema up to date (its message says why)."""


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration."""
    if _revision_of(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from alembic.util.exc import CommandError

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        try:
            command.upgrade(cfg, "head")
        except CommandError as exc:
            raise SchemaError(str(exc)) from None


def _revision_of(engine: Engine) -> str | None:
    """The revision Alembic recorded, or None (a new database, or one that cannot be read: Alembic
    says why)."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None


def schema_revision(db: Database) -> str:
    """The migration the database's schema is at."""
    return _revision_of(db.engine) or "none"


class Database:
    """An engine with a migrated schema and a session factory. Raises ConfigError when
    `database_url` is not a usable URL or the database cannot be opened or migrated."""

    def __init__(self, settings: Settings):
        url = settings.database_url
        try:
            self.engine = make_engine(url)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            raise ConfigError(
                f"database_url {_shown(url)}: not a database Scan Station can use ({_first_line(exc)}); "
                "e.g. sqlite:////path/scan-station.db or postgresql+psycopg://user:password@host/name"
            ) from None
        try:
            migrate(self.engine)
        except (DBAPIError, SchemaError) as exc:
            self.engine.dispose()
            # a DBAPIError always wraps the driver's exception (its constructor takes one)
            reason = _first_line(cast(BaseException, exc.orig) if isinstance(exc, DBAPIError) else exc)
            raise ConfigError(f"database_url {_shown(url)}: cannot open the database ({reason})") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False,
                                      info={"index_dir": settings.index_dir, "settings": settings})

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on any error. A database
        that stays locked by another writer for longer than the busy timeout is a DatabaseBusyError."""
        try:
            with self._sessions() as session, session.begin():
                yield session
        except OperationalError as exc:
            if not _is_busy(exc):
                raise
            raise DatabaseBusyError(
                f"the database is busy: another write has held it for over {BUSY_TIMEOUT_SECONDS:g} s; "
                "try again in a minute"
            ) from None

    def close(self) -> None:
        self.engine.dispose()
