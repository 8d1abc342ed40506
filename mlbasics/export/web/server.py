"""Serve an exported web folder: plain HTTP on this machine, HTTPS for a phone on the same network.

Browsers open the camera only in a *secure context*: ``https://`` pages, or ``http://localhost``
/ ``127.0.0.1`` on the same machine. A phone reaches the computer by its network address, so
:func:`make_server` with ``https=True`` makes a self-signed certificate on the spot (valid for
this machine's names and addresses, for a week). The phone's browser warns that it does not know
who signed it, which is true: you did, a second ago. Compare the fingerprint printed by
``mlbasics serve --phone`` with the one the warning page shows, then proceed.

The server sends ``Cross-Origin-Opener-Policy`` / ``Cross-Origin-Embedder-Policy`` so the page
is cross-origin isolated: ONNX Runtime Web may then use several WebAssembly threads.
"""

from __future__ import annotations

import contextlib
import datetime
import http.server
import ipaddress
import os
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from mlbasics.core.errors import InputError
from mlbasics.io.files import atomic_write

LOCALHOST = "127.0.0.1"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with the MIME types ONNX Runtime Web needs, isolation headers and no caching."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript",
                      ".js": "text/javascript", ".wasm": "application/wasm", ".onnx": "application/octet-stream",
                      ".json": "application/json"}

    def end_headers(self) -> None:
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        if os.environ.get("MLBASICS_SERVE_LOG"):
            super().log_message(format, *args)


def lan_address() -> str:
    """This machine's address on the local network (the one a phone on the same Wi-Fi reaches), or
    127.0.0.1 when there is none. No packet is sent: connecting a UDP socket only picks a route."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))
            return str(sock.getsockname()[0])
        except OSError:
            return LOCALHOST


def make_certificate(folder: str | os.PathLike[str], hosts: list[str], days: int = 7) -> tuple[Path, Path, str]:
    """A self-signed certificate for ``hosts`` (names and IP addresses): writes ``folder/cert.pem``
    and ``folder/key.pem`` (the key readable by the owner only) and returns their paths and the
    certificate's SHA-256 fingerprint (``AB:CD:...``), the one browsers show."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mlbasics serve (self-signed)")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=days))
                   .add_extension(x509.SubjectAlternativeName(names), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    folder = Path(folder)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    with atomic_write(cert_path) as handle:
        handle.write(certificate.public_bytes(serialization.Encoding.PEM))
    with atomic_write(key_path) as handle:
        os.chmod(handle.name, 0o600)
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex(":").upper()
    return cert_path, key_path, fingerprint


@dataclass
class Server:
    """A running (or ready) server: the HTTP server, the URL to open, the certificate (HTTPS only)."""

    httpd: http.server.ThreadingHTTPServer
    url: str
    certificate: Path | None = None
    fingerprint: str | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])


def page_folder(path: str | os.PathLike[str]) -> Path:
    """The web page's folder: ``path`` itself when it holds ``index.html``, else its one ``*-web``
    sub-folder that does (``mlbasics export --formats web --out DIR`` writes ``DIR/<name>-web``)."""
    path = Path(path)
    if (path / "index.html").is_file():
        return path
    pages = sorted(p.parent for p in path.glob("*-web/index.html"))
    if len(pages) == 1:
        return pages[0]
    if not pages:
        raise InputError(f"{path}: no index.html here or in a *-web folder; make one with `mlbasics export "
                         f"DETECTOR.weights.h5 --formats web --out {path}`")
    raise InputError(f"{path}: several pages ({', '.join(p.name for p in pages)}); name the one to serve")


def make_server(folder: str | os.PathLike[str], host: str = LOCALHOST, port: int = 8000, https: bool = False,
                cert_dir: str | os.PathLike[str] | None = None) -> Server:
    """A server for the web page in ``folder`` (:func:`page_folder`) bound to ``host:port`` (port 0:
    any free one), not yet serving. ``https``: TLS with a fresh self-signed certificate written to
    ``cert_dir``."""
    folder = page_folder(folder)
    handler = partial(_Handler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer((host, port), handler)
    httpd.daemon_threads = True
    bound = int(httpd.server_address[1])
    shown = lan_address() if host in ("0.0.0.0", "") else host
    if not https:
        return Server(httpd, f"http://{'localhost' if shown == LOCALHOST else shown}:{bound}/")
    if cert_dir is None:
        raise InputError("https needs cert_dir, a folder for the self-signed certificate")
    hosts = ["localhost", LOCALHOST, shown, socket.gethostname()]
    cert, key, fingerprint = make_certificate(cert_dir, hosts)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    return Server(httpd, f"https://{shown}:{bound}/", cert, fingerprint)


@contextlib.contextmanager
def serving(folder: str | os.PathLike[str], **kwargs: object) -> Iterator[Server]:
    """:func:`make_server` serving from a background thread for the length of the block (tests,
    benchmarks, the lesson), then shut down and its port freed."""
    server = make_server(folder, **kwargs)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(timeout=10)


#: Printed with an HTTPS server: which names the certificate covers.
CERTIFICATE_HOSTS_NOTE = ("The certificate covers localhost, 127.0.0.1, this machine's name and its network "
                          "address; it expires in a week and is deleted when the server stops.")
