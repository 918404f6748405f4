"""Signed binders (`build --sign KEY.p12`) and the signatures of source PDFs, as `verify` reports them.

The key and its self-signed certificate are generated here with ``cryptography``; no key is committed.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from .conftest import EXAMPLE


def _p12(path: Path, password: bytes) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EK Test Signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(b"ek", key, cert, None, serialization.BestAvailableEncryption(password))
    )
    return path


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    from evidence_kit.cli import main

    root = tmp_path_factory.mktemp("signed")
    bundle = root / "bundle"
    shutil.copytree(EXAMPLE, bundle)
    key = _p12(root / "key.p12", b"s3cret")
    out = root / "binder.pdf"
    mp = pytest.MonkeyPatch()
    mp.setenv("EVIDENCE_KIT_SIGN_PASSWORD", "s3cret")
    try:
        assert main(["build", str(bundle), "-q", "-o", str(out), "--sign", str(key)]) in (0, 1)
    finally:
        mp.undo()
    return bundle, key, out


def test_signed_binder_verifies_and_is_never_called_trusted(signed: tuple[Path, Path, Path], cli: Any) -> None:
    bundle, _, out = signed
    assert not list(out.parent.glob(".binder.pdf.*.tmp"))  # signed inside the atomic write, no temp left
    code, text, _ = cli("verify", str(out), str(bundle))
    assert code == 0, text
    line = next(x for x in text.splitlines() if x.startswith("binder signature"))
    assert "EK Test Signer" in line and "integrity OK" in line and "covers the entire file" in line
    assert "signer not trusted" in line and "signer trusted" not in line


def test_appending_to_a_signed_binder_is_detected(signed: tuple[Path, Path, Path], tmp_path: Path, cli: Any) -> None:
    from .test_hostile_verify import _append_page_incrementally

    _, _, out = signed
    bad = tmp_path / "bad.pdf"
    _append_page_incrementally(out, bad)
    code, text, _ = cli("verify", str(bad))
    assert code == 1 and "TAMPERED (incremental update)" in text and "TAMPERED (page count)" in text
    sig = next(x for x in text.splitlines() if x.startswith("binder signature"))
    assert "does NOT cover the entire file" in sig or "cannot be checked" in sig  # never "covers the entire file"


def test_wrong_signing_password_is_a_usage_error(
    signed: tuple[Path, Path, Path], tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle, key, _ = signed
    monkeypatch.setenv("EVIDENCE_KIT_SIGN_PASSWORD", "wrong")
    out = tmp_path / "b.pdf"
    code, _, err = cli("build", str(bundle), "-q", "-o", str(out), "--sign", str(key))
    assert code == 2 and "signing key" in err and not out.exists()


def test_source_pdf_signatures_are_reported_with_coverage(corpus: Path, tmp_path: Path) -> None:
    from evidence_kit._signing import signatures

    base = {s.field: s for s in signatures((corpus / "pdf" / "qpdf_digitally-signed.pdf").read_bytes())}
    sig = base["Signature2"]
    assert sig.intact and sig.valid and not sig.trusted and sig.covers_whole_file and "John Doe" in sig.signer
    assert "integrity OK, signer not trusted" in sig.describe()
    (tail,) = signatures((corpus / "pdf" / "pyhanko_sigcov_tail-uncovered.pdf").read_bytes())
    assert tail.intact and not tail.covers_whole_file and "does NOT cover the entire file" in tail.describe()
    for name in ("pyhanko_sigcov_one-byterange.pdf", "pyhanko_sigcov_weird-byterange.pdf"):
        (s,) = signatures((corpus / "pdf" / name).read_bytes())
        assert not s.covers_whole_file and not s.trusted, name
    broken = signatures((corpus / "pdf" / "pyhanko_sigcov_base.pdf").read_bytes())
    assert broken and all(s.error or not s.trusted for s in broken)


def test_signed_binder_of_a_source_with_a_looping_field_tree_verifies(
    corpus: Path, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source whose form fields loop is bound without merging its fields, so the binder's signature is found."""
    from evidence_kit.cli import main

    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "evidence-kit.toml").write_text('[establishment]\nname = "X"\n')
    shutil.copy(corpus / "pdf" / "pyhanko_form-tree-circular-ref.pdf", bundle / "looping-form.pdf")
    key = _p12(tmp_path / "key.p12", b"s3cret")
    monkeypatch.setenv("EVIDENCE_KIT_SIGN_PASSWORD", "s3cret")
    out = tmp_path / "binder.pdf"
    assert main(["build", str(bundle), "-q", "-o", str(out), "--sign", str(key)]) in (0, 1)
    code, text, _ = cli("verify", str(out), str(bundle))
    assert code == 0, text
    assert "integrity OK" in text
