"""`sim:DIR/state.json` with DIR missing: the state is locked all the same (the directory is
created), so two applies at once both keep their writes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.scenarios.conftest import NSXPLAN, cli_env, write_config

CONFIG = """\
version: 1
owner: {owner}
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
{routes}"""


def config(tmp: Path, owner: str, first: int) -> Path:
    routes = "".join(f"      - {{id: {owner}-{i}, network: 10.{first + i}.0.0/16, "
                     "next_hops: [{ip: 10.27.51.1}]}\n" for i in range(4))
    return write_config(tmp / owner, CONFIG.format(owner=owner, routes=routes))


def test_two_applies_on_a_new_directory_both_keep_their_writes(tmp_path: Path) -> None:
    state = tmp_path / "new" / "lab" / "state.json"
    manager = f"sim:{state}"
    procs = [subprocess.Popen([*NSXPLAN, "apply", str(config(tmp_path, owner, first)),
                               "--manager", manager, "--auto-approve",
                               "--fail-on-checks", "never"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=cli_env(None, None))
             for owner, first in (("alpha", 10), ("beta", 20))]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert (state.parent / ".state.json.lock").exists()
    text = state.read_text()
    for owner in ("alpha", "beta"):
        for i in range(4):
            assert f"{owner}-{i}" in text, (owner, i, outputs)


def test_a_directory_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    res = subprocess.run([*NSXPLAN, "plan", str(config(tmp_path, "alpha", 10)), "--manager",
                          f"sim:{blocker}/lab/state.json"], capture_output=True, text=True,
                         env=cli_env(None, None), timeout=60)
    assert res.returncode == 1, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert lines[0].startswith("cannot create the directory of simulator state"), lines
    assert lines[1].startswith("  hint: ") and len(lines) == 2 and "Traceback" not in res.stderr
