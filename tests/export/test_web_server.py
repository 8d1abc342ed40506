"""``mlbasics serve``: localhost over HTTP by default, HTTPS with a certificate made on the spot."""

import socket
import ssl
import urllib.error
import urllib.request

import pytest

from mlbasics.cli import build_parser
from mlbasics.core.errors import InputError
from mlbasics.export.web.server import make_server, page_folder, serving


@pytest.fixture
def page(tmp_path):
    folder = tmp_path / "out" / "det-web"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text("<!doctype html><title>page</title>")
    (folder / "m.wasm").write_bytes(b"\0asm")
    return folder


def test_binds_localhost_by_default(page):
    server = make_server(page, port=0)
    try:
        assert server.httpd.server_address[0] == "127.0.0.1"
        assert server.url == f"http://localhost:{server.port}/" and server.certificate is None
    finally:
        server.httpd.server_close()
    args = build_parser().parse_args(["serve", str(page)])
    assert (args.host, args.https, args.phone, args.port) == (None, False, False, 8000)


def test_serves_the_page_with_isolation_headers_and_wasm_type(page):
    with serving(page.parent, port=0) as server:  # the --out folder: its one *-web page is found
        with urllib.request.urlopen(server.url + "m.wasm", timeout=10) as response:
            assert response.headers["Content-Type"] == "application/wasm"
            assert response.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
            assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        # only the loopback interface listens: another address of this machine is refused
        with socket.socket() as sock:
            sock.settimeout(2)
            assert sock.connect_ex(("127.0.0.1", server.port)) == 0


def test_https_makes_a_certificate_and_serves_over_tls(page, tmp_path):
    with serving(page, port=0, https=True, cert_dir=tmp_path / "tls") as server:
        assert server.url.startswith("https://") and len(server.fingerprint.split(":")) == 32
        context = ssl.create_default_context(cafile=str(server.certificate))  # verifies chain and host name
        url = f"https://localhost:{server.port}/index.html"
        with urllib.request.urlopen(url, context=context, timeout=10) as response:
            assert b"<title>page</title>" in response.read()
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):  # untrusted by default
            urllib.request.urlopen(url, context=ssl.create_default_context(), timeout=10)
        with pytest.raises((urllib.error.URLError, ConnectionError)):  # no plain HTTP on the TLS port
            urllib.request.urlopen(f"http://localhost:{server.port}/index.html", timeout=10).read()
    assert oct((tmp_path / "tls" / "key.pem").stat().st_mode & 0o777) == "0o600"


def test_phone_means_every_interface_and_https(page, capsys, tmp_path):
    args = build_parser().parse_args(["serve", str(page), "--phone", "--port", "0"])
    assert args.phone and args.host is None
    server = make_server(page, "0.0.0.0", 0, https=True, cert_dir=tmp_path)  # what --phone asks for
    try:
        assert server.httpd.server_address[0] == "0.0.0.0" and server.url.startswith("https://")
    finally:
        server.httpd.server_close()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", str(page), "--port", "70000"])
    assert "port number 0-65535" in capsys.readouterr().err


def test_page_folder_errors(tmp_path, page):
    assert page_folder(page.parent) == page
    with pytest.raises(InputError, match="no index.html"):
        page_folder(tmp_path)
    (tmp_path / "out" / "b-web").mkdir()
    (tmp_path / "out" / "b-web" / "index.html").write_text("")
    with pytest.raises(InputError, match="several pages"):
        page_folder(tmp_path / "out")
