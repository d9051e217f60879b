"""Whatever the input, load_config returns a Config or raises ConfigError: never anything else.

Four generators: arbitrary text, arbitrary bytes, random nested structures dumped as YAML, and
configurations built from the language's own keys and plausible values (which reach the semantic
rules and the model build, where a wrong type would otherwise surface as a traceback).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsxplan.config import load_config
from nsxplan.config.model import Config
from nsxplan.errors import ConfigError, Problem

pytestmark = pytest.mark.slow      # hundreds of generated configurations

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    # Module-scoped: hypothesis reuses one function-scoped fixture across examples.
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def outcome(path: Path) -> Config | ConfigError:
    try:
        return load_config(path)
    except ConfigError as error:
        assert error.problems and all(isinstance(p, Problem) for p in error.problems)
        for problem in error.problems:
            assert problem.format().strip()
            if problem.source is not None:
                assert problem.source.line >= 1 and problem.source.col >= 1
        return error


def check_bytes(workdir: Path, data: bytes) -> Config | ConfigError:
    path = workdir / "fuzz.yaml"
    path.write_bytes(data)
    return outcome(path)


@SETTINGS
@given(st.text())
def test_arbitrary_text(workdir: Path, text: str) -> None:
    check_bytes(workdir, text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(st.binary())
def test_arbitrary_bytes(workdir: Path, data: bytes) -> None:
    check_bytes(workdir, data)


KEYS = ["version", "owner", "target", "manager", "tier0s", "tier1s", "dns_zones", "dependencies",
        "id", "existing", "adopt", "ha_mode", "tier0", "static_routes", "network", "next_hops",
        "ip", "admin_distance", "nat_rules", "action", "source", "destination", "translated",
        "translated_ports", "service", "sequence", "tags", "scope", "tag", "dns_forwarder",
        "listener_ip", "default_zone", "conditional_zones", "domains", "upstream_servers",
        "source_ip", "dns_servers", "address", "clients", "routed_upstream", "display_name",
        "edge_cluster", "route_advertisement", "enabled", "x-anchor", "<<"]
WORDS = ["1", "vcf-t0", "t1", "z", "SNAT", "DNAT", "REFLEXIVE", "NO_SNAT", "NO_DNAT",
         "ACTIVE_ACTIVE", "ACTIVE_STANDBY", "10.0.0.1", "10.0.0.0/24", "10.0.0.1/24",
         "10.0.0.1-10.0.0.9", "10.0.0.1,10.0.0.2", "::1", "0.0.0.0/0", "/infra/tier-0s/x",
         "nsxplan/owner", "sim", "sim:x.json", "corp.example.com", "", "-", "a/b"]
SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats()
           | st.sampled_from(WORDS) | st.text(max_size=20))


def nested(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(keys, inner, max_size=6), max_leaves=40)


@SETTINGS
@given(nested(st.text(max_size=10)))
def test_random_structures(workdir: Path, value: Any) -> None:
    check_bytes(workdir, yaml.safe_dump(value, allow_unicode=True).encode("utf-8"))


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS), nested(st.sampled_from(KEYS)), max_size=8))
def test_language_shaped_structures(workdir: Path, value: dict[str, Any]) -> None:
    check_bytes(workdir, yaml.safe_dump(value).encode("utf-8"))


def gateway() -> st.SearchStrategy[dict[str, Any]]:
    rule = st.fixed_dictionaries({"id": st.sampled_from(["a", "b", "c"]),
                                  "action": st.sampled_from(WORDS[4:9])},
                                 optional={k: st.sampled_from(WORDS) for k in
                                           ("source", "destination", "translated",
                                            "translated_ports", "service")})
    route = st.fixed_dictionaries({"id": st.sampled_from(["r", "s"]),
                                   "network": st.sampled_from(WORDS),
                                   "next_hops": st.lists(st.fixed_dictionaries(
                                       {"ip": st.sampled_from(WORDS)}), max_size=2)})
    return st.fixed_dictionaries(
        {"id": st.sampled_from(["vcf-t0", "t1", "x"])},
        optional={"existing": st.booleans(), "ha_mode": st.sampled_from(WORDS[9:11]),
                  "tier0": st.sampled_from(WORDS), "nat_rules": st.lists(rule, max_size=4),
                  "static_routes": st.lists(route, max_size=3),
                  "tags": st.dictionaries(st.sampled_from(WORDS), st.sampled_from(WORDS)),
                  "dns_forwarder": st.fixed_dictionaries(
                      {"listener_ip": st.sampled_from(WORDS),
                       "default_zone": st.sampled_from(WORDS)},
                      optional={"conditional_zones": st.lists(st.sampled_from(WORDS))})})


NEARLY_VALID = st.fixed_dictionaries(
    {"version": st.just(1), "owner": st.just("fuzz")},
    optional={"tier0s": st.lists(gateway(), max_size=3), "tier1s": st.lists(gateway(), max_size=3),
              "dns_zones": st.lists(st.fixed_dictionaries(
                  {"id": st.sampled_from(WORDS), "upstream_servers": st.lists(
                      st.sampled_from(WORDS), max_size=4)},
                  optional={"domains": st.lists(st.sampled_from(WORDS), max_size=2)}), max_size=3),
              "target": st.fixed_dictionaries({"manager": st.sampled_from(WORDS)})})


@SETTINGS
@given(NEARLY_VALID)
def test_nearly_valid_configurations(workdir: Path, value: dict[str, Any]) -> None:
    result = check_bytes(workdir, yaml.safe_dump(value).encode("utf-8"))
    if isinstance(result, Config):
        assert result.owner == "fuzz" and len(result.digest) == 64


@st.composite
def valid_configs(draw: st.DrawFn) -> dict[str, Any]:
    """Valid by construction, so every one must load, and the model must mirror it."""
    zones = [{"id": f"z{i}", "upstream_servers": [f"192.168.10.{i + 1}"]}
             for i in range(draw(st.integers(0, 3)))]
    for zone in zones[1:]:
        zone["domains"] = [f"{zone['id']}.example.com"]

    def rules(stateful: bool) -> list[dict[str, Any]]:
        actions = ["SNAT", "DNAT", "REFLEXIVE", "NO_SNAT", "NO_DNAT"] if stateful else [
            "REFLEXIVE", "NO_SNAT", "NO_DNAT"]
        out = []
        for i, action in enumerate(draw(st.lists(st.sampled_from(actions), max_size=4))):
            rule: dict[str, Any] = {"id": f"n{i}", "action": action,
                                    "source": f"30.0.{i}.0/24", "destination": f"10.9.{i}.1"}
            if action in ("SNAT", "DNAT", "REFLEXIVE"):
                rule["translated"] = f"172.16.2.{i + 1}"
            if action == "REFLEXIVE":
                # stateless NAT maps one to one: as many translated as source addresses
                del rule["destination"]
                rule["source"] = f"30.0.{i}.7"
            if draw(st.booleans()):
                rule["sequence"] = draw(st.integers(0, 1000))
            out.append(rule)
        return out

    def routes() -> list[dict[str, Any]]:
        return [{"id": f"r{i}", "network": f"10.{i}.0.0/16",
                 "next_hops": [{"ip": "10.27.51.1", "admin_distance": draw(st.integers(1, 255))}]}
                for i in range(draw(st.integers(0, 3)))]

    tier0s = []
    for i in range(draw(st.integers(0, 2))):
        standby = draw(st.booleans())
        tier0: dict[str, Any] = {"id": f"t0-{i}", "static_routes": routes(),
                                 "nat_rules": rules(standby)}
        if standby:
            tier0["ha_mode"] = "ACTIVE_STANDBY"
        tier0s.append(tier0)
    tier1s = []
    for i in range(draw(st.integers(0, 3))):
        tier1: dict[str, Any] = {"id": f"t1-{i}", "nat_rules": rules(True),
                                 "tags": draw(st.dictionaries(st.sampled_from(["a", "b"]),
                                                              st.sampled_from(["x", "y"])))}
        tier1["tier0"] = draw(st.sampled_from([t["id"] for t in tier0s] + ["/infra/tier-0s/x"]))
        if zones and draw(st.booleans()):
            tier1["dns_forwarder"] = {"listener_ip": f"10.96.10.{i + 1}", "default_zone": "z0",
                                      "conditional_zones": [z["id"] for z in zones[1:]]}
        tier1s.append(tier1)
    return {"version": 1, "owner": "fuzz", "tier0s": tier0s, "tier1s": tier1s,
            "dns_zones": zones}


@SETTINGS
@given(valid_configs())
def test_valid_configurations_build_a_matching_model(workdir: Path, value: dict[str, Any]) -> None:
    result = check_bytes(workdir, yaml.safe_dump(value).encode("utf-8"))
    assert isinstance(result, Config), result
    assert [t.id for t in result.tier0s] == [t["id"] for t in value["tier0s"]]
    for model, doc in zip(result.tier1s, value["tier1s"], strict=True):
        assert [r.action for r in model.nat_rules] == [r["action"] for r in doc["nat_rules"]]
        assert model.tier0_path is not None and model.tier0_path.endswith(
            doc["tier0"].rsplit("/", 1)[-1])
        assert (model.tier0 is None) == doc["tier0"].startswith("/")
        assert [t.scope for t in model.tags] == sorted(doc["tags"])
        if "dns_forwarder" in doc:
            assert model.dns_forwarder is not None
            assert model.dns_forwarder.default_zone.id == "z0"
            assert len(model.dns_forwarder.conditional_zones) == len(value["dns_zones"]) - 1
