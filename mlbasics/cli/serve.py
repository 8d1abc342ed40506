"""``mlbasics serve DIR``: serve a web export (the detector's camera page) to a browser or a phone."""

from __future__ import annotations

import argparse
import contextlib

from mlbasics.cli._args import add_param, existing_dir
from mlbasics.cli._signals import Stopped, stop_on_signals
from mlbasics.export.web.server import CERTIFICATE_HOSTS_NOTE, PORT, make_server
from mlbasics.io.files import owned_tempdir, remove_stale_owned

#: What the certificate warning means, printed with --https.
CERTIFICATE_NOTE = """\
The certificate was made on this machine a moment ago and signed by itself, so the phone's browser
warns that it cannot check who issued it ("Your connection is not private" / "This Connection Is Not
Private"). The connection is still encrypted. Browsers give pages the camera only in a secure
context (https:// or localhost), which is why this is HTTPS at all. Check that the fingerprint the
warning page shows (certificate details) is the one above, then choose Advanced -> Proceed (Chrome)
or Show Details -> visit this website (Safari). Phone and computer must be on the same network."""


#: The certificate folder's name in the system's temporary folder: ``mlbasics-serve-<pid>.<random>``.
CERT_DIR_PREFIX = "mlbasics-serve-"


def _serve(args: argparse.Namespace) -> int:
    host = "0.0.0.0" if args.phone and args.host is None else (args.host or "127.0.0.1")
    https = args.https or args.phone
    for folder in remove_stale_owned(CERT_DIR_PREFIX):
        print(f"removed {folder}, the certificate folder of a server that was killed")
    stopped = None
    with stop_on_signals(), contextlib.ExitStack() as stack:
        try:
            # Plain HTTP needs no folder; HTTPS keeps its certificate and key in a private one.
            cert_dir = stack.enter_context(owned_tempdir(CERT_DIR_PREFIX)) if https else None
            server = make_server(args.folder, host, args.port, https=https, cert_dir=cert_dir)
            stack.callback(server.httpd.server_close)
            print(f"serving {args.folder} on {host}:{server.port}")
            print(f"open {server.url}" + (" on the phone" if args.phone else ""))
            if server.fingerprint:
                print(f"certificate SHA-256 fingerprint: {server.fingerprint}")
                print(CERTIFICATE_NOTE)
                print(CERTIFICATE_HOSTS_NOTE)
            print("stop with Ctrl+C (or SIGTERM / SIGHUP)", flush=True)
            server.httpd.serve_forever()
        except Stopped as signal_name:
            stopped = str(signal_name)
    # Here the server is closed and the certificate folder removed (the blocks above have ended).
    print(f"stopped ({stopped})" + ("; the certificate and its key are deleted" if https else ""), flush=True)
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``mlbasics serve``."""
    serve = subparsers.add_parser("serve", help="serve a web export (mlbasics export --formats web) to a browser; "
                                  "--phone: over HTTPS to a phone on the same network")
    serve.add_argument("folder", type=existing_dir, help="the --out folder of `mlbasics export ... --formats web` "
                                                         "(or the page's own folder)")
    add_param(serve, PORT)
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1: this machine only; "
                                                    "0.0.0.0: every network, which --phone implies)")
    serve.add_argument("--https", action="store_true", help="serve over HTTPS with a self-signed certificate made "
                                                            "on the spot")
    serve.add_argument("--phone", action="store_true", help="for a phone on the same Wi-Fi: --host 0.0.0.0 --https")
    serve.set_defaults(func=_serve)
