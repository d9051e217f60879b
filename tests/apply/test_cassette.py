"""Golden request sequence of applying the static-routing example, as a vcrpy cassette.

Kept apart from the simulator tests: vcrpy patches httpx globally (in-process transport too).
The cassette is replayed (record_mode "none": an unexpected request fails the test);
`pytest tests/apply/test_cassette.py --update-golden` records it again against the embedded
simulator, scrubbed with nsxplan.redact. The test then asserts the sequence of methods and
paths is the designed one: one bulk read for the stale check, then per dependency wave one bulk
read of the pre-images, a PUT per create (its answer is the post-image: no read-back) and one
search that polls the realization of the whole wave.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import vcr

from nsxplan.apply import apply_plan
from nsxplan.apply.records import APPLIED
from nsxplan.config import load_config
from nsxplan.connect import connect
from nsxplan.live.read import read_live
from nsxplan.plan.model import Plan
from nsxplan.plan.planner import make_plan
from nsxplan.redact import before_record_request, before_record_response

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
CASSETTE = HERE / "cassettes" / "static-routing.yaml"
P = "/policy/api/v1"
T0 = P + "/infra/tier-0s/vcf-t0"

# the stale check's one bulk H-API read (the NSX version is cached from planning); then the
# one wave: its pre-images in one H-API read, a PUT per create in plan order (parallelism 1),
# and one search for the consolidated status of all three (SUCCESS at once here).
DESIGNED = [("GET", P + "/infra"), ("GET", P + "/infra")]
DESIGNED += [("PUT", _path) for _path in (
    T0 + "/nat/USER/nat-rules/supervisor-egress", T0 + "/nat/USER/nat-rules/tkg-egress",
    T0 + "/static-routes/default-route")]
DESIGNED += [("GET", P + "/search/query")]


def _plan(client: object) -> Plan:
    config = load_config(ROOT / "examples" / "static-routing-lab")
    return make_plan(config, read_live(client), target="sim")  # type: ignore[arg-type]


def _recorder(record: bool) -> vcr.VCR:
    return vcr.VCR(record_mode="all" if record else "none",
                   match_on=["method", "scheme", "host", "port", "path", "query", "body"],
                   before_record_request=before_record_request,
                   before_record_response=before_record_response,
                   decode_compressed_response=True)


def test_static_routing_apply_request_sequence(tmp_path: Path, update_golden: bool) -> None:
    if update_golden:
        CASSETTE.unlink(missing_ok=True)    # "all" would append to the old recording
    with connect("sim") as conn:
        plan = _plan(conn.client)
        with _recorder(update_golden).use_cassette(str(CASSETTE)) as cassette:
            result = apply_plan(plan, conn.client, parallelism=1, read_live=read_live,
                                journal_path=tmp_path / "j.jsonl", poll_interval=0.01)
            assert result.status == APPLIED, result.lines()
            assert update_golden or cassette.all_played
            sent = [(r.method, urlsplit(r.uri).path) for r in cassette.requests]
    assert sent == DESIGNED
    text = CASSETTE.read_text()
    assert "authorization" not in text.lower() and "JSESSIONID" not in text
