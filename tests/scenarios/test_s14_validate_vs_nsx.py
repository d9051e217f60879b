"""What `nsxplan validate` accepts, NSX must accept too; what NSX refuses, validate should say.

An operator validates in CI and applies in a change window: a rule NSX rejects must be caught
offline with file:line:column, not at apply time (where it costs a rollback in the window).
Each configuration is validated, then applied to a served simulator.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.scenarios.conftest import Sim, nsxplan, write_config

HEAD = "version: 1\nowner: v\ntier0s:\n  - id: vcf-t0\n    existing: true\n"
ACCEPTED = {
    "reflexive-one-to-one": "    nat_rules: [{id: r, action: REFLEXIVE, source: 30.0.0.5, "
                            "translated: 10.27.52.1}]\n",
    "reflexive-block-to-block": "    nat_rules: [{id: r, action: REFLEXIVE, source: 30.0.0.0/30, "
                                "translated: 10.27.52.0/30}]\n",
    "reflexive-range-to-block": "    nat_rules: [{id: r, action: REFLEXIVE, "
                                "source: 30.0.0.0-30.0.0.3, translated: 10.27.52.0/30}]\n",
    "ipv6-route": '    static_routes: [{id: r, network: "2001:db8::/32", '
                  'next_hops: [{ip: "2001:db8::1"}]}]\n',
}
# Reference §4.7, REFLEXIVE: "#original = #translated" (a stateless 1:1 mapping).
REFUSED_BY_NSX = {
    "reflexive-one-to-four": ("30.0.0.5", "10.27.52.0/30"),
    "reflexive-256-to-one": ("30.0.0.0/24", "10.27.52.1"),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_valid_configuration_applies(case: str, sims: Callable[..., Sim], tmp_path: Path) -> None:
    config = write_config(tmp_path / case, HEAD + ACCEPTED[case])
    assert nsxplan("validate", config).code == 0
    sim = sims()
    res = nsxplan("apply", config, "--manager", sim.url, "--auto-approve",
                  "--fail-on-checks", "never", sim=sim)
    assert res.code == 0, res.out + res.err
    again = nsxplan("plan", config, "--manager", sim.url, "--detailed-exitcode",
                    "--fail-on-checks", "never", sim=sim)
    assert again.code == 0, again.out + again.err


@pytest.mark.parametrize("case", list(REFUSED_BY_NSX))
def test_what_nsx_refuses_is_caught_offline(case: str, shared_sim: Sim,
                                            tmp_path: Path) -> None:
    source, translated = REFUSED_BY_NSX[case]
    # NSX (the simulator, reference §4.7) refuses the write...
    refused = shared_sim.patch(f"/infra/tier-0s/vcf-t0/nat/USER/nat-rules/{case}",
                               {"action": "REFLEXIVE", "source_network": source,
                                "translated_network": translated})
    assert refused.status_code == 400, refused.text
    # ...so `validate` must refuse it first, located at the rule, and plan/apply never send it.
    config = write_config(tmp_path / case, HEAD + (
        f"    nat_rules: [{{id: r, action: REFLEXIVE, source: {source}, "
        f"translated: {translated}}}]\n"))
    res = nsxplan("validate", config)
    assert res.code == 1, f"validate accepted what NSX refuses:\n{res.out}{res.err}"
    assert "nsxplan.yaml:6:" in res.err and "REFLEXIVE" in res.err, res.err
    applied = nsxplan("apply", config, "--manager", shared_sim.url, "--auto-approve",
                      "--fail-on-checks", "never", sim=shared_sim)
    assert applied.code == 1 and "nsxplan.yaml:6:" in applied.err
    assert shared_sim.status(f"/infra/tier-0s/vcf-t0/nat/USER/nat-rules/{case}") == 404
