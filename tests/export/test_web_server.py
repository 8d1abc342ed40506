"""``mlbasics serve``: localhost over HTTP by default, HTTPS with a certificate made on the spot."""

import os
import signal
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

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
        with pytest.raises(urllib.error.HTTPError, match="400"):  # no plain HTTP on the TLS port
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
    assert "argument --port: must be an integer in 0..65,535" in capsys.readouterr().err


def test_page_folder_errors(tmp_path, page):
    assert page_folder(page.parent) == page
    with pytest.raises(InputError, match="no index.html"):
        page_folder(tmp_path)
    (tmp_path / "out" / "b-web").mkdir()
    (tmp_path / "out" / "b-web" / "index.html").write_text("")
    with pytest.raises(InputError, match="several pages"):
        page_folder(tmp_path / "out")


# --- what is served: regular files inside the folder, and nothing else -------------------------------------------


def _get(port: int, raw_path: str) -> tuple[int, bytes]:
    """Status and body of ``GET raw_path`` sent byte for byte (no client-side quoting or checks)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {raw_path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_serves_only_regular_files_inside_the_folder(page, tmp_path, capsys):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (page / "etc").symlink_to("/etc")
    (page / "secret.txt").symlink_to(outside)
    (page / "sub").mkdir()
    (page / "sub" / "up").symlink_to(tmp_path)
    (page / "inside.wasm").symlink_to(page / "m.wasm")  # a link that stays inside is fine
    os.mkfifo(page / "fifo.js")  # would hang a plain open()
    with serving(page, port=0) as server:
        assert _get(server.port, "/etc/passwd")[0] == 404
        assert _get(server.port, "/etc/")[0] == 404
        assert _get(server.port, "/secret.txt")[0] == 404
        assert _get(server.port, "/sub/up/secret.txt")[0] == 404
        assert _get(server.port, "/../secret.txt")[0] == 404
        assert _get(server.port, "/%2e%2e/secret.txt")[0] == 404
        assert _get(server.port, "/fifo.js")[0] == 404
        assert _get(server.port, "/sub/")[0] == 404  # a folder without index.html: no listing
        assert _get(server.port, "/inside.wasm") == (200, b"\0asm")
        assert _get(server.port, "/")[0] == 200
        assert _get(server.port, "/sub")[0] == 301
    assert b"secret" not in capsys.readouterr().err.encode()


@pytest.mark.parametrize("raw_path", ["/a%00b", "/a\0b", "/%zz", "/index.html%", "/%ff%fe", "/%ed%a0%80"])
def test_a_bad_request_path_is_answered_400_without_a_traceback(page, raw_path, capsys):
    with serving(page, port=0) as server:
        status, body = _get(server.port, raw_path)
        assert status == 400 and b"bad path" in body
        assert _get(server.port, "/index.html")[0] == 200  # the server goes on
    assert "Traceback" not in capsys.readouterr().err


def test_a_port_in_use_is_one_line_naming_it(page, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InputError, match=f"port {port} is in use.*--port"):
            make_server(page, port=port)
        done = _cli(["serve", str(page), "--port", str(port)], tmp_path)
        with_https = _cli(["serve", str(page), "--port", str(port), "--https"], tmp_path)
    assert with_https.returncode == 2 and _folders(tmp_path) == []  # its certificate folder is gone too
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"mlbasics serve: error: port {port} is in use on 127.0.0.1 (another server, or an earlier `mlbasics serve` "
        f"still running): stop that one, or choose another port with --port N (--port 0: any free port)"]


def test_a_host_that_is_not_this_machines_is_one_line_naming_it(page):
    with pytest.raises(InputError, match="--host 192.0.2.1: not an address of this machine"):
        make_server(page, host="192.0.2.1", port=0)  # TEST-NET-1: never assigned
    with pytest.raises(InputError, match="--host no-such-host.invalid: not an address"):
        make_server(page, host="no-such-host.invalid", port=0)


def test_plain_http_on_the_https_port_is_told_to_use_https(page, tmp_path):
    with serving(page, port=0, https=True, cert_dir=tmp_path / "tls") as server:
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"http://localhost:{server.port}/index.html", timeout=10)
        assert caught.value.code == 400
        assert caught.value.read().decode() == (f"This server speaks HTTPS only: open https://localhost:"
                                                f"{server.port}/ instead of http://.\n")


# --- the server's folders after a stop: real signals on a real `mlbasics serve` ----------------------------------


def _cli(argv: list[str], tmp: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlbasics.cli", *argv], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TMPDIR": str(tmp)}, **kwargs)


def _start(page: Path, tmp: Path, *options: str) -> tuple[subprocess.Popen, list[str]]:
    """``mlbasics serve page --port 0 options`` with ``tmp`` as its temporary folder, once it serves."""
    process = subprocess.Popen([sys.executable, "-m", "mlbasics.cli", "serve", str(page), "--port", "0", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"})
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("stop with"):
            return process, lines
    process.wait(timeout=30)
    raise AssertionError(f"serve did not start: {lines} {process.stderr.read()}")


def _folders(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("mlbasics-serve-*"))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_every_stop_signal_removes_the_certificate_and_its_key(page, tmp_path, sig):
    temp = tmp_path / "temp"
    temp.mkdir()
    process, lines = _start(page, temp, "--https")
    (folder,) = _folders(temp)
    assert (folder / "key.pem").is_file() and folder.name.startswith(f"mlbasics-serve-{process.pid}.")
    process.send_signal(sig)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"stopped ({sig.name})" in out and "Traceback" not in err
    assert _folders(temp) == [] and list(temp.iterdir()) == []


def test_plain_serve_leaves_no_folder(page, tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    process, _ = _start(page, temp)
    assert list(temp.iterdir()) == []
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    assert process.returncode == 0 and list(temp.iterdir()) == []


def test_a_killed_servers_folder_is_removed_at_the_next_start(page, tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    process, _ = _start(page, temp, "--https")
    (killed,) = _folders(temp)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert (killed / "key.pem").is_file()  # SIGKILL cannot be caught: left behind
    live = temp / f"mlbasics-serve-{os.getpid()}.alive"  # a live owner's folder is kept
    live.mkdir()
    unrelated = temp / "mlbasics-serve-notes"
    unrelated.mkdir()
    process, lines = _start(page, temp, "--https")
    try:
        assert f"removed {killed}, the certificate folder of a server that was killed" in lines
        assert not killed.exists() and live.is_dir() and unrelated.is_dir()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert sorted(temp.iterdir()) == sorted([unrelated, live])
