"""`load_config`: files -> documents -> schema -> semantic rules -> model, every problem at once.

Each stage collects Problems instead of stopping at the first one; the semantic rules run even
when the schema found problems (they skip values of the wrong type), so one run shows the user
everything. The model is built only from a configuration without problems.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from nsxplan.config.build import build_config
from nsxplan.config.loader import MDict, load_files, merge_documents
from nsxplan.config.model import Config
from nsxplan.config.rules import semantic_problems
from nsxplan.config.schema import schema_problems
from nsxplan.errors import ConfigError, Problem, Source
from nsxplan.nsx.addresses import forget_parsed_blocks
from nsxplan.perf import Beside, paused_gc, spare_core

_REQUIRED = {
    "version": "add `version: 1` at the top of the configuration",
    "owner": "add `owner: NAME` (lowercase letters, digits, dashes): the name of this stack",
}


def load_config(path: str | Path, *, today: date | None = None,
                keep_parsed_addresses: bool = False, with_digest: bool = True) -> Config:
    """Load, validate and build a configuration file or directory.

    Raises ConfigError with every problem found, sorted by file, line and column. The address
    texts validation parsed are forgotten at the end (planning keeps what it derives, and for
    a large configuration the parsed blocks are tens of MB), unless `keep_parsed_addresses`:
    then the caller's next steps (validate's offline checks) read them again for free and the
    caller calls `forget_parsed_blocks` when done. Without `with_digest` the Config's digest
    is left empty: only a plan records it, and `validate` need not hash the documents.
    """
    with paused_gc():
        try:
            return _load_config(path, today, with_digest)
        finally:
            if not keep_parsed_addresses:
                forget_parsed_blocks()


def _load_config(path: str | Path, today: date | None, with_digest: bool) -> Config:
    files, problems, merged = _documents(path)
    return _finish(files, problems, merged, today, with_digest)


def _rules_again(path: str | Path, today: date | None) -> tuple[list[Problem], str]:
    """What the rules' child answers, from the files read again (every problem, as load_config
    finds them, if the files changed meanwhile)."""
    files, problems, merged = _documents(path)
    if merged is None:
        return problems, ""
    problems.extend(semantic_problems(merged, today))
    return problems, digest(merged)


def _documents(path: str | Path, *, schema: bool = True
               ) -> tuple[list[Any], list[Problem], MDict | None]:
    """Files, their schema (unless not `schema`) and merge problems, and the merged document
    (None without files)."""
    files, problems = load_files(path)
    if schema:
        problems.extend(_schema_problems(files))
    merged = None
    if files:
        merged, merge_problems = merge_documents(files)
        problems.extend(merge_problems)
        for key, hint in _REQUIRED.items():
            if key not in merged:
                problems.append(Problem(f"missing required key `{key}`", merged.source, hint=hint))
    return files, problems, merged


def _schema_problems(files: list[Any]) -> list[Problem]:
    return [p for loaded in files
            for p in schema_problems(loaded.document, loaded.document.source)]


def _finish(files: list[Any], problems: list[Problem], merged: MDict | None,
            today: date | None, with_digest: bool = True) -> Config:
    """The semantic rules, then the model (built only from a configuration without problems)."""
    if merged is not None:
        problems.extend(semantic_problems(merged, today))
    if problems or not files or merged is None:
        raise ConfigError(sort_problems(problems))
    return _build(files, merged, with_digest)


def _build(files: list[Any], merged: MDict, with_digest: bool = True) -> Config:
    return build_config(merged, [f.name for f in files], digest(merged) if with_digest else "")


class PendingRules:
    """The schema check, the semantic rules and the digest of a configuration whose model is
    already built (without its digest), still running in a forked child (perf.Beside).
    `check()` joins them and raises their ConfigError; a caller must call it before it shows
    or acts on anything built from the configuration, and then take the configuration (and
    what it planned) with `digest`. As a context manager it reaps the child when the caller
    leaves without asking (an interrupt)."""

    def __init__(self, job: Beside[tuple[list[Problem], str]] | None, digest: str) -> None:
        self._job = job
        self.digest = digest

    def check(self) -> None:
        job, self._job = self._job, None
        if job is None:
            return
        found, self.digest = job.result()
        if found:
            raise ConfigError(sort_problems(found))

    def __enter__(self) -> PendingRules:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._job is not None:
            self._job.__exit__(*exc)
            self._job = None


def load_config_beside(path: str | Path, *,
                       today: date | None = None) -> tuple[Config, PendingRules]:
    """load_config for a command that goes on to read NSX (`plan`): where a core is idle, the
    schema check, the semantic rules and the digest run on it while the caller builds the
    model, connects and refreshes; `pending.check()` reports exactly the problems load_config
    would raise, and `pending.digest` is the configuration's digest after it (the Config
    returned has none until then). File, YAML and merge problems are still raised here, with
    the child's findings beside them. Elsewhere, this is load_config (`pending.check()` finds
    nothing, `pending.digest` is the Config's)."""
    with paused_gc():
        try:
            return _load_config_beside(path, today)
        finally:
            forget_parsed_blocks()


def _load_config_beside(path: str | Path,
                        today: date | None) -> tuple[Config, PendingRules]:
    files, problems, merged = _documents(path, schema=False)
    if problems or merged is None or not spare_core():
        problems.extend(_schema_problems(files))
        config = _finish(files, problems, merged, today)
        return config, PendingRules(None, config.digest)
    document = merged

    def child() -> tuple[list[Problem], str]:
        found = _schema_problems(files)
        found.extend(semantic_problems(document, today))
        return found, digest(document)

    # Should the child fail, it is all done again from the files: holding the merged YAML
    # document until the plan is done (to check it then) would keep ~80 MB of a 50,000-object
    # configuration alive beside the live state and the plan.
    job: Beside[tuple[list[Problem], str]] = Beside(
        child, fallback=lambda: _rules_again(path, today))
    if not job.forked:
        job.__exit__()
        problems.extend(_schema_problems(files))
        config = _finish(files, problems, merged, today)
        return config, PendingRules(None, config.digest)
    try:
        # Built before the schema and the rules have spoken: a configuration they would
        # refuse may fail to build, and then their findings are the error to report.
        config = _build(files, merged, with_digest=False)
    except Exception:
        with job:
            found, _ = job.result()
        if found:
            raise ConfigError(sort_problems(found)) from None
        raise
    return config, PendingRules(job, "")


def digest(document: Any) -> str:
    """sha256 of the canonical JSON of the merged documents (key order and layout don't count)."""
    # Imported here: `validate` never hashes, and _hashlib loads OpenSSL (~3 ms).
    import hashlib

    # No circular check: the YAML builder refuses a value containing itself, and the check
    # costs a dict operation per collection of a large document.
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      check_circular=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """By file, line, column; unlocated problems (a missing path) first; duplicates dropped."""
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.source is not None, p.source or Source("", 0, 0),
                                         p.message))


__all__ = ["ConfigError", "MDict", "PendingRules", "digest", "load_config",
           "load_config_beside", "sort_problems"]
