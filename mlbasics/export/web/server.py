"""Serve an exported web folder: plain HTTP on this machine, HTTPS for a phone on the same network.

Browsers open the camera only in a *secure context*: ``https://`` pages, or ``http://localhost``
/ ``127.0.0.1`` on the same machine. A phone reaches the computer by its network address, so
:func:`make_server` with ``https=True`` makes a self-signed certificate on the spot (valid for
this machine's names and addresses, for a week). The phone's browser warns that it does not know
who signed it, which is true: you did, a second ago. Compare the fingerprint printed by
``mlbasics serve --phone`` with the one the warning page shows, then proceed.

The server sends ``Cross-Origin-Opener-Policy`` / ``Cross-Origin-Embedder-Policy`` so the page
is cross-origin isolated: ONNX Runtime Web may then use several WebAssembly threads.

What it serves: regular files whose real path (symbolic links resolved) is inside the folder, and
nothing else (no listings, no links out of it, no FIFOs); a request path with a NUL byte, a bad
``%`` escape or bytes that are not UTF-8 gets 400. On the HTTPS port, a plain ``http://`` request
gets a one-line answer naming the ``https://`` address. A port in use is one line naming it.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import http
import http.server
import ipaddress
import os
import re
import socket
import ssl
import stat
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from mlbasics.core.errors import InputError
from mlbasics.core.limits import Param, Range
from mlbasics.io.files import atomic_write

LOCALHOST = "127.0.0.1"
PORT = Param("port", 8000, Range(0, 65535, "TCP ports end at 65535"), "TCP port (0: any free port)")


#: Seconds a connection may stay silent (TLS handshake, next request) before it is closed.
CONNECTION_TIMEOUT_S = 60
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with the MIME types ONNX Runtime Web needs, isolation headers and no caching.

    Only regular files whose real path (symbolic links resolved) lies inside the served folder are
    answered; anything else is 404, a path with a NUL byte or a bad escape is 400, and there are no
    folder listings.
    """

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript",
                      ".js": "text/javascript", ".wasm": "application/wasm", ".onnx": "application/octet-stream",
                      ".json": "application/json", ".webmanifest": "application/manifest+json"}

    def end_headers(self) -> None:
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        if os.environ.get("MLBASICS_SERVE_LOG"):
            super().log_message(format, *args)

    def _request_path(self) -> str | None:
        """The request's path, decoded; None after answering 400 (NUL byte, bad escape, not UTF-8)."""
        raw = self.path.split("?", 1)[0].split("#", 1)[0]
        try:
            if _BAD_ESCAPE.search(raw):
                raise ValueError("a % not followed by two hex digits")
            path = urllib.parse.unquote(raw, errors="strict")
            if "\0" in path:
                raise ValueError("a NUL byte")
        except (ValueError, UnicodeDecodeError) as exc:
            reason = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else str(exc)
            self.send_error(http.HTTPStatus.BAD_REQUEST, f"bad path: {reason}")
            return None
        return path

    def send_head(self) -> BinaryIO | None:
        path = self._request_path()
        if path is None:
            return None
        root = os.path.realpath(self.directory)
        target = os.path.realpath(os.path.join(root, *[p for p in path.split("/") if p not in ("", ".", "..")]))
        if os.path.commonpath([root, target]) != root:
            self.send_error(http.HTTPStatus.NOT_FOUND, "File not found")
            return None
        if os.path.isdir(target):
            if not path.endswith("/"):  # as the base class: relative links in index.html need the slash
                self.send_response(http.HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", urllib.parse.quote(path) + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            target = os.path.realpath(os.path.join(target, "index.html"))
            if os.path.commonpath([root, target]) != root:
                self.send_error(http.HTTPStatus.NOT_FOUND, "File not found")
                return None
        try:  # O_NONBLOCK: a FIFO must not hang the server; it is refused below as not a regular file
            fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            self.send_error(http.HTTPStatus.NOT_FOUND, "File not found")
            return None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            self.send_error(http.HTTPStatus.NOT_FOUND, "File not found")
            return None
        handle = os.fdopen(fd, "rb")
        self.send_response(http.HTTPStatus.OK)
        self.send_header("Content-type", self.guess_type(target))
        self.send_header("Content-Length", str(info.st_size))
        self.send_header("Last-Modified", self.date_time_string(int(info.st_mtime)))
        self.end_headers()
        return handle


class _HTTPServer(http.server.ThreadingHTTPServer):
    """The server, with TLS done per connection (``tls``) so that a plain ``http://`` request on the
    HTTPS port gets a one-line answer instead of a reset, and with no tracebacks for broken
    connections."""

    daemon_threads = True
    tls: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(CONNECTION_TIMEOUT_S)
        if self.tls is not None:
            try:
                first = request.recv(1, socket.MSG_PEEK)
                if first != b"\x16":  # not a TLS handshake record: plain HTTP (or junk)
                    _answer_plain_http(request, self.server_address[1])
                    return
                request = self.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):  # a client that left, or a failed handshake
                return
            with request:  # the TLS socket took over the connection: closing it is ours to do
                super().finish_request(request, client_address)
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):  # a connection reset or timed out: the browser's business
            return
        print(f"mlbasics serve: request from {client_address[0]} failed: {type(error).__name__}: {error}",
              file=sys.stderr)


def _answer_plain_http(request: socket.socket, port: int) -> None:
    """Answer an ``http://`` request sent to the HTTPS port with one line saying to use https."""
    received = request.recv(65536)
    host = re.search(rb"^host:[ \t]*([^\s:]+|\[[^\]]*\])", received, re.IGNORECASE | re.MULTILINE)
    name = host.group(1).decode("ascii", "replace") if host else "this-address"
    body = f"This server speaks HTTPS only: open https://{name}:{port}/ instead of http://.\n".encode()
    request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    request.shutdown(socket.SHUT_WR)


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


def make_server(folder: str | os.PathLike[str], host: str = LOCALHOST, port: int = PORT.default, https: bool = False,
                cert_dir: str | os.PathLike[str] | None = None) -> Server:
    """A server for the web page in ``folder`` (:func:`page_folder`) bound to ``host:port`` (port 0:
    any free one), not yet serving. ``https``: TLS with a fresh self-signed certificate written to
    ``cert_dir``."""
    PORT.check(port)
    folder = page_folder(folder)
    handler = partial(_Handler, directory=str(folder))
    try:
        httpd = _HTTPServer((host, port), handler)
    except OSError as exc:
        raise InputError(_bind_error(exc, host, port)) from None
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
    httpd.tls = context
    return Server(httpd, f"https://{shown}:{bound}/", cert, fingerprint)


def _bind_error(exc: OSError, host: str, port: int) -> str:
    """One line for a failed bind, naming the port or address and what to do."""
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} is in use on {host} (another server, or an earlier `mlbasics serve` still running): "
                f"stop that one, or choose another port with --port N (--port 0: any free port)")
    if exc.errno == errno.EACCES:
        return (f"port {port} needs administrator rights on this system: choose --port 1024 or above "
                f"(the default is 8000)")
    if exc.errno in (errno.EADDRNOTAVAIL, getattr(errno, "EAFNOSUPPORT", -1)) or isinstance(exc, socket.gaierror):
        return f"--host {host}: not an address of this machine ({exc.strerror or exc}); leave --host out for 127.0.0.1"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


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
                          "address; it expires in a week. It and its key are deleted when the server stops "
                          "(Ctrl+C, SIGTERM, SIGHUP), or at the next start after a kill -9.")
