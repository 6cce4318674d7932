"""An issuer's keys from a JWKS URL (https, on 127.0.0.1 with a certificate this test makes): a
token verifies against the published key, a rotated key is fetched when a token names its new
kid, and a kid nobody published is refused without the keys held being lost."""

from __future__ import annotations

import datetime
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID

from farmgate.deploy.settings import TokenIssuer
from farmgate.graphql.auth import AuthenticationError, TokenVerifier
from farmgate.graphql.issuer_keys import IssuerKeys
from tests.e2e.tokens import Issuer

ISSUER = "https://id.voso.example"


class JwksServer:
    """Serves the issuer's JWKS document over https on 127.0.0.1, and counts the fetches."""

    def __init__(self, directory: Path, document: dict[str, Any]) -> None:
        self.document = document
        self.fetches = 0
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                       .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                       .not_valid_after(now + datetime.timedelta(days=1))
                       .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]),
                                      critical=False)
                       .sign(key, hashes.SHA256()))
        self.cert_file, key_file = directory / "cert.pem", directory / "key.pem"
        self.cert_file.write_bytes(certificate.public_bytes(Encoding.PEM))
        key_file.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                server.fetches += 1
                body = json.dumps(server.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, key_file)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert_file))


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    voso = Issuer(ISSUER, "EdDSA", ["MARKETPLACE"], {"marketplace": ["VOSO"]}, tmp_path / "voso.jwks.json")
    voso.rotate("voso-1")
    return voso


@pytest.fixture
def jwks(tmp_path: Path, issuer: Issuer) -> Iterator[JwksServer]:
    server = JwksServer(tmp_path, json.loads(issuer.jwks_path.read_text()))
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def test_keys_from_a_jwks_url_verify_tokens_and_follow_a_rotation(issuer: Issuer, jwks: JwksServer) -> None:
    config = TokenIssuer(issuer=ISSUER, jwks=jwks.url, roles=("MARKETPLACE",), scopes={"marketplace": ("VOSO",)},
                         algorithms=("EdDSA",))
    keys = IssuerKeys(jwks.url, refresh_seconds=0, ssl_context=jwks.client_context())
    verifier = TokenVerifier(issuers=[config], keys={ISSUER: keys})
    assert verifier.verify(issuer.token("MARKETPLACE", "vs", marketplace="VOSO")).marketplace == "VOSO"
    assert jwks.fetches == 1
    assert verifier.verify(issuer.token("MARKETPLACE", "again", marketplace="VOSO")).subject == "again"
    assert jwks.fetches == 1, "known keys are not fetched again"

    # The issuer publishes a new key beside the old one and signs with it.
    issuer.rotate("voso-2")
    jwks.document = json.loads(issuer.jwks_path.read_text())
    assert verifier.verify(issuer.token("MARKETPLACE", "new", marketplace="VOSO")).subject == "new"
    assert jwks.fetches == 2
    assert verifier.verify(issuer.token("MARKETPLACE", "old", kid="voso-1", marketplace="VOSO")).subject == "old"

    # A kid nobody published: refused, and the keys held still verify.
    forged = Issuer(ISSUER, "EdDSA", [], {}, issuer.jwks_path.with_name("forged.json"))
    forged.rotate("voso-3")
    with pytest.raises(AuthenticationError, match="kid"):
        verifier.verify(forged.token("MARKETPLACE", marketplace="VOSO"))
    assert verifier.verify(issuer.token("MARKETPLACE", "still", marketplace="VOSO")).subject == "still"


def test_keys_are_fetched_again_at_most_once_per_refresh_interval(issuer: Issuer, jwks: JwksServer) -> None:
    keys = IssuerKeys(jwks.url, refresh_seconds=3600, ssl_context=jwks.client_context())
    assert keys.key_for("voso-1").key_id == "voso-1"
    for _ in range(5):  # a stream of forged kids must not make us hammer the issuer
        with pytest.raises(LookupError):
            keys.key_for("nobody")
    assert jwks.fetches == 1
