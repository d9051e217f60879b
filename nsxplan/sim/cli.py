"""`nsxplan sim serve`: run the NSX Policy API simulator on a socket until SIGINT/SIGTERM.

Output contract (scripts and tests read it): the first stdout line is the URL, flushed as soon as
the socket listens; with TLS the second line is `CA bundle: <path>` (the certificate to trust).
Everything else goes to stderr. Bad flags or unreadable files: one line `error: ...` plus a
`hint:` line on stderr, exit 1, never a traceback.

Standalone until the lead wires the group into nsxplan/cli.py:
`python -m nsxplan.sim.cli serve --port 0`.
"""

from __future__ import annotations

import signal
import ssl
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:   # the server module is imported only by the commands that serve
    from nsxplan.sim.server import RunningServer

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SimCliError(click.ClickException):
    """A one-line error with a hint; exit 1 (ClickException's code)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    # The message alone: `nsxplan.cli.main` prints `hint` on its own line after it, and would
    # print it twice if it were part of the message too.
    def format_message(self) -> str:
        return str(self.message)

    def show(self, file: Any = None) -> None:
        hint = f"\n  hint: {self.hint}" if self.hint else ""
        click.echo(f"error: {self.message}{hint}", err=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _check_readable(path: str, what: str, hint: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise SimCliError(f"{path}: cannot read {what}: {exc.strerror or exc}", hint) from None


def _load_simulator(state: str | None, realization_delay: float, version: str | None,
                    nsx_version: str | None = None) -> Any:
    from nsxplan.sim import Simulator, demo_state

    kw: dict[str, Any] = {"realization_delay": realization_delay, "nsx_version": nsx_version}
    if version:
        kw["version"] = version
    if state is None:
        return Simulator(demo_state(), **kw)
    _check_readable(state, "state file", "check the --state path (a JSON snapshot, as "
                    "`nsxplan export` writes)")
    try:
        return Simulator.from_file(state, **kw)
    except Exception as exc:  # any loader complaint is the file's fault, not a crash
        raise SimCliError(f"{state}: not a valid simulator state: {_first_line(exc)}",
                          'expected {"resource_type": "Infra", "children": [...]} '
                          "(the Hierarchical API format)") from None


def _identity_map(items: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        cn, sep, name = item.partition("=")
        if not sep or not cn.strip() or not name.strip():
            raise SimCliError(f"--principal-identity {item!r} is not CN=NAME",
                              "for example --principal-identity "
                              "ncp-cert=wcp-cluster-user-domain-c8-1234")
        mapping[cn.strip()] = name.strip()
    return mapping


@click.group("sim")
def sim() -> None:
    """The embedded NSX Policy API simulator."""


@sim.command("serve")
@click.option("--state", metavar="FILE", help="H-API snapshot to serve (default: the demo state).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535),
              help="Port to bind; 0 picks a free one.  [default: 8080, 8443 with TLS]")
@click.option("--latency-ms", default=0.0, type=click.FloatRange(min=0),
              help="Processing time added to every request.")
@click.option("--rate-limit", type=click.FloatRange(min=0, min_open=True), metavar="N",
              help="Requests per second per client before 429 (NSX default: 100).")
@click.option("--concurrency-limit", type=click.IntRange(min=1), metavar="N",
              help="Requests in flight per client before 503.")
@click.option("--no-retry-after", is_flag=True, help="Omit Retry-After on 429/503.")
@click.option("--faults", metavar="FILE", help="YAML list of fault rules.")
@click.option("--seed", type=int, help="Seed for `rate:` fault rules without their own seed.")
@click.option("--username", envvar="NSXSIM_USERNAME", help="Require this user (basic/session).")
@click.option("--password", envvar="NSXSIM_PASSWORD",
              help="Its password (or NSXSIM_PASSWORD, which keeps it out of `ps`).")
@click.option("--session-timeout", default=1800.0, type=click.FloatRange(min=0, min_open=True),
              show_default=True, help="Idle seconds before a session expires.")
@click.option("--nsx-version", type=click.Choice(["3.2", "4.1", "4.2"]), metavar="3.2|4.1|4.2",
              help="NSX Manager version to play: its behaviours and /api/v1/node/version. "
                   "[default: 3.2]")
@click.option("--version", "product_version", metavar="V",
              help="product_version reported by /api/v1/node/version.")
@click.option("--realization-delay", default=0.0, type=click.FloatRange(min=0), metavar="S",
              help="Seconds before a written object is REALIZED.")
@click.option("--tls", is_flag=True, help="Serve HTTPS with a self-signed certificate.")
@click.option("--cert", metavar="FILE", help="Serve HTTPS with this certificate (PEM)...")
@click.option("--key", metavar="FILE", help="...and this private key (PEM).")
@click.option("--client-ca", metavar="FILE",
              help="Request client certificates signed by this CA (PEM); their CN names a "
                   "principal identity whose objects are PROTECTED. Implies --tls.")
@click.option("--principal-identity", "principal_identity", metavar="CN=NAME", multiple=True,
              help="Map a client-certificate CN to a principal identity name (repeatable); "
                   "with any mapping, unmapped CNs are refused.")
@click.option("--save-on-exit", is_flag=True, help="Write the state back to --state on exit.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request to stderr.")
def serve(state: str | None, host: str, port: int | None, latency_ms: float,
          rate_limit: float | None, concurrency_limit: int | None, no_retry_after: bool,
          faults: str | None,
          seed: int | None, username: str | None, password: str | None,
          session_timeout: float, nsx_version: str | None, product_version: str | None,
          realization_delay: float, tls: bool, cert: str | None, key: str | None,
          client_ca: str | None, principal_identity: tuple[str, ...], save_on_exit: bool,
          verbose: bool) -> None:
    """Run the simulator over HTTP(S) and print the URL it listens on."""
    from nsxplan.sim.compose import build_wsgi
    from nsxplan.sim.faults import FaultsError
    from nsxplan.sim.server import start_server

    if (username is None) != (password is None):
        raise SimCliError("--username and --password go together",
                          "give both to require authentication, or neither to allow everyone")
    if (cert is None) != (key is None):
        raise SimCliError("--cert and --key go together",
                          "give both, or use --tls alone for a self-signed certificate")
    if save_on_exit and state is None:
        raise SimCliError("--save-on-exit needs --state FILE",
                          "the state is written back to that file")
    identities = _identity_map(principal_identity)
    if identities and client_ca is None:
        raise SimCliError("--principal-identity needs --client-ca FILE",
                          "principal identities authenticate with client certificates")
    if port is None:
        port = 8443 if (tls or cert or client_ca) else 8080
    for path, flag in ((cert, "--cert"), (key, "--key"), (client_ca, "--client-ca")):
        if path is not None:
            _check_readable(path, flag.lstrip("-"), f"check the {flag} path (PEM)")
    simulator = _load_simulator(state, realization_delay, product_version, nsx_version)
    try:
        app = build_wsgi(simulator, username=username, password=password, rate_limit=rate_limit,
                         concurrency_limit=concurrency_limit, latency_ms=latency_ms,
                         faults=faults, seed=seed, session_timeout=session_timeout,
                         retry_after=not no_retry_after, principal_identities=identities)
    except FaultsError as exc:
        raise SimCliError(str(exc), exc.hint) from None
    try:
        server = start_server(app, host=host, port=port, tls=tls, cert=cert, key=key,
                              verbose=verbose, client_ca=client_ca)
    except ssl.SSLError as exc:
        what = "--cert/--key" + ("/--client-ca" if client_ca else "")
        raise SimCliError(f"cannot use {what}: {exc.reason or _first_line(exc)}",
                          "give a PEM certificate, its matching PEM private key and a PEM "
                          "CA bundle") from None
    except OSError as exc:
        raise SimCliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                          "choose another --port (0 picks a free one) or --host") from None

    notes = [f"NSX simulator listening on {server.url} (Ctrl-C to stop)"]
    if host not in ("127.0.0.1", "localhost", "::1"):
        notes.append(f"warning: bound to {host}: other machines can reach this simulator")
    _serve_until_stopped(server, notes)
    if save_on_exit and state is not None:
        try:
            simulator.save(state)
        except OSError as exc:
            raise SimCliError(f"{state}: cannot save state: {exc.strerror or exc}",
                              "check that the directory is writable") from None
        click.echo(f"state saved to {state}", err=True)


@sim.command("replay", short_help="Serve a --record-http recording back over HTTP.")
@click.argument("cassette", metavar="FILE")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to bind; 0 picks a free one.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request to stderr.")
def replay(cassette: str, host: str, port: int, verbose: bool) -> None:
    """Serve a recording (`--record-http FILE`) over HTTP: every request gets the answer NSX
    gave when it was recorded. Point the same nsxplan command at the URL it prints."""
    from nsxplan.sim.replay import CassetteError, ReplayApp, load_cassette
    from nsxplan.sim.server import start_server

    _check_readable(cassette, "recording", "give the file --record-http wrote")
    try:
        app = ReplayApp(load_cassette(cassette))
    except CassetteError as exc:
        raise SimCliError(f"{cassette}: {exc}", "give the file --record-http wrote") from None
    try:
        server = start_server(app, host=host, port=port, verbose=verbose)
    except OSError as exc:
        raise SimCliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                          "choose another --port (0 picks a free one) or --host") from None
    _serve_until_stopped(server, [f"replaying {cassette} on {server.url} (Ctrl-C to stop)"])
    if app.unmatched:
        click.echo(f"{len(app.unmatched)} request(s) were not in the recording, first: "
                   f"{app.unmatched[0]}", err=True)


def _serve_until_stopped(server: RunningServer, notes: list[str]) -> None:
    """Print the URL (and a TLS server's CA bundle) on stdout for scripts, `notes` on stderr for
    people, then serve until SIGINT or SIGTERM; stop the server and put the handlers back."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in SIGNALS}
    try:
        click.echo(server.url)
        if server.ca_file:
            click.echo(f"CA bundle: {server.ca_file}")
        sys.stdout.flush()
        for note in notes:
            click.echo(note, err=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point; usage errors exit 1 (click would use 2), as the CLI contract says."""
    try:
        sim.main(args=argv, prog_name="nsxplan sim", standalone_mode=False)
    except click.UsageError as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        click.echo("  hint: see `nsxplan sim serve --help`", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
