"""A cover sheet's payload: `SST1:<register id>:<check>` — what classification reads, without
the PDF-drawing libraries that print the sheet (`coversheet`).

The fixed prefix lets the splitter ignore foreign barcodes (e-signature QR codes on letters,
asset and shipping labels); the check character (ISO 7064 hybrid system over the id's own
alphabet) turns a misread into a rejected cover instead of a wrong filing.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.iso7064 import mod_37_36

PREFIX = "SST1:"
#: The id characters plus "_": 40 symbols, so the hybrid system runs modulo 41, a prime, and
#: catches every single-character misread and every swap of neighbours.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-./_"


def check_character(register_id: str) -> str:
    return mod_37_36.calc_check_digit(register_id, alphabet=ALPHABET)


def payload_for(register_id: str) -> str:
    return f"{PREFIX}{register_id}:{check_character(register_id)}"


@dataclass(frozen=True)
class CoverCode:
    """What a barcode says about being a cover sheet."""

    register_id: str | None  # None when the payload has our prefix but fails its check
    raw: str

    @property
    def valid(self) -> bool:
        return self.register_id is not None


def parse_payload(text: str) -> CoverCode | None:
    """A CoverCode for our payloads (valid or not); None for foreign barcodes."""
    if not text.startswith(PREFIX):
        return None
    body = text[len(PREFIX) :]
    register_id, sep, check = body.rpartition(":")
    if (
        sep
        and len(check) == 1
        and register_id
        and all(c in ALPHABET for c in register_id)
        and check_character(register_id) == check
    ):
        return CoverCode(register_id, text)
    return CoverCode(None, text)
