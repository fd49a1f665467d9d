"""TLS when a certificate is configured: the API answers over HTTPS (verified against
the certificate) and a plain-HTTP request to the same port gets no API answer; a
certificate without its key is refused before the server starts."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from controlplane.api import create_api, server_config
from controlplane.app import App
from tests.api.conftest import run_server
from tests.governance.support import apply_estate


def _self_signed(directory: Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    return str(cert_file), str(key_file)


def test_https_with_a_configured_certificate(app: App, tmp_path: Path) -> None:
    apply_estate(app)
    cert, key = _self_signed(tmp_path)
    for server in run_server(app, tls=(cert, key)):
        assert server.url.startswith("https://")
        token = server.token("ops-li")
        trusted = ssl.create_default_context(cafile=cert)
        with httpx.Client(base_url=f"{server.url}/api/v1", verify=trusted, timeout=30) as http:
            answer = http.get("/whoami", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200 and answer.json()["name"] == "ops-li"
        plain = server.url.replace("https://", "http://")
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{plain}/api/v1/whoami", timeout=10).raise_for_status()
    with pytest.raises(ValueError, match="both"):
        server_config(create_api(app), "127.0.0.1", 8443, cert=cert)
