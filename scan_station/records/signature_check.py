"""The check of a PDF's signatures itself, run in the child process `signatures.check_pdf` starts
(`python -m scan_station.records.signature_check PATH [TRUST_ROOT ...]`).

This module owns what happens inside that child: its resource limits (address space, CPU time),
walking the signature fields with pyHanko, validating each signature offline (no OCSP or CRL is
fetched) and turning what pyHanko found into a `SignatureCheck` verdict and reason (see
`signatures` for what each verdict means). It writes {"signatures": [...]} as JSON to stdout; the
parent reads that, and anything else (a crash, a hang) makes the signatures `broken`.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .signatures import CHECK_MEMORY_BYTES, CHECK_TIMEOUT_SECONDS, MAX_SIGNATURES, SignatureCheck, Verdict, _now

#: The key usages a signer's certificate must allow.
_KEY_USAGE = {"digital_signature", "non_repudiation"}


def _check_file(path: str, root_files: Sequence[str]) -> dict:
    """Every filled signature field of `path` checked; {"signatures": [...]} (as_dict each)."""
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    from pyhanko.keys import load_certs_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    roots = list(load_certs_from_pemder(root_files)) if root_files else []
    now = _now()
    found: list[dict] = []
    with Path(path).open("rb") as f:
        reader = PdfFileReader(f, strict=False)
        try:
            for fq_name, _sig_obj, sig_field in enumerate_sig_fields(reader, filled_status=True):
                if len(found) >= MAX_SIGNATURES:
                    found.append(SignatureCheck("", "", Verdict.BROKEN, "too_many", checked_at=now).as_dict())
                    break
                try:
                    check = _check_one(reader, sig_field, fq_name, roots)
                except Exception:  # noqa: BLE001 - anything a hostile signature makes pyHanko raise
                    check = SignatureCheck(_signer_of(reader, sig_field, fq_name), "", Verdict.BROKEN, "unreadable")
                if check is not None:
                    found.append(replace(check, checked_at=now).as_dict())
        except Exception:  # noqa: BLE001 - the form itself cannot be walked
            found.append(SignatureCheck("", "", Verdict.BROKEN, "unreadable", checked_at=now).as_dict())
    return {"signatures": found}


def _signer_of(reader, sig_field, fq_name) -> str:
    """The subject a signature's certificate states, when that much can be read."""
    try:
        from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

        return EmbeddedPdfSignature(reader, sig_field, fq_name).signer_cert.subject.human_friendly
    except Exception:  # noqa: BLE001
        return ""


def _check_one(reader, sig_field, fq_name, roots: list) -> SignatureCheck | None:
    """One signature's verdict; None for a document timestamp (no one's signature)."""
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

    embedded = EmbeddedPdfSignature(reader, sig_field, fq_name)
    if embedded.sig_object_type != "/Sig":
        return None
    cert = embedded.signer_cert
    signer = cert.subject.human_friendly
    claimed = embedded.self_reported_timestamp
    token_time = _token_time(embedded)

    # The token is checked as of the time it states; the signer as of the time it claims, then again
    # as of the token's time when the token is valid (an independent witness of when it signed).
    status = _validate(embedded, roots, _aware(claimed) or _utcnow(), _aware(token_time) or _utcnow())
    stamp = status.timestamp_validity
    timestamp = _timestamp_state(stamp)
    moment = _aware(stamp.timestamp) if timestamp == "valid" else _aware(claimed)
    if timestamp == "valid" and moment != _aware(claimed):  # the signer checked at the token's time
        status = _validate(EmbeddedPdfSignature(reader, sig_field, fq_name), roots, moment, moment)
    base = SignatureCheck(signer, claimed.isoformat() if claimed else "", timestamp=timestamp,
                          timestamp_at=stamp.timestamp.isoformat() if stamp is not None else "")
    return _verdict(base, status, cert, moment, roots)


def _token_time(embedded):
    """The time the signature's (first) timestamp token states, unchecked; None without one."""
    from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

    for token in extract_tst_data_iter(embedded.signer_info, signed=False):
        return token["encap_content_info"]["content"].parsed["gen_time"].native
    return None


def _validate(embedded, roots: list, signer_moment, token_moment):
    """Validate one signature offline with pyHanko: the signer as of `signer_moment`, its
    timestamp token as of `token_moment`; revocation is soft-fail, nothing is fetched."""
    import asyncio

    from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    def context(moment):
        return ValidationContext(trust_roots=list(roots), allow_fetching=False, moment=moment,
                                 revocation_mode="soft-fail")

    return asyncio.run(async_validate_pdf_signature(
        embedded, context(signer_moment), context(token_moment),
        key_usage_settings=KeyUsageConstraints(key_usage=set(_KEY_USAGE))))


def _timestamp_state(stamp) -> str:
    """`SignatureCheck.timestamp` for pyHanko's timestamp validity: "", "broken", "valid", "untrusted"."""
    if stamp is None:
        return ""
    return "broken" if not (stamp.intact and stamp.valid) else "valid" if stamp.trusted else "untrusted"


def _verdict(base: SignatureCheck, status, cert, moment, roots: list) -> SignatureCheck:
    """`base` with its verdict and reason: broken, then altered, then the certificate's time and trust."""
    if not status.intact:
        return replace(base, verdict=Verdict.BROKEN, reason="hash_mismatch")
    if not status.valid:
        return replace(base, verdict=Verdict.BROKEN, reason="bad_signature")
    if base.timestamp == "broken":
        return replace(base, verdict=Verdict.BROKEN, reason="timestamp_broken")
    changes = _allowed_changes(status)
    if changes is None:
        return replace(base, verdict=Verdict.ALTERED, reason=_altered_reason(status))
    return _time_and_trust(replace(base, changes=changes), status, cert, moment, roots)


def _allowed_changes(status) -> str | None:
    """What was added after signing: "" nothing, "signing" only what may be (further signatures,
    form fields, archival data, within the DocMDP permission); None when the document was altered."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    coverage, level = status.coverage, status.modification_level
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return ""
    if (coverage == SignatureCoverageLevel.ENTIRE_REVISION and status.docmdp_ok
            and level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)):
        return "signing"
    return None


def _altered_reason(status) -> str:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    return "modified" if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION else "coverage"


def _time_and_trust(base: SignatureCheck, status, cert, moment, roots: list) -> SignatureCheck:
    """An intact, unchanged signature's verdict: expired (the certificate or its chain not valid at
    `moment`, or revoked), valid (chains to a trust root) or untrusted."""
    at = moment or _utcnow()
    if at < cert.not_valid_before or at > cert.not_valid_after:
        return replace(base, verdict=Verdict.EXPIRED,
                       reason="not_yet_valid" if at < cert.not_valid_before else "expired")
    problem = getattr(status.trust_problem_indic, "name", "")
    if problem in ("EXPIRED", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED"):
        return replace(base, verdict=Verdict.EXPIRED, reason="expired")
    if problem == "NOT_YET_VALID":
        return replace(base, verdict=Verdict.EXPIRED, reason="not_yet_valid")
    if status.revoked or problem.startswith("REVOKED"):
        return replace(base, verdict=Verdict.EXPIRED, reason="revoked")
    if status.trusted:  # the timestamp's own trust is said beside the verdict
        return replace(base, verdict=Verdict.VALID)
    return replace(base, verdict=Verdict.UNTRUSTED, reason="not_chained" if roots else "no_roots")


def _aware(when):
    if when is None:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _utcnow():
    return dt.datetime.now(dt.UTC)


def _limit_child() -> None:
    import resource

    for limit, value in ((resource.RLIMIT_AS, CHECK_MEMORY_BYTES),
                         (resource.RLIMIT_CPU, CHECK_TIMEOUT_SECONDS + 5)):
        try:
            soft, hard = resource.getrlimit(limit)
            wanted = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(limit, (wanted, hard))
        except (ValueError, OSError):
            pass


def main(argv: Sequence[str]) -> int:
    _limit_child()
    sys.setrecursionlimit(5000)
    path, *roots = argv
    try:
        result = _check_file(path, roots)
    except Exception:  # noqa: BLE001 - the file cannot be read as a PDF at all
        result = {"signatures": [SignatureCheck("", "", Verdict.BROKEN, "unreadable", checked_at=_now()).as_dict()]}
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
