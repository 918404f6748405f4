"""PAdES signatures with pyHanko: sign a finished binder, and report the signatures a PDF carries.

Nothing here fetches anything: validation runs with an empty trust store and fetching off, so a
signature is reported as "integrity OK" (the signed bytes are unchanged and the CMS signature checks
with the signer's certificate) and "signer not trusted" unless the caller supplies trust roots.
A self-signed or test-PKI certificate is therefore never called trusted.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from evidence_kit.errors import ConfigError

for _name in ("pyhanko", "pyhanko_certvalidator"):  # path-building failures are expected (no trust roots)
    logging.getLogger(_name).setLevel(logging.CRITICAL)

FIELD = "EvidenceKitSignature"  #: the binder's signature field


@contextmanager
def _quiet_import() -> Iterator[None]:
    """Import pyHanko without cryptography's deprecation notice for DSA, which pyHanko imports but we never use."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="DSA is deprecated")
        yield


def sign_pdf(data: bytes, key: Path, password: bytes | None) -> bytes:
    """Return ``data`` with an invisible PAdES B-B signature by the PKCS#12 identity in ``key``, appended.

    Raises:
        ConfigError: The key file cannot be read or the password does not open it.
    """
    with _quiet_import():
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

    try:
        signer = signers.SimpleSigner.load_pkcs12(pfx_file=str(key), passphrase=password)  # type: ignore[no-untyped-call]
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the signing key {key}: {exc}") from exc
    if signer is None:
        raise ConfigError(f"cannot load the signing key {key}: wrong password or not a PKCS#12 file")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES, reason="Evidence binder as built by evidence-kit"
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    out = signers.sign_pdf(writer, meta, signer=signer)
    return bytes(out.getvalue())


@dataclass(frozen=True)
class SignatureInfo:
    """One signature of a PDF, as ``verify`` reports it."""

    field: str
    signer: str
    signed_at: str
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool
    coverage: str
    error: str = ""

    def describe(self) -> str:
        """Return one line: who, when, integrity, trust, coverage."""
        if self.error:
            return f"signature {self.field}: cannot be checked ({self.error})"
        integrity = "integrity OK" if self.intact and self.valid else "INTEGRITY BROKEN"
        trust = "signer trusted" if self.trusted else "signer not trusted (no trust root given)"
        cover = (
            "covers the entire file" if self.covers_whole_file else f"does NOT cover the entire file ({self.coverage})"
        )
        return f"signature {self.field} by {self.signer} at {self.signed_at}: {integrity}, {trust}; {cover}"


def revisions(data: bytes) -> int:
    """Return how many revisions (the original save plus incremental updates) the PDF ``data`` has."""
    with _quiet_import():
        from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return int(PdfFileReader(io.BytesIO(data), strict=False).xrefs.total_revisions)
    except Exception:  # unreadable xref chain: count the trailers' startxref keywords at the very end instead
        return max(1, data[-4096:].count(b"startxref"))


def signatures(data: bytes) -> list[SignatureInfo]:
    """Return every signature in the PDF ``data`` with its integrity, signer, time and coverage."""
    with _quiet_import():
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko.sign.validation.status import SignatureCoverageLevel
        from pyhanko_certvalidator import ValidationContext

    if b"/ByteRange" not in data:
        return []
    out: list[SignatureInfo] = []
    try:
        found = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception as exc:  # pyHanko raises many types on damaged or encrypted files
        return [SignatureInfo("?", "", "", False, False, False, False, "", f"{type(exc).__name__}: {exc}")]
    for sig in found:
        try:
            st = validate_pdf_signature(sig, ValidationContext(trust_roots=[], allow_fetching=False))
            when = st.signer_reported_dt.isoformat() if st.signer_reported_dt else "unknown time"
            out.append(
                SignatureInfo(
                    sig.field_name,
                    st.signing_cert.subject.human_friendly,
                    when,
                    bool(st.intact),
                    bool(st.valid),
                    bool(st.trusted),
                    st.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                    st.coverage.name.lower().replace("_", " ") if st.coverage else "unknown",
                )
            )
        except Exception as exc:
            out.append(SignatureInfo(sig.field_name, "", "", False, False, False, False, "", str(exc).splitlines()[0]))
    return out
