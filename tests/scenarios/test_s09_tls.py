"""Scenario 9: a simulator served over TLS with a self-signed certificate.

With --ca-bundle the CLI verifies and works; without it, one line saying TLS verification failed
plus a hint (no traceback); --insecure works but warns.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scenarios.conftest import Sim, nsxplan, nsxplan_proc, start_sim


@pytest.fixture(scope="module")
def tls_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    s = start_sim(tmp_path_factory.mktemp("tls-sim"), tls=True)
    yield s
    s.stop()


def test_ca_bundle_verifies(tls_sim: Sim, lab: Path) -> None:
    assert tls_sim.ca_file and Path(tls_sim.ca_file).exists()
    res = nsxplan("plan", lab, "--manager", tls_sim.url, "--ca-bundle", tls_sim.ca_file,
                  "--detailed-exitcode", sim=tls_sim)
    assert res.code == 2, res.out + res.err
    assert "Plan: 3 to create" in res.out
    assert "warning" not in res.err.lower()
    # NSX_MANAGER is honoured as well as --manager.
    res = nsxplan("export", "--ca-bundle", tls_sim.ca_file, sim=tls_sim,
                  env={"NSX_MANAGER": tls_sim.url})
    assert res.code == 0 and '"Infra"' in res.out, res.err


def test_untrusted_certificate_is_one_line_and_a_hint(tls_sim: Sim, lab: Path) -> None:
    res = nsxplan_proc("plan", lab, "--manager", tls_sim.url, sim=tls_sim)
    assert res.code == 1, res.out + res.err
    assert "Traceback" not in res.err and res.out == ""
    lines = [line for line in res.err.splitlines() if line.strip()]
    assert len(lines) == 2, res.err
    assert "TLS" in lines[0] and tls_sim.url in lines[0]
    assert lines[1].lstrip().startswith("hint:") and "--ca-bundle" in lines[1]


def test_insecure_works_with_a_warning(tls_sim: Sim, lab: Path) -> None:
    res = nsxplan("plan", lab, "--manager", tls_sim.url, "--insecure", "--detailed-exitcode",
                  sim=tls_sim)
    assert res.code == 2, res.out + res.err
    assert "insecure" in res.err.lower() or "verification disabled" in res.err.lower(), res.err
    assert "warning" not in res.out.lower()


@pytest.mark.parametrize("bundle", ["missing.pem", "not-pem.txt"])
def test_bad_ca_bundle_is_a_clean_error(tls_sim: Sim, lab: Path, tmp_path: Path,
                                        bundle: str) -> None:
    path = tmp_path / bundle
    if bundle == "not-pem.txt":
        path.write_text("this is not a certificate\n")
    res = nsxplan("plan", lab, "--manager", tls_sim.url, "--ca-bundle", path, sim=tls_sim)
    assert res.code == 1 and "Traceback" not in res.err and "internal error" not in res.err
    assert "hint:" in res.err


def test_ca_bundle_in_the_configuration_is_relative_to_it(tls_sim: Sim, tmp_path: Path) -> None:
    """`target.ca_bundle: ca.pem` next to the YAML works from any directory, like `sim:FILE`
    (it used to be read relative to the working directory: "CA bundle ca.pem does not exist")."""
    assert tls_sim.ca_file
    stack = tmp_path / "stack"
    stack.mkdir()
    shutil.copy(tls_sim.ca_file, stack / "ca.pem")
    (stack / "nsxplan.yaml").write_text(
        f"version: 1\nowner: t\ntarget:\n  manager: {tls_sim.url}\n  ca_bundle: ca.pem\n"
        "tier0s:\n  - id: vcf-t0\n    existing: true\n")
    for cwd, path in ((tmp_path, "stack"), (stack, "."), (Path("/"), str(stack))):
        res = nsxplan("plan", path, "--fail-on-checks", "never", sim=tls_sim, cwd=cwd)
        assert res.code == 0, (cwd, res.out + res.err)
        assert tls_sim.url in res.out
