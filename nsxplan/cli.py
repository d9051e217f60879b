"""The command line: the only composition root.

It reads flags and the environment, builds the pieces (config, connection, plan, apply), prints
artifacts to stdout and logs to stderr, and maps errors to Terraform's exit codes. Everything it
calls returns values; nothing below it prints or exits.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from nsxplan import __version__, commands
from nsxplan.errors import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_SIGINT,
    Interrupted,
    NsxplanError,
    UsageError,
)

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("nsxplan")

FORMATS = click.Choice(["text", "json", "markdown"])
ENV_PREFIX = "NSXPLAN"     # every option: NSXPLAN_<COMMAND>_<OPTION> (see _flag_env_names)


def _use_color(no_color: bool) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("nsxplan")
    root.handlers[:] = [handler]
    root.setLevel(level)


def _note(message: str) -> None:
    click.echo(message, err=True)


def _emit(text: str) -> None:
    """An artifact on stdout, always ending in one newline (shell prompts, `>>` appends)."""
    click.echo(text if text.endswith("\n") else text + "\n", nl=False)


def _write_output(text: str | bytes, out: str | None) -> None:
    """Artifacts go to stdout unless --out names a file (written atomically)."""
    if out is None:
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        return
    from nsxplan.durable import write_atomic

    write_atomic(Path(out), text, mode=0o644)


def common_options(func: F) -> F:
    """--no-color and -v on every command, so they work after the verb as users type them."""

    @click.option("--no-color", is_flag=True, help="No ANSI colours (also NO_COLOR=1).")
    @click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv: debug).")
    @wraps(func)
    def wrapper(*args: Any, no_color: bool, verbose: int, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        obj = ctx.find_root().obj or {}
        verbose = max(verbose, obj.get("verbose", 0))
        _setup_logging(verbose)
        kwargs["color"] = _use_color(no_color or obj.get("no_color", False))
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def target_options(func: F) -> F:
    """How to reach NSX. Precedence: flag, then environment, then the configuration's target."""

    @click.option("--manager", envvar="NSX_MANAGER", default=None, metavar="URL",
                  help="https://host[:port], sim (embedded simulator) or sim:FILE. "
                       "Env NSX_MANAGER.")
    @click.option("--username", envvar="NSX_USERNAME", default=None, metavar="USER",
                  help="Env NSX_USERNAME; the password only from NSX_PASSWORD or a prompt.")
    @click.option("--insecure", is_flag=True,
                  help="Skip TLS verification (refused for plain http:// to a non-loopback host).")
    @click.option("--ca-bundle", type=click.Path(dir_okay=False), default=None,
                  help="CA certificates to verify the manager's TLS certificate.")
    @click.option("--rate-limit", type=click.FloatRange(1, 1000), default=None, metavar="N",
                  help="Client requests per second, at most (default 95; NSX allows 100 per "
                       "user). Halved on every 429, recovered while NSX accepts.")
    @click.option("--record-http", type=click.Path(dir_okay=False), default=None,
                  metavar="FILE",
                  help="Record every HTTP exchange to FILE (a vcrpy cassette, credentials "
                       "scrubbed) for a support report; replay: nsxplan sim replay FILE.")
    @wraps(func)
    def wrapper(*args: Any, manager: str | None, username: str | None, insecure: bool,
                ca_bundle: str | None, rate_limit: float | None, record_http: str | None,
                **kwargs: Any) -> Any:
        kwargs["conn_opts"] = commands.ConnectOptions(
            manager=manager,
            username=username,
            password=os.environ.get("NSX_PASSWORD"),
            client_cert=os.environ.get("NSX_CLIENT_CERT"),
            client_key=os.environ.get("NSX_CLIENT_KEY"),
            insecure=insecure,
            ca_bundle=ca_bundle,
            rate_limit=rate_limit,
            prompt=_prompt_password if sys.stdin.isatty() else None,
            record_http=record_http,
        )
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def progress_options(func: F) -> F:
    """--quiet, and the progress display the command's reads and writes report to: a live status
    line on a terminal, plain lines otherwise (apply's step lines), nothing with --quiet."""

    @click.option("-q", "--quiet", is_flag=True,
                  help="No progress on stderr (errors, warnings and results still print).")
    @wraps(func)
    def wrapper(*args: Any, quiet: bool, **kwargs: Any) -> Any:
        progress = _progress(quiet)
        kwargs["progress"] = progress
        try:
            return func(*args, **kwargs)
        finally:
            close = getattr(progress, "close", None)
            if close is not None:
                close()

    return wrapper  # type: ignore[return-value]


def _progress(quiet: bool) -> Any:
    if quiet:
        from nsxplan.apply.report import Reporter

        return Reporter()           # every event ignored
    if sys.stderr.isatty() and os.environ.get("TERM") != "dumb":
        from nsxplan.apply.status import StatusReporter

        return StatusReporter(sys.stderr)
    return None                     # the default: apply's plain step lines


def _prompt_password(user: str, manager: str) -> str:
    return str(click.prompt(f"NSX password for {user} at {manager}", hide_input=True, err=True))


# The three invocations most sessions start with; `\b` keeps click from rewrapping them.
EPILOG = """\b
Common invocations:
  nsxplan plan DIR --out plan.json   # read NSX, print the plan and save it
  nsxplan apply plan.json            # apply exactly that plan (exit 3 if NSX changed)
  nsxplan drift DIR                  # for cron: exit 2 when NSX drifted from DIR

\b
DIR is a YAML file or a directory of them. Target: --manager https://HOST (or
NSX_MANAGER, or target.manager in the YAML), sim (demo state) or sim:FILE;
credentials from NSX_USERNAME/NSX_PASSWORD. Exit codes: 0 ok, 1 error,
2 changes or drift, 3 saved plan stale. Flags: nsxplan COMMAND --help.
"""


class _Group(click.Group):
    """The `sim` group is imported when it is used or listed: the simulator's modules would add
    ~40 ms to every other command's start."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, "sim"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "sim" and "sim" not in self.commands:
            from nsxplan.sim.cli import sim  # the simulator's own command group

            self.add_command(sim)
            _flag_env_names(sim, f"{ENV_PREFIX}_SIM")
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=EPILOG, invoke_without_command=True,
             subcommand_metavar="COMMAND [ARGS]...")
@click.version_option(__version__, "--version", prog_name="nsxplan")
@click.option("--no-color", is_flag=True, help="No ANSI colours (also NO_COLOR=1).")
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv: debug).")
@click.pass_context
def cli(ctx: click.Context, no_color: bool, verbose: int) -> None:
    """Plan and apply NSX-T Policy API changes from YAML, Terraform-style."""
    ctx.obj = {"no_color": no_color, "verbose": verbose}
    if ctx.invoked_subcommand is None:
        # Bare `nsxplan`: the help, on stderr as for any usage error, the same on every click.
        click.echo(ctx.get_help(), err=True)
        ctx.exit(EXIT_ERROR)


# --------------------------------------------------------------------------- validate


@cli.command(short_help="Check a configuration offline (no NSX needed).")
@click.argument("path", type=click.Path())
@click.option("--fail-on-checks", type=click.Choice(["fail", "warn", "never"]), default="fail",
              show_default=True, help="Which offline dependency checks make it invalid.")
@common_options
def validate(path: str, fail_on_checks: str, color: bool) -> int:
    """Check a configuration offline: YAML, schema, semantic rules, offline dependency checks.

    PATH is a YAML file or a directory of *.yaml files. Exit 0 valid, 1 invalid (every error
    with file:line:column and a hint).
    """
    result = commands.validate(Path(path))
    _keep(result)
    checks_text = commands.render_checks(result.checks, color=color)
    if checks_text:
        click.echo(checks_text, err=True)
    # The same level that would block `apply` fails CI here, before the change window.
    commands.enforce_checks_offline(result.checks, fail_on_checks)
    click.echo(result.summary)
    return EXIT_OK


# --------------------------------------------------------------------------- plan / drift


@cli.command(short_help="Read live state and print the plan; --out saves it.")
@click.argument("path", type=click.Path())
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Save the plan (JSON) for `nsxplan apply PLANFILE`.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True,
              help="markdown: for a pull-request comment; json: the saved-plan format.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 no changes, 2 changes, 1 error.")
@click.option("--full", is_flag=True,
              help="JSON and --out: unchanged objects with their bodies, not summarized.")
@click.option("--adopt", is_flag=True,
              help="Take over existing unowned objects with the same ids (adds the owner tag).")
@click.option("--fail-on-checks", type=click.Choice(["fail", "warn", "never"]), default="fail",
              show_default=True, help="Which dependency checks make the plan fail (failures "
                                      "this plan causes or leaves; not ones already failing "
                                      "that it does not touch).")
@click.option("--ignore", "ignores", multiple=True, metavar="PATTERN[:FIELDS]",
              help="Objects (policy path or address glob) or FIELDS of them that may drift "
                   "(repeatable; adds to the YAML `ignore:` list).")
@target_options
@progress_options
@common_options
def plan(path: str, out: str | None, fmt: str, detailed_exitcode: bool, full: bool, adopt: bool,
         fail_on_checks: str, ignores: tuple[str, ...], conn_opts: commands.ConnectOptions,
         color: bool, progress: Any) -> int:
    """Read live NSX state in bulk, diff it with the configuration and print the plan.

    PATH is a YAML file or a directory of *.yaml files. Exit 0 (with --detailed-exitcode: 0 no
    changes, 2 changes), 1 error or a failed dependency check.
    """
    result = commands.plan(Path(path), conn_opts, adopt_all=adopt, note=_note,
                           progress=progress, ignores=ignores,
                           unchanged_bodies=full and (fmt == "json" or out is not None),
                           early=True)
    _keep(result)
    _emit(commands.render(result.plan, fmt, color=color, full=full))
    why = commands.mass_change(result.plan)
    if why:
        n = len([a for a in result.plan.changes if a.action in ("delete", "replace")])
        _note(f"apply will refuse this plan: {why}; if intended, apply it with "
              f"--allow-deletes {n}")
    if out:
        commands.save_plan(result.plan, Path(out), full=full)
        # Saved all the same (for review), but `apply` (default level: fail) would stop there.
        if any(commands.checks_block(result.plan, level) for level in ("fail", fail_on_checks)):
            _note(f"Plan saved to {out}, but its dependency checks fail: fix them and plan "
                  "again, or apply it with --fail-on-checks never")
        else:
            _note(f"Plan saved to {out}; apply it exactly with: nsxplan apply {out}")
    commands.enforce_checks(result.plan, fail_on_checks)
    if detailed_exitcode and result.plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


@cli.command(short_help="For cron: exit 2 if live state drifted; changes nothing.")
@click.argument("path", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: the plan format, for scripts.")
@click.option("--full", is_flag=True,
              help="JSON and --out: unchanged objects with their bodies, not summarized.")
@click.option("--metrics", type=click.Path(dir_okay=False), default=None,
              help="Write a Prometheus textfile (node_exporter textfile collector).")
@click.option("--ignore", "ignores", multiple=True, metavar="PATTERN[:FIELDS]",
              help="Objects (policy path or address glob) or FIELDS of them that may drift "
                   "(repeatable; adds to the YAML `ignore:` list).")
@target_options
@progress_options
@common_options
def drift(path: str, fmt: str, full: bool, metrics: str | None, ignores: tuple[str, ...],
          conn_opts: commands.ConnectOptions, color: bool, progress: Any) -> int:
    """For cron: compare live state with the configuration; change nothing.

    Exit 0 in sync; 2 drift: a change to make, a failing dependency check that is not waived,
    or a rogue object (made by hand inside a gateway the configuration manages); 1 error.
    """
    result = commands.drift(Path(path), conn_opts, note=_note, progress=progress,
                            ignores=ignores, unchanged_bodies=full and fmt == "json", early=True)
    _emit(commands.render(result.plan, fmt, color=color, full=full))
    if metrics:
        commands.write_drift_metrics(result.plan, Path(metrics))
    findings = commands.drift_findings(result.plan)
    if findings and fmt != "json":
        _note(f"drift: {len(findings)} finding{'s' if len(findings) != 1 else ''}: "
              + "; ".join(findings[:5]) + (" ..." if len(findings) > 5 else ""))
    return EXIT_CHANGES if findings else EXIT_OK


@cli.command(short_help="After apply: BGP neighbors, default route, egress routes as NSX runs.")
@click.argument("path", type=click.Path())
@target_options
@common_options
def verify(path: str, conn_opts: commands.ConnectOptions, color: bool) -> int:
    """Read each Tier-0's runtime views (BGP neighbor status, routing table) and report: every
    declared neighbor Established, a default route and through whom, every Tier-1 SNAT address
    of the configuration in the table. Reads only. Exit 0 when all hold, 1 otherwise.
    """
    checks = commands.verify(Path(path), conn_opts, note=_note)
    _emit(commands.render_verification(checks, color=color))
    return EXIT_OK if all(c.status == "ok" for c in checks) else EXIT_ERROR


@cli.command(short_help="Render a saved plan (text, json, markdown).")
@click.argument("planfile", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True,
              help="markdown: for a pull-request comment.")
@common_options
def show(planfile: str, fmt: str, color: bool) -> int:
    """Render a saved plan (written by `nsxplan plan --out PLANFILE`)."""
    saved = commands.load_plan(Path(planfile))
    _emit(commands.render(saved, fmt, color=color))
    return EXIT_OK


# --------------------------------------------------------------------------- apply / rollback


@cli.command(short_help="Plan (or load a saved plan), confirm, write, roll back on failure.")
@click.argument("path", metavar="[PATH|PLANFILE]", type=click.Path(), required=False,
                default=None)
@click.option("--auto-approve", is_flag=True,
              help="Do not ask for `yes` (needed without a terminal, e.g. in CI).")
@click.option("--parallelism", type=click.IntRange(1, 32), default=4, show_default=True,
              metavar="N",
              help="Independent writes in flight at once.")
@click.option("--atomic", is_flag=True,
              help="Each dependency wave as one all-or-nothing Hierarchical API PATCH "
                   "(fewer requests; deletes stay one by one).")
@click.option("--no-rollback", is_flag=True,
              help="On failure leave NSX as it is (restore later with `nsxplan rollback JOURNAL`).")
@click.option("--journal", type=click.Path(dir_okay=False), default=None,
              help="Journal file (default: .nsxplan/journal-<time>.jsonl beside the "
                   "configuration or saved plan).")
@click.option("--adopt", is_flag=True,
              help="Take over existing unowned objects with the same ids (as plan --adopt).")
@click.option("--fail-on-checks", type=click.Choice(["fail", "warn", "never"]), default="fail",
              show_default=True, help="Which dependency checks block the apply.")
@click.option("--realization-timeout", type=click.FloatRange(0.1), default=120.0, metavar="S",
              show_default=True, help="Seconds to wait for each object to realize.")
@click.option("--allow-deletes", type=click.IntRange(0), default=None, metavar="N",
              help="Allow up to N deletes and replaces, above the `guards:` thresholds "
                   "(default: more than 10, or 25 % of the owner's objects, are refused).")
@click.option("--ignore", "ignores", multiple=True, metavar="PATTERN[:FIELDS]",
              help="Objects (policy path or address glob) or FIELDS of them that may drift "
                   "(repeatable; adds to the YAML `ignore:` list).")
@target_options
@progress_options
@common_options
def apply(path: str | None, auto_approve: bool, parallelism: int, atomic: bool, no_rollback: bool,
          journal: str | None, adopt: bool, fail_on_checks: str, realization_timeout: float,
          allow_deletes: int | None, ignores: tuple[str, ...],
          conn_opts: commands.ConnectOptions, color: bool, progress: Any) -> int:
    """Plan (or load a saved plan), confirm, then write in dependency order with rollback.

    PATH is a configuration (default: the current directory); a PLANFILE from `nsxplan plan
    --out` was reviewed already and is applied exactly, without a question, or refused (exit 3)
    if NSX changed since. Exit 0 applied or nothing to do, 1 failed (rolled back unless
    --no-rollback), 3 stale saved plan, 130/143 interrupted by Ctrl-C/SIGTERM (rolled back
    unless --no-rollback or a second signal; the journal says how to finish).
    """
    source = Path(path) if path else Path(".")
    prepared = commands.prepare_apply(source, conn_opts, adopt_all=adopt, note=_note,
                                      progress=progress, ignores=ignores)
    try:
        _emit(commands.render(prepared.plan, "text", color=color))
        if not prepared.plan.has_changes:
            click.echo("Nothing to apply.")
            return EXIT_OK
        commands.enforce_checks(prepared.plan, fail_on_checks)
        commands.enforce_mass_change(prepared.plan, allow_deletes)
        # A saved plan was reviewed when it was saved, and is applied exactly or not at all
        # (Terraform's `apply PLANFILE` does not ask either).
        if not auto_approve and not prepared.saved:
            if not sys.stdin.isatty():
                raise UsageError("refusing to apply without a terminal to confirm on",
                                 hint="review the plan and pass --auto-approve "
                                      "(or apply a saved plan)")
            # The target in the question: the last chance to notice it is production.
            answer = click.prompt(f"Apply these changes to {prepared.plan.target}? "
                                  "Only 'yes' will be accepted",
                                  default="", show_default=False, err=True)
            if answer.strip() != "yes":
                _note("Apply cancelled.")
                return EXIT_ERROR
        outcome = commands.run_apply(
            prepared,
            parallelism=parallelism,
            atomic=atomic,
            rollback=not no_rollback,
            journal=Path(journal) if journal else None,
            realization_timeout=realization_timeout,
            note=_note,
            color=color,
            progress=progress,
        )
        click.echo(outcome.summary)
        return _code(outcome)
    finally:
        prepared.close()


@cli.command(short_help="Restore the pre-apply state recorded in a journal.")
@click.argument("journal", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True,
              help="Also restore objects someone changed after nsxplan wrote them "
                   "(their change is lost); never protected or other owners' objects.")
@target_options
@common_options
def rollback(journal: str, force: bool, conn_opts: commands.ConnectOptions,
             color: bool) -> int:
    """Restore the pre-apply state recorded in a journal (after a crash or --no-rollback).

    JOURNAL is the file `nsxplan apply` named on stderr (.nsxplan/journal-*.jsonl). An object
    changed since nsxplan wrote it is a conflict: reported and left alone unless --force. Exit
    0 restored, 1 not fully restored (it says what is left), 130/143 interrupted.
    """
    outcome = commands.rollback(Path(journal), conn_opts, note=_note, force=force)
    click.echo(outcome.summary)
    return _code(outcome)


def _code(outcome: commands.Outcome) -> int:
    if outcome.exit_code is not None:
        return outcome.exit_code
    return EXIT_OK if outcome.ok else EXIT_ERROR


# ------------------------------------------------------------------ import / export / graph


@cli.command("export", short_help="Snapshot the live policy tree (the simulator's format).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write to FILE instead of stdout.")
@target_options
@common_options
def export_cmd(out: str | None, conn_opts: commands.ConnectOptions, color: bool) -> int:
    """Write a snapshot of the live policy tree (Hierarchical API format; the simulator's state).

    Rehearse against it offline with `--manager sim:FILE`, or serve it with
    `nsxplan sim serve --state FILE`.
    """
    text = commands.export(conn_opts, note=_note)
    _write_output(text, out)
    return EXIT_OK


@cli.command("import", short_help="Write a configuration for existing objects (adoption).")
@click.option("--tier0", "tier0s", multiple=True, metavar="ID",
              help="Tier-0 id to import (repeatable).")
@click.option("--tier1", "tier1s", multiple=True, metavar="ID",
              help="Tier-1 id to import (repeatable).")
@click.option("--dns-zone", "zones", multiple=True, metavar="ID",
              help="DNS forwarder zone id (repeatable).")
@click.option("--owner", required=True, metavar="NAME",
              help="Owner of the new stack (lowercase letters, digits, dashes).")
@click.option("--manage-gateway", "manage_gateways", is_flag=True,
              help="Take the gateways themselves over too (HA/failover mode, edge cluster); "
                   "default: `existing: true`, only their routes, NAT rules and DNS forwarder.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write to FILE instead of stdout.")
@target_options
@common_options
def import_cmd(tier0s: tuple[str, ...], tier1s: tuple[str, ...], zones: tuple[str, ...],
               owner: str, manage_gateways: bool, out: str | None,
               conn_opts: commands.ConnectOptions, color: bool) -> int:
    """Write a configuration for existing live objects (brownfield adoption).

    Its next `nsxplan plan` shows only the ownership tags to add.
    """
    text = commands.import_config(conn_opts, owner=owner, tier0s=tier0s, tier1s=tier1s,
                                  zones=zones, note=_note, manage_gateways=manage_gateways)
    _write_output(text, out)
    return EXIT_OK


@cli.command(short_help="Draw the topology and the plan (Graphviz dot, SVG, PNG).")
@click.argument("path", metavar="PATH|PLANFILE", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["dot", "svg", "png"]), default=None,
              help="Default: from --out's suffix, else dot. svg and png need Graphviz's `dot`.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write to FILE instead of stdout (e.g. topology.svg).")
@target_options
@common_options
def graph(path: str, fmt: str | None, out: str | None, conn_opts: commands.ConnectOptions,
          color: bool) -> int:
    """Draw the topology around a configuration (Tier-0s, Tier-1s, NAT rules, routes, DNS
    forwarders and zones, the declared DNS servers and egress ranges) with its plan: existing,
    managed, NCP-owned and unmanaged objects drawn differently, planned actions coloured,
    failing checks marked. A saved PLANFILE draws without NSX.
    """
    suffix = Path(out).suffix.lstrip(".").lower() if out else ""
    fmt = fmt or (suffix if suffix in ("svg", "png") else "dot")
    picture = commands.graph(Path(path), conn_opts, fmt=fmt, note=_note)
    if out:
        _write_output(picture, out)
        _note(f"Picture written to {out}")
    elif isinstance(picture, bytes):
        if sys.stdout.isatty():
            raise UsageError(f"refusing to write {fmt.upper()} to a terminal",
                             hint=f"pass --out picture.{fmt}, or redirect stdout to a file")
        sys.stdout.buffer.write(picture)
        sys.stdout.flush()
    else:
        _emit(picture)
    return EXIT_OK


def _flag_env_names(group: click.Group, prefix: str) -> None:
    """NSXPLAN_<COMMAND>_<FLAG> for every option, named after the flag users type: click's
    automatic name follows the Python parameter (`--format` is `fmt` here), so options whose
    parameter is named differently get the flag's name added (an explicit one, such as
    NSX_MANAGER, stays first)."""
    for name, command in group.commands.items():
        path = f"{prefix}_{name.replace('-', '_').upper()}"
        if isinstance(command, click.Group):
            _flag_env_names(command, path)
            continue
        for param in command.params:
            if not isinstance(param, click.Option) or not param.name:
                continue
            longs = [o for o in param.opts if o.startswith("--")]
            if not longs:
                continue
            flag_env = f"{path}_{max(longs, key=len)[2:].replace('-', '_').upper()}"
            explicit = ([param.envvar] if isinstance(param.envvar, str)
                        else list(param.envvar or []))
            if flag_env != f"{path}_{param.name.upper()}" and flag_env not in explicit:
                param.envvar = [*explicit, flag_env]


_flag_env_names(cli, ENV_PREFIX)


# --------------------------------------------------------------------------- entry point


class _NeverRaised(click.UsageError):
    """Stands in for NoArgsIsHelpError on click 8.1, which printed the help itself."""


# click >= 8.2 raises this for a group called without a command.
NO_ARGS_IS_HELP: type[click.UsageError] = getattr(click.exceptions, "NoArgsIsHelpError",
                                                  _NeverRaised)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and exits with) Terraform-style codes; never a traceback for bad
    input."""
    if argv is None:        # a process of its own (not a test calling main(argv) in-process)
        _OWN_PROCESS.append(True)
        _gc_policy(sys.argv[1:])
        # httpx imports its own command line client (click, rich, pygments: ~40 ms) whenever
        # those happen to be installed; nsxplan never runs it, and httpx handles its absence.
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    previous = _handle_signals()
    try:
        # Every option also reads NSXPLAN_<COMMAND>_<OPTION> (NSXPLAN_PLAN_FORMAT=markdown):
        # CI templates set flags once; explicit names (NSX_MANAGER, ...) still come first.
        code = cli.main(args=argv, prog_name="nsxplan", standalone_mode=False,
                        auto_envvar_prefix=ENV_PREFIX)
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C (and our SIGTERM) into Abort: an interrupt exits 130/143 like
        # everywhere else; EOF at a prompt stays a plain error.
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, KeyboardInterrupt):
            code = _interrupted(cause)
        else:
            _note("Aborted.")
            code = EXIT_ERROR
    except NO_ARGS_IS_HELP as exc:  # bare `nsxplan sim`: its help, not "Error: Usage: ..."
        _note(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
        code = EXIT_ERROR
    except click.exceptions.ClickException as exc:  # usage errors: click says 2, Terraform 1
        _note(f"Error: {exc.format_message()}")
        _note(f"  hint: {getattr(exc, 'hint', None) or _usage_hint(exc)}")
        code = EXIT_ERROR
    except NsxplanError as exc:
        _note(exc.format())
        code = exc.exit_code
    except KeyboardInterrupt as exc:
        code = _interrupted(exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: say it is our bug
        code = _internal_error(exc)
    finally:
        _restore_signals(previous)
    if code is None:
        code = EXIT_OK
    if argv is None:
        _exit(int(code))
    return int(code)


# What a read-only command built (a plan of 10,000 objects, the live state it read): kept to
# the end of the process, see _exit. Only in a process of its own: a program calling
# main(argv) again and again must not accumulate them.
_KEEP: list[object] = []
_OWN_PROCESS: list[bool] = []


def _keep(value: object) -> None:
    if _OWN_PROCESS:
        _KEEP.append(value)


def _exit(code: int) -> NoReturn:
    """Leave. After `plan` or `validate` (which write nothing but their output, already
    complete), without freeing what they built object by object: the memory goes back to the
    system with the process at once (for a 10,000-object plan, 20 ms of freeing for nothing).
    Every other command exits normally."""
    if _KEEP:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            sys.exit(code)            # output not written (a closed pipe): the normal way
        os._exit(code)
    sys.exit(code)


def _gc_policy(argv: list[str]) -> None:
    """One command is one short process that keeps nearly everything it builds until it exits:
    the objects alive now (modules, classes) are moved out of the collector's sight, and the
    cyclic collector is off for the command, so that a 10,000-object plan is not rescanned for
    garbage it does not make (a fifth of its time otherwise). Reference counting still frees
    everything acyclic. The long-running commands (apply, rollback, the simulator) keep the
    collector, only less often (every 50,000 allocations instead of 700), so that cycles left
    by thousands of requests are still collected."""
    gc.freeze()
    command = next((a for a in argv if not a.startswith("-")), "")
    if command in ("apply", "rollback", "sim"):
        gc.set_threshold(50_000, 20, 20)
    else:
        gc.disable()


def _handle_signals() -> dict[int, Any]:
    """SIGINT and SIGTERM alike raise Interrupted in the main thread, at every phase: a CI
    job's cancel (SIGTERM) gets the same careful stop as Ctrl-C: no new writes, the in-flight
    ones finished, a rollback. A signal the process was started with ignored (a background
    job's SIGINT) stays ignored."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) == signal.SIG_IGN:
            continue
        previous[sig] = signal.signal(sig, _raise_interrupted)
    return previous


def _raise_interrupted(signum: int, _frame: Any) -> None:
    raise Interrupted(signum)


def _restore_signals(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def _interrupted(exc: BaseException) -> int:
    signum = int(getattr(exc, "signum", signal.SIGINT))
    _note(f"Interrupted ({'Ctrl-C' if signum == signal.SIGINT else signal.Signals(signum).name}).")
    return EXIT_SIGINT if signum == signal.SIGINT else 128 + signum


def _usage_hint(exc: click.exceptions.ClickException) -> str:
    """Point at the help of the command that was mistyped, not at the whole tool."""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and ctx.parent is not None:
        return f"see `{ctx.command_path} --help`"
    return "run `nsxplan --help` for the commands, `nsxplan COMMAND --help` for their flags"


def _internal_error(exc: BaseException) -> int:
    # Imported here, not at the top: every command would pay for them at start.
    import tempfile
    import traceback

    from nsxplan.redact import scrub_all

    # An exception message may quote a request (headers, a URL): scrub before it is kept.
    fd, name = tempfile.mkstemp(prefix="nsxplan-crash-", suffix=".log")
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    with os.fdopen(fd, "w") as fh:
        fh.write(f"nsxplan {__version__}\n{scrub_all(details)}")
    _note(scrub_all(f"internal error: {type(exc).__name__}: {exc}"))
    _note(f"  hint: this is a bug in nsxplan; the details are in {name} - "
          "please attach it to a report")
    return EXIT_ERROR


if __name__ == "__main__":  # `python -m nsxplan.cli`, where the console script is not installed
    main()
