"""One exception tree for everything a user can get wrong, and the exit-code table.

Every expected error carries one or more Problems; each renders as one line
(`file:line:col: message` for configuration errors, `NSX <status> <error_code> <METHOD> <path>:
message` for API errors) plus a hint. Anything that is not an NsxplanError is an internal error
and the CLI says so (with a debug log), never a bare traceback.

The tree (exit code 1 unless marked):

    NsxplanError                 every expected error; `.problems`, each one line plus a hint
    ├── UsageError               bad flags or arguments
    │   └── JournalError         a rollback journal that cannot be read or is not a journal
    ├── ConfigError              YAML, schema or semantic rule violations (all at once)
    ├── PlanError                cannot plan: safety rails, live checks, planner refusals
    │   └── PlanFileError        a saved plan missing, not JSON, not a plan, another format
    ├── StalePlanError           exit 3: a saved plan no longer matches NSX; nothing written
    ├── ApplyError               an apply failed; says what was rolled back and what is left
    ├── TransportError           NSX unreachable: connection, TLS, timeouts after retries
    ├── NsxApiError              NSX answered with an ApiError (`.info`: ApiErrorInfo)
    └── MetricsError             the drift metrics file cannot be written

Not in the tree on purpose: config/yaml_events.Refused (internal: the loader turns it into a
ConfigError Problem) and the simulator's own errors (nsxplan.sim stands alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Exit codes follow Terraform's, which scripts already understand.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_STALE = 3
EXIT_SIGINT = 130      # 128 + SIGINT: Ctrl-C
EXIT_SIGTERM = 143     # 128 + SIGTERM: a CI job cancelled, a service stopped


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM, raised in the main thread by the CLI's signal handlers. A
    KeyboardInterrupt, so that every stage handles both signals alike; `signum` keeps which
    one it was for the exit code (128 + signum) and the messages."""

    def __init__(self, signum: int = 2) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@dataclass(frozen=True, order=True, slots=True)
class Source:
    """Where something was written: 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located when it can be, with a hint how to fix it."""

    message: str
    source: Source | None = None
    hint: str | None = None

    def format(self) -> str:
        head = f"{self.source}: {self.message}" if self.source else self.message
        if not self.hint:
            return head
        # A hint may span lines (a YAML snippet to paste): keep them under the "hint:" column.
        hint = self.hint.replace("\n", "\n        ")
        return f"{head}\n  hint: {hint}"


class NsxplanError(Exception):
    """Base of every expected error. `problems` are all reported at once."""

    exit_code = EXIT_ERROR

    def __init__(self, problems: Iterable[Problem] | Problem | str, hint: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems, hint=hint)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(p.format() for p in self.problems))

    def format(self) -> str:
        return "\n".join(p.format() for p in self.problems)

    def __reduce__(self) -> tuple[Any, ...]:
        # Whole across a process boundary (a refresh read in a forked child, prefetch.py):
        # Exception's default would call the subclass with the joined message as its only
        # argument, which NsxApiError (and anything with other arguments) cannot take.
        return (_rebuilt, (type(self), self.problems, dict(self.__dict__)))


def _rebuilt(cls: type[NsxplanError], problems: list[Problem],
             state: dict[str, Any]) -> NsxplanError:
    error = cls.__new__(cls)
    NsxplanError.__init__(error, problems)
    error.__dict__.update(state)
    return error


class UsageError(NsxplanError):
    """Bad flags or arguments."""


class ConfigError(NsxplanError):
    """The configuration is unreadable or invalid (YAML, schema, semantic rules)."""


class PlanError(NsxplanError):
    """The configuration cannot be planned against the live state (safety rails, live checks)."""


class PlanFileError(PlanError):
    """A saved plan cannot be read: missing, not JSON, not a plan, or from another format."""


class JournalError(UsageError):
    """A rollback journal cannot be read, or is not an nsxplan journal."""


class MetricsError(NsxplanError):
    """The metrics file cannot be written."""


class StalePlanError(NsxplanError):
    """A saved plan no longer matches the live state; nothing was written."""

    exit_code = EXIT_STALE


class ApplyError(NsxplanError):
    """An apply failed; the problems say what was rolled back and what is left."""


class TransportError(NsxplanError):
    """NSX could not be reached (connection refused, TLS, timeouts after retries)."""


@dataclass
class ApiErrorInfo:
    status: int
    method: str
    path: str
    error_code: str | None = None
    message: str = ""
    module_name: str | None = None
    related: list[str] = field(default_factory=list)
    body: Any = None


class NsxApiError(NsxplanError):
    """NSX answered with an ApiError. `error_code` is a string: NSX sends it as int or string."""

    def __init__(self, info: ApiErrorInfo, hint: str | None = None):
        self.info = info
        self.status = info.status
        self.error_code = info.error_code
        self.path = info.path
        self.method = info.method
        code = f" error_code {info.error_code}" if info.error_code not in (None, "") else ""
        line = f"NSX {info.status}{code} on {info.method} {info.path}: {info.message}".rstrip(": ")
        if info.related:
            line += " (" + "; ".join(info.related) + ")"
        super().__init__([Problem(line, hint=hint or _default_hint(info))])


def _default_hint(info: ApiErrorInfo) -> str:
    if info.status == 401:
        return "check NSX_USERNAME/NSX_PASSWORD (or the client certificate)"
    if info.status == 403:
        return ("the user lacks the role for this object, or it is protected (created by a "
                "principal identity such as NCP)")
    if info.status == 404:
        return "the object does not exist on this manager; check the id and the target"
    if info.status == 412:
        return "someone changed the object since it was read; run `nsxplan plan` again"
    if info.status == 429:
        return ("NSX rate limit hit; lower --parallelism or --rate-limit, or raise the manager's "
                "client_api_rate_limit")
    if info.status >= 500:
        return "NSX reported an internal error; check the manager's health and retry"
    return "fix the value NSX rejected in the configuration and plan again"
