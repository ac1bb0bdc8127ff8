"""Digital signatures in a softcopy PDF, checked before they are named.

Every signature (PAdES/CMS, e.g. TTE through BSrE) gets a typed verdict (`SignatureCheck`), found
by pyHanko offline — no OCSP or CRL is fetched, nothing leaves the machine:

- `broken`: the signature cannot be read, its bytes do not verify, the hash of the signed bytes
  does not match (a byte changed inside the signed range), its timestamp token is broken, or the
  check failed or took too long (a hostile PDF): "rusak / tidak dapat diperiksa";
- `altered`: the document was changed after signing: the signature does not cover the file up to
  a revision, or a later revision changed more than further signatures, form fields or archival
  data (pyHanko's difference analysis), or more than the signature's DocMDP permits;
- `expired`: the signer's certificate was not valid at the time of signing (the time of a valid
  timestamp token when there is one, else the time the signer states), or the chain was not;
- `untrusted`: intact and unchanged, but the signer was not checked against a trusted list: no
  `signature_trust_roots` are configured, or the signer does not chain to them;
- `valid`: intact, unchanged, the certificate valid at the time of signing, and the signer chains
  to a configured trust root. Only this one may be called "sah".

A record made before signatures were checked has no verdict: it is `unchecked` ("belum
diperiksa"), never valid.

The check runs in a child process (`python -m scan_station.records.signature_check`, which owns the check
itself: its resource limits and how pyHanko's findings become a verdict) with a time limit and
memory limit: a PDF made to hang or exhaust the parser makes its signatures `broken`, never hangs
or crashes the caller. A parent looks for signature fields with pikepdf first, so an unsigned PDF
starts no child. This module owns the verdicts, starting that child, the re-check and the wording.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

#: How long the check of one file's signatures may take, in seconds.
CHECK_TIMEOUT_SECONDS = 60
#: The address space the checking child may use, in bytes.
CHECK_MEMORY_BYTES = 3 * 1024**3
#: Signatures checked in one file at most; any beyond are `broken` ("too_many").
MAX_SIGNATURES = 50


class Verdict(enum.StrEnum):
    VALID = "valid"
    UNTRUSTED = "untrusted"
    ALTERED = "altered"
    BROKEN = "broken"
    EXPIRED = "expired"
    UNCHECKED = "unchecked"  # a record from before signatures were checked


#: How bad a verdict is: a re-check that finds a higher rank than the record is a fixity finding.
RANK = {Verdict.VALID: 0, Verdict.UNTRUSTED: 1, Verdict.UNCHECKED: 1, Verdict.EXPIRED: 2, Verdict.ALTERED: 3,
        Verdict.BROKEN: 4}


@dataclass(frozen=True)
class SignatureCheck:
    """One signature and what its check found. `signer` and `signed_at` are the fields records
    had before signatures were checked; a record without `verdict` is `unchecked`."""

    signer: str  # the signing certificate's subject, as the certificate states it
    signed_at: str  # ISO time the signer's software wrote (its own claim), "" when none
    verdict: str = Verdict.UNCHECKED
    #: Finer than the verdict: hash_mismatch, bad_signature, unreadable, timestamp_broken, timeout,
    #: too_many, coverage, modified, expired, not_yet_valid, revoked, no_roots, not_chained.
    reason: str = ""
    #: The signature's timestamp token: "" none, "valid" (intact, its TSA chains to a trust root),
    #: "untrusted" (intact, TSA not checked against a trusted list), "broken".
    timestamp: str = ""
    timestamp_at: str = ""  # the time the timestamp token states, ISO
    #: What was added after signing, when that is allowed: "" nothing, "signing" (further
    #: signatures, form field values, archival data).
    changes: str = ""
    checked_at: str = ""  # when the check ran, ISO

    @property
    def time(self) -> str:
        """The time of signing the check went by: a valid timestamp's, else the signer's claim."""
        return self.timestamp_at if self.timestamp == "valid" else self.signed_at

    @property
    def time_source(self) -> str:
        """"timestamp" when `time` is a valid timestamp token's, "signer" when it is the signer's
        own claim, "" when there is no time."""
        if self.timestamp == "valid" and self.timestamp_at:
            return "timestamp"
        return "signer" if self.signed_at else ""

    def as_dict(self) -> dict:
        return {k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: object) -> SignatureCheck:
        """A stored record, whatever its age: one without a known verdict is `unchecked`."""
        if not isinstance(data, dict):
            return cls("", "", Verdict.UNCHECKED)
        known = {f.name for f in fields(cls)}
        values = {k: str(v) for k, v in data.items() if k in known and isinstance(v, str | int | float)}
        values.setdefault("signer", "")
        values.setdefault("signed_at", "")
        if values.get("verdict") not in set(Verdict):
            values["verdict"] = Verdict.UNCHECKED
        return cls(**values)


def check_pdf(path: Path, settings) -> tuple[SignatureCheck, ...]:
    """The signatures `path` carries, each checked (see the module's docstring); () for a PDF
    without signature fields or one pikepdf cannot open."""
    count = signature_fields(path)
    if not count:
        return ()
    now = _now()
    failed = tuple(SignatureCheck("", "", Verdict.BROKEN, "unreadable", checked_at=now) for _ in range(count))
    roots = [str(p) for p in getattr(settings, "signature_trust_roots", ())]
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "scan_station.records.signature_check", str(Path(path).resolve()), *roots]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                             env=env, start_new_session=True)
    try:
        output, _ = child.communicate(timeout=CHECK_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return tuple(replace(c, reason="timeout") for c in failed)
    finally:
        _kill(child)
    try:
        found = json.loads(output)["signatures"]
        checks = tuple(SignatureCheck.from_dict(d) for d in found)
    except (ValueError, KeyError, TypeError):
        return failed
    if any(c.verdict == Verdict.UNCHECKED for c in checks):
        return failed
    return checks  # () when every field was a document timestamp (no one's signature)


def signature_fields(path: Path) -> int:
    """How many filled signature fields (/FT /Sig with a /V) the PDF's form has, found with
    pikepdf; 0 when it cannot open the file (it is refused by other checks then)."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            form = pdf.Root.get("/AcroForm")
            if not isinstance(form, pikepdf.Dictionary):
                return 0
            todo, seen, count, visited = list(_items(form.get("/Fields"))), set(), 0, 0
            while todo and visited < 10_000:
                node, inherited = todo.pop()
                visited += 1
                if not isinstance(node, pikepdf.Dictionary):
                    continue
                key = node.objgen if node.is_indirect else id(node)
                if key in seen:
                    continue
                seen.add(key)
                kind = node.get("/FT", inherited)
                if kind == pikepdf.Name.Sig and "/V" in node:
                    count += 1
                todo += [(kid, kind) for kid, _ in _items(node.get("/Kids"))]
            return count
    except Exception:  # noqa: BLE001 - a PDF pikepdf cannot read has no signatures to name
        return 0


def _items(array) -> Iterable:
    import pikepdf

    if isinstance(array, pikepdf.Array):
        for item in list(array)[:10_000]:
            yield item, None


def _kill(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    child.wait()


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def recheck(settings, db) -> dict:
    """The scheduled fixity check's part: every stored softcopy original that carried signatures
    when it was handed over is checked again, in storage as it is now, against the verdicts its
    record holds. {"checked": files, "changed": [...], "problems": ["signature: PATH: ..."]}: a
    verdict that got worse (a changed file, a trust root no longer configured) is a problem; one
    that got better (a trust root configured since) is listed as changed only; a record from
    before signatures were checked is not compared."""
    from sqlalchemy import select

    from ..core.stored_shapes import raw_batch_files
    from ..db.database import Batch, Document

    root = settings.storage_dir
    with db.session() as session:
        rows = session.execute(select(Document.register_id, Document.version, Document.origin, Batch.raw_dir,
                                      Batch.manifest_name, Batch.manifest_sha256)
                               .join(Batch, Batch.id == Document.batch_id).order_by(Document.id)).all()
    checked, changed, problems = 0, [], []
    for register_id, version, origin, raw_dir, manifest_name, manifest_sha in rows:
        files = origin.get("files") if isinstance(origin, dict) else None
        signed = [f for f in files if isinstance(f, dict) and isinstance(f.get("signatures"), list)
                  and f["signatures"]] if isinstance(files, list) else []
        if not signed or not raw_dir:
            continue
        stored = raw_batch_files(root, raw_dir, manifest_name, manifest_sha)
        for f in signed:
            rel = next((r for r, sha in stored.items() if sha == f.get("sha256") and r != f"{raw_dir}/{manifest_name}"),
                       None)
            if rel is None or not (root / rel).is_file():
                continue  # `verify` reports it missing
            checked += 1
            before = [SignatureCheck.from_dict(s) for s in f["signatures"]]
            try:
                now = list(check_pdf(root / rel, settings))
            except Exception as exc:  # noqa: BLE001 - one file's trouble must not stop the check
                problems.append(f"signature: {rel}: cannot be checked again ({type(exc).__name__})")
                continue
            where = {"path": rel, "register_id": register_id, "version": version}
            if len(now) != len(before):
                changed.append(where | {"was": f"{len(before)} signature(s)", "now": f"{len(now)} signature(s)"})
                problems.append(f"signature: {rel}: {len(before)} signature(s) recorded, {len(now)} found now")
                continue
            for old, new in zip(before, now, strict=True):
                if old.verdict == Verdict.UNCHECKED or old.verdict == new.verdict:
                    continue
                signer = new.signer or old.signer
                changed.append(where | {"signer": signer, "was": str(old.verdict), "now": str(new.verdict),
                                        "reason": new.reason})
                if RANK[Verdict(new.verdict)] > RANK[Verdict(old.verdict)]:
                    problems.append(f"signature: {rel}: {old.verdict} -> {new.verdict}"
                                    f"{f' ({new.reason})' if new.reason else ''}, {signer[:120]}")
    return {"checked": checked, "changed": changed, "problems": problems}


# --- What a verdict says, in Bahasa Indonesia (the access copy's metadata and statement page) ---

def shown_time(iso: str) -> str:
    """An ISO time as a reader of the copy reads it: 31-12-2025 14:05 UTC."""
    try:
        when = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return ""
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return when.strftime("%d-%m-%Y %H:%M") + (" UTC" if when.tzinfo is not None else "")


def statement(check: SignatureCheck) -> str:
    """The verdict as one sentence in Bahasa Indonesia; only `valid` says "sah"."""
    when = shown_time(check.time)
    source = {"timestamp": "menurut stempel waktu", "signer": "menurut penanda tangan"}.get(check.time_source, "")
    at = f", pada {when} ({source})" if when else ""
    stated = f"; tertulis: {check.signer}" if check.signer else ""
    verdict = check.verdict
    if verdict == Verdict.VALID:
        text = f"Tanda tangan elektronik sah: ditandatangani oleh {check.signer or 'penanda tangan tanpa nama'}{at}"
    elif verdict == Verdict.UNTRUSTED:
        text = f"Tanda tangan utuh, tetapi penanda tangan belum diperiksa terhadap daftar tepercaya{stated}{at}"
    elif verdict == Verdict.ALTERED:
        text = f"Dokumen diubah setelah ditandatangani{stated}"
    elif verdict == Verdict.EXPIRED:
        state = {"not_yet_valid": "belum berlaku", "revoked": "sudah dicabut"}.get(check.reason, "kedaluwarsa")
        text = f"Sertifikat penanda tangan {state} pada waktu penandatanganan{stated}{at}"
    elif verdict == Verdict.BROKEN:
        text = f"Tanda tangan rusak / tidak dapat diperiksa{stated}"
    else:
        text = f"Tanda tangan belum diperiksa{stated}"
    if verdict in (Verdict.VALID, Verdict.UNTRUSTED) and check.changes == "signing":
        text += "; setelah ditandatangani hanya ditambahkan tanda tangan lain atau isian formulir"
    if verdict in (Verdict.VALID, Verdict.UNTRUSTED) and check.timestamp == "untrusted":
        text += "; penerbit stempel waktunya belum diperiksa terhadap daftar tepercaya"
    return text


def access_copy_note(originals) -> str:
    """What the PDF/A (and a copy handed out) says of itself when an original carries a digital
    signature: each signature's verdict, in Bahasa Indonesia. `originals` are `Original`s or the
    files of a document's stored origin (a record without verdicts reads "belum diperiksa")."""
    signed = [(name, sha, checks) for name, sha, checks in map(_signed_file, originals) if checks]
    if not signed:
        return ""
    parts = [f"{name} (SHA-256 {sha[:16]}…): {'; '.join(statement(c) for c in checks)}"
             for name, sha, checks in signed]
    return ("Salinan akses PDF/A dari dokumen asli yang memuat tanda tangan elektronik; tanda tangan tidak "
            "berlaku pada salinan ini, dokumen asli disimpan utuh oleh PPID: " + " | ".join(parts))


def _signed_file(original) -> tuple[str, str, list[SignatureCheck]]:
    if not isinstance(original, dict):  # a softcopy's `Original`
        return original.name, original.sha256, list(original.signatures)
    found = original.get("signatures")
    checks = [SignatureCheck.from_dict(s) for s in found] if isinstance(found, list) else []
    return str(original.get("name", "")), str(original.get("sha256", "")), checks
