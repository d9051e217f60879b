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

from nsxplan.errors import ConfigError, Problem
from nsxplan.model import Config
from nsxplan.validate import load_config

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


@SETTINGS
@given(st.fixed_dictionaries(
    {"version": st.just(1), "owner": st.just("fuzz")},
    optional={"tier0s": st.lists(gateway(), max_size=3), "tier1s": st.lists(gateway(), max_size=3),
              "dns_zones": st.lists(st.fixed_dictionaries(
                  {"id": st.sampled_from(WORDS), "upstream_servers": st.lists(
                      st.sampled_from(WORDS), max_size=4)},
                  optional={"domains": st.lists(st.sampled_from(WORDS), max_size=2)}), max_size=3),
              "target": st.fixed_dictionaries({"manager": st.sampled_from(WORDS)})}))
def test_nearly_valid_configurations(workdir: Path, value: dict[str, Any]) -> None:
    result = check_bytes(workdir, yaml.safe_dump(value).encode("utf-8"))
    if isinstance(result, Config):
        assert result.owner == "fuzz" and len(result.digest) == 64
