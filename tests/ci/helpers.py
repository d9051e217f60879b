"""Run the CI examples' jobs on this machine: their shell scripts verbatim, under bash, with the
forge (GitHub's `gh`, GitLab's REST API through `curl`) faked by tests/ci/fake_forge.py and NSX
being the simulator (`NSX_MANAGER=sim:FILE`).

What cannot run here is substituted, and only that:
- `actions/checkout` / GitLab's clone: the workspace already holds the configuration in nsx/;
- `actions/setup-python`, the `pip install nsxplan` step and GitLab's `before_script`: nsxplan is
  this checkout, on PATH as `nsxplan` (a shim running `python -m nsxplan`);
- `actions/upload-artifact`: the files its `path:` names are copied into the fake forge's store.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "examples" / "ci" / "github-actions.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab-ci.yml"
FORGE = Path(__file__).with_name("fake_forge.py")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
#: The step names the runner substitutes (anything else that is not `run:` fails the test).
INSTALL_STEP = "Install nsxplan"


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


@dataclass
class Job:
    code: int
    log: str
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    artifacts: dict[str, Path] = field(default_factory=dict)


@dataclass
class Forge:
    """A workspace (the repository checkout), the fake forge's state and a PATH of shims."""

    root: Path

    def __post_init__(self) -> None:
        self.bin.mkdir(parents=True, exist_ok=True)
        for name in ("gh", "curl"):
            self._shim(name, f'exec "{sys.executable}" "{FORGE}" {name} "$@"\n')
        self._shim("nsxplan", f'exec "{sys.executable}" -m nsxplan "$@"\n')

    def _shim(self, name: str, body: str) -> None:
        path = self.bin / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def state_file(self) -> Path:
        return self.root / "forge.json"

    def state(self) -> dict[str, Any]:
        if not self.state_file.exists():
            return {"comments": [], "issues": [], "runs": [], "calls": [], "next_id": 100}
        return dict(json.loads(self.state_file.read_text()))

    def update(self, **changes: Any) -> None:
        state = self.state()
        for key, value in changes.items():
            if isinstance(state.get(key), list):
                state[key].extend(value)
            else:
                state[key] = value
        self.state_file.write_text(json.dumps(state, indent=1))

    def workspace(self, name: str, config: Path) -> Path:
        """A fresh checkout whose nsx/ is `config` (an example directory)."""
        ws = self.root / name
        shutil.copytree(config, ws / "nsx", ignore=shutil.ignore_patterns("lab.json", ".nsxplan"))
        return ws

    def bash(self, script: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
        full = {"PATH": f"{self.bin}{os.pathsep}/usr/bin:/bin", "HOME": str(self.root),
                "LANG": "C.UTF-8", "FAKE_FORGE_STATE": str(self.state_file), **env}
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=cwd, env=full,
                              capture_output=True, text=True, timeout=300, check=False)
        return done.returncode, done.stdout + done.stderr


def _resolve(value: Any, context: dict[str, str]) -> str:
    return EXPRESSION.sub(lambda m: context[m.group(1)], str(value))


def run_github_job(forge: Forge, ws: Path, job_name: str, context: dict[str, str]) -> Job:
    """One job of the GitHub workflow; `context` answers its `${{ }}` expressions."""
    workflow = load(GITHUB)
    job = workflow["jobs"][job_name]
    base = {k: _resolve(v, context) for k, v in {**workflow.get("env", {}),
                                                  **job.get("env", {})}.items()}
    base.update(GITHUB_REPOSITORY="acme/nsx", GITHUB_SERVER_URL="https://github.com",
                GITHUB_RUN_ID=context.get("run_id", "1"))
    result = Job(code=0, log="")
    outputs_file = ws / ".github-output"
    for step in job["steps"]:
        if result.code != 0 and "always()" not in str(step.get("if", "")):
            continue
        uses = str(step.get("uses", ""))
        if uses.startswith(("actions/checkout@", "actions/setup-python@")):
            continue
        if uses.startswith("actions/upload-artifact@"):
            result.artifacts[step["with"]["name"]] = _upload(forge, ws, step["with"])
            continue
        assert "run" in step and not uses, f"unexpected step {step}"
        if step.get("name") == INSTALL_STEP:
            assert str(step["run"]).startswith("python -m pip install ")
            continue
        ctx = dict(context)
        for sid, outs in result.outputs.items():
            ctx.update({f"steps.{sid}.outputs.{k}": v for k, v in outs.items()})
        env = {**base, **{k: _resolve(v, ctx) for k, v in step.get("env", {}).items()},
               "GITHUB_OUTPUT": str(outputs_file)}
        assert "${{" not in step["run"], "expressions belong in env:, not in scripts"
        outputs_file.write_text("")
        code, log = forge.bash(step["run"], ws, env)
        result.log += f"--- {step.get('name', step['run'][:40])}\n{log}"
        if step.get("id"):
            result.outputs[step["id"]] = dict(
                line.split("=", 1) for line in outputs_file.read_text().splitlines() if line)
        if code != 0 and result.code == 0:
            result.code = code
    return result


def _upload(forge: Forge, ws: Path, spec: dict[str, Any]) -> Path:
    store = forge.root / "artifacts" / f"{spec['name']}-{len(list(forge.root.glob('artifacts/*')))}"
    store.mkdir(parents=True)
    for line in str(spec["path"]).split():
        src = ws / line
        if src.is_dir():
            shutil.copytree(src, store / line, dirs_exist_ok=True)
        elif src.exists():
            shutil.copy(src, store / line)
    return store


def run_gitlab_job(forge: Forge, ws: Path, job_name: str, variables: dict[str, str]) -> Job:
    """One job of the GitLab pipeline: its `script:` lines as one bash script (`-eo pipefail`,
    as the runner does), the global variables plus the CI ones given."""
    pipeline = load(GITLAB)
    job = pipeline[job_name]
    env = {**{k: str(v) for k, v in pipeline.get("variables", {}).items()},
           "CI_API_V4_URL": "https://gitlab.example.com/api/v4", "CI_PROJECT_ID": "42",
           "CI_PIPELINE_URL": "https://gitlab.example.com/acme/nsx/-/pipelines/9", **variables}
    code, log = forge.bash("\n".join(job["script"]), ws, env)
    result = Job(code=code, log=log)
    artifacts = job.get("artifacts")
    if artifacts and (code == 0 or artifacts.get("when") == "always"):
        result.artifacts[job_name] = _upload(forge, ws, {"name": job_name.replace(":", "-"),
                                                         "path": " ".join(artifacts["paths"])})
    return result
