"""The programmatic API: one function per verb. They return values, never print and never
exit: progress lines go to the `note` callback (the CLI sends them to stderr) and the CLI alone
decides what reaches stdout and which exit code follows.

    result = commands.plan(Path("lab/"), ConnectOptions(manager="sim:lab.json"))
    print(commands.render(result.plan, "text"))
    prepared = commands.prepare_apply(Path("plan.json"), ConnectOptions())
    try:
        outcome = commands.run_apply(prepared, parallelism=4, rollback=True, journal=None,
                                     realization_timeout=60.0)
    finally:
        prepared.close()

Errors are NsxplanError subclasses (errors.py draws the tree). The stages are imported inside
the functions on purpose: `nsxplan --help` and `nsxplan validate` then never load httpx,
deepdiff or the apply machinery.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nsxplan.config.model import Config, Target, Tier0, Tier1
from nsxplan.errors import PlanError, Problem, Source, StalePlanError, UsageError
from nsxplan.plan.model import Check, Plan

if TYPE_CHECKING:
    from nsxplan.apply.report import Reporter
    from nsxplan.connect import Connection
    from nsxplan.live.state import LiveState
    from nsxplan.prefetch import Prefetch

Note = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


# --------------------------------------------------------------------------- connecting


@dataclass(frozen=True)
class ConnectOptions:
    manager: str | None = None
    username: str | None = None
    password: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    insecure: bool = False
    ca_bundle: str | None = None
    rate_limit: float | None = None                   # None: the client's default
    prompt: Callable[[str, str], str] | None = None   # (user, manager) -> password
    record_http: str | None = None                    # --record-http: a scrubbed cassette


DEFAULT_TARGET = "sim"


def connect(opts: ConnectOptions, config: Config | None = None, *, fallback: str | None = None,
            note: Note = _quiet) -> Connection:
    """Open a Connection. Precedence: --manager/NSX_MANAGER, the config's target, `fallback`
    (a saved plan's or journal's target), then the embedded simulator."""
    from nsxplan.connect import connect as open_target

    manager, how = target_args(opts, config.target if config is not None else None,
                               fallback=fallback, note=note)
    return open_target(manager, **how)


def target_args(opts: ConnectOptions, target: Target | None, *, fallback: str | None = None,
                note: Note = _quiet) -> tuple[str, dict[str, Any]]:
    """The manager and connect.connect's keyword arguments for these options and the
    configuration's `target:` (asking for a password through `opts.prompt` if one is needed)."""
    manager = opts.manager
    auth = "basic"
    verify = True
    ca_bundle = opts.ca_bundle
    # A relative sim:FILE from the flag is relative to the working directory; the loader has
    # already resolved one from the YAML against the file that declares it.
    if not manager and target is not None and target.manager:
        manager = target.manager
    if target is not None:
        auth = target.auth
        verify = target.verify_tls
        ca_bundle = ca_bundle or _beside(target.ca_bundle, target.source)
    if not manager:
        manager = fallback or DEFAULT_TARGET
        if manager == DEFAULT_TARGET:
            note("target: sim (the embedded NSX simulator with its demo state; "
                 "pass --manager or set target.manager for a real NSX Manager)")
    password = opts.password
    remote = manager.startswith(("https://", "http://"))
    if remote and opts.username and not password and not opts.client_cert:
        if opts.prompt is None:
            raise UsageError(f"no password for {opts.username} at {manager}",
                             hint="set NSX_PASSWORD (or NSX_CLIENT_CERT/NSX_CLIENT_KEY)")
        password = opts.prompt(opts.username, manager)
    if remote and not opts.username and not opts.client_cert:
        raise UsageError(f"no credentials for {manager}",
                         hint="set NSX_USERNAME and NSX_PASSWORD, or NSX_CLIENT_CERT and "
                              "NSX_CLIENT_KEY (credentials are never read from the YAML)")
    how: dict[str, Any] = {}
    if opts.rate_limit is not None:
        how["rate_limit"] = opts.rate_limit
    how.update(
        username=opts.username,
        password=password,
        client_cert=opts.client_cert,
        client_key=opts.client_key,
        ca_bundle=ca_bundle,
        insecure=opts.insecure or not verify,
        auth="certificate" if opts.client_cert else auth,
        record_http=opts.record_http,
    )
    return manager, how


def _beside(path: str | None, source: Source | None) -> str | None:
    """A relative path written in a YAML file means relative to that file (as `sim:FILE` does),
    not to wherever nsxplan happens to run."""
    if not path or Path(path).is_absolute() or source is None or not source.file:
        return path
    return str(Path(source.file).parent / path)


# --------------------------------------------------------------------------- validate


@dataclass(frozen=True)
class ValidateResult:
    config: Config
    checks: tuple[Check, ...]
    summary: str


def validate(path: Path) -> ValidateResult:
    from nsxplan.checks import run_checks
    from nsxplan.checks.baseline import apply_waivers
    from nsxplan.config import load_config
    from nsxplan.nsx.addresses import forget_parsed_blocks

    try:
        # The checks read the addresses loading has parsed: kept until they are done.
        config = load_config(path, keep_parsed_addresses=True, with_digest=False)
        # A waived failure does not make the configuration invalid either.
        checks = apply_waivers(run_checks(config, None), config.waivers)
    finally:
        forget_parsed_blocks()
    objects = _count_objects(config)
    files = len(config.files)
    summary = (f"{path}: valid ({files} file{'s' if files != 1 else ''}, owner {config.owner}, "
               f"{objects} object{'s' if objects != 1 else ''})")
    return ValidateResult(config, checks, summary)


def _count_objects(config: Config) -> int:
    n = len(config.dns_zones) + len(config.segments) + len(config.ip_blocks)
    n += sum(1 + len(pool.subnets) for pool in config.ip_pools)
    gateways: list[Tier0 | Tier1] = [*config.tier0s, *config.tier1s]
    for gw in gateways:
        n += (0 if gw.existing else 1) + len(gw.static_routes) + len(gw.nat_rules)
    for t0 in config.tier0s:     # Tier-0 routing: its interfaces and BGP neighbors
        n += len(t0.interfaces) + (len(t0.bgp.neighbors) if t0.bgp else 0)
        n += len(t0.prefix_lists) + len(t0.route_maps)
    return n + sum(1 for t1 in config.tier1s if t1.dns_forwarder)


def render_checks(checks: Sequence[Check], *, color: bool = False) -> str:
    """The checks that are not ok, one line each plus its fix (validate prints them)."""
    from nsxplan.render.text import render_checks as render_them

    return render_them(checks)


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class PlanResult:
    plan: Plan
    config: Config
    live: LiveState          # what NSX looked like when the plan was made
    # The checks on NSX as it was (before the plan), as the plan's checks were judged against.
    baseline_checks: tuple[Check, ...] = ()


def _make_plan(config: Config, conn: Connection, *, adopt_all: bool,
               progress: Reporter | None = None, unchanged_bodies: bool = True
               ) -> tuple[Plan, LiveState, tuple[Check, ...]]:
    live = _refresh(conn, progress)
    return _plan_live(config, live, conn.label, adopt_all=adopt_all,
                      unchanged_bodies=unchanged_bodies)


def _refresh(conn: Connection, progress: Reporter | None) -> LiveState:
    from nsxplan.live.read import read_live

    if progress is not None:
        progress.refresh_started(conn.label)
    began = time.monotonic()
    # While the refresh waits on NSX, its second thread loads the planner's and the checks'
    # modules. (Not the other way round, the refresh on a thread: the live tree is most of a
    # plan's memory, and a thread allocates from an arena of its own that the rest would not
    # reuse.)
    live = read_live(conn.client, alongside=_planning_modules)
    if progress is not None:
        progress.refresh_finished(len(live.objects), live.requests, time.monotonic() - began)
    return live


def _plan_live(config: Config, live: LiveState, label: str, *, adopt_all: bool,
               unchanged_bodies: bool = True) -> tuple[Plan, LiveState, tuple[Check, ...]]:
    from nsxplan.checks import both_runs, judge_plan
    from nsxplan.perf import Beside
    from nsxplan.plan.planner import make_plan

    # The checks need the configuration and NSX's state, not the plan: on a second core they
    # run while this process plans (perf.py; in-process where forking is not safe).
    with Beside(lambda: both_runs(config, live)) as checks:
        plan = make_plan(config, live, target=label, adopt_all=adopt_all,
                         now=datetime.now(timezone.utc), unchanged_bodies=unchanged_bodies)
        runs = checks.result()
    plan = replace(plan, checks=judge_plan(config, runs, plan.actions))
    return plan, live, runs[1]


def _planning_modules() -> None:
    import nsxplan.checks
    import nsxplan.plan.planner  # noqa: F401


def with_ignores(config: Config, ignores: Sequence[str]) -> Config:
    """`--ignore PATTERN[:field,...]` adds to the configuration's `ignore:` list."""
    from nsxplan.config.build import parse_ignore

    if not ignores:
        return config
    return replace(config, ignore=(*config.ignore, *(parse_ignore(i) for i in ignores)))


def drift(path: Path, opts: ConnectOptions, *, note: Note = _quiet,
          progress: Reporter | None = None, ignores: Sequence[str] = (),
          unchanged_bodies: bool = True, early: bool = False) -> PlanResult:
    """The plan that would bring NSX back to the configuration, with the dependency checks
    judged on NSX as it is now: drift reports the live state (a REFLEXIVE rule disabled in the
    UI fails its egress check here, although the plan would fix it)."""
    from nsxplan.checks.baseline import apply_waivers, restored_by_apply, unused_waivers

    result = plan(path, opts, note=note, progress=progress, ignores=ignores,
                  unchanged_bodies=unchanged_bodies, early=early)
    live = apply_waivers(restored_by_apply(result.baseline_checks, result.plan.checks),
                         result.config.waivers)
    checks = (*live, *unused_waivers(live, result.config.waivers))
    return replace(result, plan=replace(result.plan, checks=checks))


def render_verification(checks: Sequence[Check], *, color: bool = False) -> str:
    from nsxplan.render.text import render_verification as render_them

    return render_them(checks, color)


def verify(path: Path, opts: ConnectOptions, *, note: Note = _quiet) -> list[Check]:
    """After apply: each Tier-0 of the configuration as NSX runs it (BGP neighbor status, routing
    table), judged by checks/runtime.py. Reads only."""
    from nsxplan.checks.runtime import verify_tier0
    from nsxplan.config import load_config

    config = load_config(path)
    conn = connect(opts, config, note=note)
    out: list[Check] = []
    try:
        for t0 in config.tier0s:
            ls = t0.locale_services_path
            status = conn.client.get(f"{ls}/bgp/neighbors/status") if t0.bgp is not None \
                else {}
            table = conn.client.get(f"{t0.path}/routing-table")
            out.extend(verify_tier0(config, t0, status, table))
    finally:
        conn.close()
    return out


def drift_findings(plan: Plan) -> list[str]:
    """Why `drift` exits 2, one line each (empty: in sync). Changes, failing checks that are not
    waived (on NSX now or after the plan), rogue objects inside managed gateways."""
    out = [f"{a.action} {a.address}" for a in plan.changes]
    out += [f"check {c.id} fails: {c.subject}" for c in plan.checks if c.pages]
    out += [f"rogue {u.kind} {u.path}" for u in plan.unmanaged if u.rogue]
    return out


def plan(path: Path, opts: ConnectOptions, *, adopt_all: bool = False,
         note: Note = _quiet, progress: Reporter | None = None,
         ignores: Sequence[str] = (), unchanged_bodies: bool = True,
         early: bool = False) -> PlanResult:
    """`progress` hears about the refresh (the CLI's live status on a terminal); `ignores` adds
    `--ignore` patterns to the configuration's `ignore:` list; `unchanged_bodies=False` leaves
    out the `after` bodies of no-op actions (only a `--full` JSON plan shows them); `early`:
    NSX may be read while the configuration is (prefetch.py; the CLI's plan and drift)."""
    from contextlib import nullcontext

    from nsxplan.config import load_config_beside

    with (_prefetch(path, opts) if early else None) or nullcontext() as prefetch:
        # The configuration's semantic rules may still be running on another core (where one
        # is idle): they are heard before anything planned from it is returned, and their
        # errors come first, before any error of the connection or the refresh.
        config, rules = load_config_beside(path)
        with rules:
            try:
                config = with_ignores(config, ignores)
                if opts.prompt is not None and not opts.password:
                    # Never ask for a password for a configuration that is about to be refused.
                    rules.check()
                manager, how = target_args(opts, config.target, note=note)
                made = _plan_prefetched(prefetch, manager, how, config, adopt_all=adopt_all,
                                        progress=progress, unchanged_bodies=unchanged_bodies)
                if made is None:
                    from nsxplan.connect import connect as open_target

                    conn = open_target(manager, **how)
                    try:
                        made = _make_plan(config, conn, adopt_all=adopt_all, progress=progress,
                                          unchanged_bodies=unchanged_bodies)
                    finally:
                        conn.close()
            except Exception:
                rules.check()
                raise
            rules.check()
    plan_made, live, baseline = made
    if config.digest != rules.digest:       # hashed beside, with the rules
        config = replace(config, digest=rules.digest)
        plan_made = replace(plan_made, config_digest=rules.digest)
    return PlanResult(plan_made, config, live, baseline)


def _prefetch(path: Path, opts: ConnectOptions) -> Prefetch | None:
    """The refresh started now, before the configuration is read, where nothing it needs is
    still unknown: the credentials at hand (no prompt), TLS verified, no recording."""
    if not (opts.password or opts.client_cert) or opts.insecure or opts.record_http:
        return None
    from nsxplan.errors import NsxplanError
    from nsxplan.prefetch import Prefetch, scan_target

    target = scan_target(path)
    if target is None:
        return None
    try:
        manager, how = target_args(opts, target)
    except NsxplanError:
        return None                 # said again, in its place, once the YAML is read
    return Prefetch.start(manager, how)


def _plan_prefetched(prefetch: Prefetch | None, manager: str, how: dict[str, Any],
                     config: Config, *, adopt_all: bool, progress: Reporter | None,
                     unchanged_bodies: bool) -> tuple[Plan, LiveState, tuple[Check, ...]] | None:
    """The plan from the prefetched refresh, if it read NSX for exactly this connection."""
    if prefetch is None:
        return None
    if progress is not None:
        from nsxplan.redact import manager_label

        progress.refresh_started(manager_label(manager))
    # What the plan needs next is loaded while the child may still be reading (a small
    # configuration is read long before NSX has answered).
    _planning_modules()
    fetched = prefetch.take(manager, how)
    if fetched is None:
        return None
    if progress is not None:
        progress.refresh_finished(len(fetched.live.objects), fetched.live.requests,
                                  fetched.seconds)
    return _plan_live(config, fetched.live, fetched.label, adopt_all=adopt_all,
                      unchanged_bodies=unchanged_bodies)


def mass_change(plan: Plan) -> str | None:
    """Why apply would refuse this plan without --allow-deletes (plan/guards.py), or None."""
    from nsxplan.plan.guards import exceeded

    return exceeded(plan)


def enforce_mass_change(plan: Plan, allow_deletes: int | None) -> None:
    from nsxplan.plan.guards import enforce_mass_change as enforce

    enforce(plan, allow_deletes)


def checks_block(plan: Plan, level: str) -> bool:
    from nsxplan.checks import blocking

    return bool(blocking(plan.checks, level))


def enforce_checks(plan: Plan, level: str) -> None:
    _enforce(plan.checks, level, "blocked by dependency check")


def enforce_checks_offline(checks: Sequence[Check], level: str) -> None:
    _enforce(checks, level, "invalid: dependency check")


def _enforce(checks: Sequence[Check], level: str, what: str) -> None:
    from nsxplan.checks import blocking

    blockers = blocking(checks, level)
    if blockers:
        raise PlanError([
            Problem(f"{what} {c.id} ({c.status}): {c.subject}", c.source,
                    hint=(c.remediation or "see the check above")
                    + f"\n(or accept this one failure for a while: `waivers:` with check "
                      f"{c.id}, subject {c.subject!r}, a reason and an expiry date)"
                    + "\n(or pass --fail-on-checks never to proceed anyway)")
            for c in blockers
        ])


def render(plan: Plan, fmt: str, *, color: bool = False, full: bool = False) -> str:
    """`full`: JSON with unchanged objects in full instead of summarized."""
    from nsxplan import render as r

    if fmt == "json":
        return r.render_json(plan, full=full)
    if fmt == "markdown":
        return r.render_markdown(plan)
    return r.render_text(plan, color=color)


def save_plan(plan: Plan, path: Path, *, full: bool = False) -> None:
    from nsxplan.plan.planfile import save_plan as save

    save(plan, path, full=full)


def load_plan(path: Path) -> Plan:
    from nsxplan.plan.planfile import load_plan as load

    return load(path)


def write_drift_metrics(plan: Plan, path: Path) -> None:
    from nsxplan.render.metrics import drift_metrics, write_metrics

    write_metrics(path, drift_metrics(plan, now=datetime.now(timezone.utc)))


# --------------------------------------------------------------------------- apply


@dataclass
class PreparedApply:
    """A plan ready to apply and the open connection it will be applied through: close() it."""

    plan: Plan
    connection: Connection
    journal_dir: Path
    saved: bool
    source: Path | None = None     # the configuration or saved plan it came from

    def close(self) -> None:
        self.connection.close()


def _is_plan_file(path: Path) -> bool:
    from nsxplan.plan.planfile import is_plan_file

    return is_plan_file(path)


def prepare_apply(path: Path, opts: ConnectOptions, *, adopt_all: bool = False,
                  note: Note = _quiet, progress: Reporter | None = None,
                  ignores: Sequence[str] = ()) -> PreparedApply:
    """A saved plan is applied exactly (after the stale check in run_apply); a configuration is
    planned now."""
    if _is_plan_file(path):
        saved = load_plan(path)
        conn = connect(opts, None, fallback=saved.target, note=note)
        _refuse_other_target(conn, saved.target, f"{path} is a plan")
        return PreparedApply(saved, conn, path.parent, saved=True, source=path)
    from nsxplan.config import load_config

    config = with_ignores(load_config(path), ignores)
    conn = connect(opts, config, note=note)
    try:
        # apply sends changes only: no-op bodies would only take memory
        made, _, _ = _make_plan(config, conn, adopt_all=adopt_all, progress=progress,
                                unchanged_bodies=False)
    except BaseException:
        conn.close()
        raise
    base = path if path.is_dir() else path.parent
    return PreparedApply(made, conn, base, saved=False, source=path)


def _refuse_other_target(conn: Connection, recorded: str | None, what: str) -> None:
    """A saved plan or journal is bound to the manager it was made on: --manager/NSX_MANAGER
    pointing elsewhere (production instead of the lab, say) must not replay it there, where
    matching ids and revisions could let it through."""
    known = recorded == "sim" or (recorded or "").startswith(("sim:", "http://", "https://"))
    if known and conn.label != recorded:
        conn.close()
        raise UsageError(f"{what} for {recorded}, not {conn.label}; nothing was written",
                         hint="drop --manager / NSX_MANAGER to use the one it was made for, or "
                              f"run `nsxplan plan` against {conn.label}")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    summary: str
    exit_code: int | None = None    # when not simply 0/1 (130/143: interrupted)


def default_journal(base: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return base / ".nsxplan" / f"journal-{stamp}-{os.getpid()}.jsonl"


def run_apply(prepared: PreparedApply, *, parallelism: int, rollback: bool,
              journal: Path | None, realization_timeout: float, note: Note = _quiet,
              color: bool = False, progress: Reporter | None = None,
              atomic: bool = False) -> Outcome:
    """Apply a prepared plan; StalePlanError (exit 3, nothing written) when NSX changed since it
    was planned, its first line saying so for a CI log cut to its first line. `progress`: how
    the steps are shown (default: LineReporter's lines through `note`)."""
    from nsxplan.apply import apply_plan
    from nsxplan.apply.report import LineReporter

    journal_path = journal or default_journal(prepared.journal_dir)
    conn = prepared.connection
    # Found out now, not after NSX (the simulator) has been changed and the change is lost.
    conn.check_persistable()
    if conn.label == DEFAULT_TARGET:
        # Said before the writes, so nobody takes the in-memory demo for a lab that remembers.
        note("target sim keeps nothing: these changes are gone when nsxplan exits "
             "(use --manager sim:FILE to keep them)")
    try:
        result = apply_plan(
            prepared.plan,
            conn.client,
            parallelism=parallelism,
            atomic=atomic,
            rollback=rollback,
            journal_path=journal_path,
            reporter=progress if progress is not None else LineReporter(note, summary=False),
            realization_timeout=realization_timeout,
        )
    except StalePlanError as exc:
        raise _stale(prepared.source, exc) from None
    finally:
        # The simulator file is written even after a failed apply: it must show what NSX shows.
        conn.persist()
    return Outcome(bool(result.ok), result.summary, result.exit_code)


def _stale(source: Path | None, exc: StalePlanError) -> StalePlanError:
    """One line first that says what happened, for a CI log cut to its first line."""
    n = len(exc.problems)
    return StalePlanError([
        Problem(f"refusing to apply {source or 'the plan'}: {n} object{'s' if n != 1 else ''} "
                "changed in NSX since it was planned"),
        *exc.problems,
    ])


def rollback(journal: Path, opts: ConnectOptions, *, note: Note = _quiet,
             force: bool = False) -> Outcome:
    from nsxplan.apply.journal import read_header, rollback_journal
    from nsxplan.apply.report import LineReporter

    header = read_header(journal)
    conn = connect(opts, None, fallback=header.get("target"), note=note)
    _refuse_other_target(conn, header.get("target"), f"{journal} is a journal")
    try:
        # Each undo on stderr as it happens, as apply shows its steps: a long rollback in a
        # change window is not a silent one.
        result = rollback_journal(journal, conn.client, force=force,
                                  reporter=LineReporter(note, summary=False))
    finally:
        conn.persist()
        conn.close()
    return Outcome(bool(result.ok), result.summary, result.exit_code)


# ------------------------------------------------------------------ export / import / graph


def export(opts: ConnectOptions, *, note: Note = _quiet) -> str:
    from nsxplan.brownfield.export import export_snapshot

    conn = connect(opts, None, note=note)
    try:
        snapshot = export_snapshot(conn.client)
    finally:
        conn.close()
    return json.dumps(snapshot, indent=1, sort_keys=True) + "\n"


def import_config(opts: ConnectOptions, *, owner: str, tier0s: Sequence[str],
                  tier1s: Sequence[str], zones: Sequence[str], note: Note = _quiet,
                  manage_gateways: bool = False) -> str:
    from nsxplan.brownfield.importer import import_yaml
    from nsxplan.live.read import read_live

    _check_owner(owner)
    if not (tier0s or tier1s or zones):
        # Still a valid skeleton (version, owner, target), but rarely what was meant.
        note("nothing selected: the configuration has no objects; name them with --tier0, "
             "--tier1 or --dns-zone (the live ids: `nsxplan export`)")
    conn = connect(opts, None, note=note)
    try:
        live = read_live(conn.client)
    finally:
        conn.close()
    return import_yaml(live, owner=owner, tier0s=tier0s, tier1s=tier1s, zones=zones,
                       manage_gateways=manage_gateways,
                       target=_absolute_sim_target(opts.manager))


def _check_owner(owner: str) -> None:
    """Refused before NSX is read: an owner the configuration language rejects would only
    produce a file that fails `validate`."""
    from nsxplan.schemas import load_schema

    owner_schema = load_schema("nsxplan.schema.json")["properties"]["owner"]
    if not re.fullmatch(owner_schema["pattern"], owner):
        raise UsageError(f"--owner {owner!r} is not {owner_schema['x-message']}",
                         hint="for example --owner edge-team")


def _absolute_sim_target(manager: str | None) -> str | None:
    """`sim:FILE` as the configuration must say it: a relative FILE in a configuration is read
    from the configuration's directory, not from the directory `import` ran in."""
    if manager and manager.startswith("sim:") and not Path(manager[4:]).is_absolute():
        return "sim:" + str(Path(manager[4:]).resolve())
    return manager


def graph(path: Path, opts: ConnectOptions, *, fmt: str = "dot",
          note: Note = _quiet) -> str | bytes:
    """The topology picture: of the live objects around a configuration and its plan (one bulk
    read), or of a saved plan alone (no NSX needed). dot text, or SVG/PNG bytes via Graphviz."""
    from nsxplan.render.dot import IMAGE_FORMATS, dot_to_image, graphviz_dot, picture_to_dot
    from nsxplan.render.topology import DnsServer, build_picture

    if fmt in IMAGE_FORMATS:
        graphviz_dot(fmt)      # before reading NSX: a missing tool fails fast
    if _is_plan_file(path):
        picture = build_picture(load_plan(path))
    else:
        result = plan(path, opts, note=note)
        deps = result.config.dependencies
        picture = build_picture(
            result.plan, result.live.objects,
            dns_servers=[DnsServer(d.address, d.clients) for d in deps.dns_servers],
            routed_upstream=[r.cidr for r in deps.routed_upstream])
    dot = picture_to_dot(picture)
    return dot_to_image(dot, fmt) if fmt in IMAGE_FORMATS else dot
