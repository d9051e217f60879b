"""Credentials never reach output (any -v level), saved plans, journals, exports or metrics:
the real CLI against `nsxplan sim serve` with credentials on, basic and session auth, a password
full of shell and URL metacharacters."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.safety.helpers import CONFIG, NASTY, NO_CHECKS, secrets_in
from tests.scenarios.conftest import Result, Sim, nsxplan, nsxplan_proc, write_config


def config_for(sim: Sim, auth: str) -> str:
    return CONFIG + f"target:\n  manager: {sim.url}\n  auth: {auth}\n"


def all_output(*results: Result) -> str:
    return "\n".join(r.out + r.err for r in results)


@pytest.mark.parametrize("auth", ["basic", "session"])
def test_debug_logs_plans_journals_exports_and_metrics_carry_no_credentials(
        nasty_sim: Sim, tmp_path: Path, auth: str) -> None:
    cfg = write_config(tmp_path / "cfg", config_for(nasty_sim, auth))
    plan = tmp_path / "plan.json"
    journal = tmp_path / "journal.jsonl"
    metrics = tmp_path / "metrics.prom"
    runs = [
        nsxplan("-vv", "plan", cfg, "--out", plan, *NO_CHECKS, sim=nasty_sim),
        nsxplan("-vv", "apply", plan, "--auto-approve", "--journal", journal, *NO_CHECKS,
                sim=nasty_sim),
        nsxplan("-vv", "plan", cfg, "--format", "json", *NO_CHECKS, sim=nasty_sim),
        nsxplan("-vv", "drift", cfg, "--metrics", metrics, sim=nasty_sim),
        nsxplan("-vv", "export", "--manager", nasty_sim.url, "--out", tmp_path / "export.json",
                sim=nasty_sim),
    ]
    # drift pages (2) on the egress checks this lab configuration leaves failing.
    assert [r.code for r in runs] == [0, 0, 0, 2, 0], all_output(*runs)
    assert "DEBUG" in all_output(*runs), "no debug logging happened: the test proves nothing"
    assert secrets_in(all_output(*runs), NASTY) == []
    for artifact in (plan, journal, metrics, tmp_path / "export.json"):
        assert secrets_in(artifact.read_text(), NASTY) == [], artifact


def test_wrong_password_error_names_no_credentials(nasty_sim: Sim, tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "cfg", config_for(nasty_sim, "session"))
    wrong = NASTY + "-wrong"
    res = nsxplan("-vv", "plan", cfg, *NO_CHECKS, sim=nasty_sim,
                  env={"NSX_PASSWORD": wrong})
    assert res.code == 1, res.out + res.err
    assert secrets_in(res.out + res.err, wrong) == [] and secrets_in(res.out + res.err, NASTY) == []


@pytest.mark.parametrize("manager", [
    "https://admin:{pw}@nsx.example.com",
    "http://admin:{pw}@127.0.0.1:1",
    "https://admin:pa/ss@nsx.example.com",   # '/' ends the authority early: port 'pa'?
    "https://admin:{pw}@[::1",
])
def test_credentials_in_the_manager_url_are_refused_without_echoing_them(
        tmp_path: Path, manager: str) -> None:
    url = manager.format(pw="s3cr3t-pw")
    cfg = write_config(tmp_path / "cfg", CONFIG)
    res = nsxplan_proc("-vv", "plan", cfg, "--manager", url, *NO_CHECKS,
                       env={"NSX_USERNAME": "admin", "NSX_PASSWORD": "other"})
    text = res.out + res.err
    assert res.code == 1, text
    assert "Traceback" not in text and "internal error" not in text, text
    assert "s3cr3t-pw" not in text and "pa/ss" not in text and ":pa" not in text, text


def test_insecure_is_refused_for_plain_http_to_a_remote_host(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "cfg", CONFIG)
    res = nsxplan_proc("plan", cfg, "--manager", "http://192.0.2.10", "--insecure", *NO_CHECKS,
                       env={"NSX_USERNAME": "admin", "NSX_PASSWORD": "pw"})
    assert res.code == 1 and "--insecure refused for plain http://" in res.err, res.err
