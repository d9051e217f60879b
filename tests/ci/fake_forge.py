"""A fake GitHub `gh` and GitLab REST API `curl` for running the CI examples' scripts verbatim.

Installed on PATH as `gh` and `curl` (small shims exec this file with their own name). It keeps
the forge's state (comments, issues, runs, artifacts) in the JSON file named by FAKE_FORGE_STATE
and implements exactly the calls the examples make; any other call exits 2 naming it, so a
script that drifts from what this fake understands fails its test instead of passing silently.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

STATE = Path(os.environ["FAKE_FORGE_STATE"])


def load() -> dict[str, Any]:
    if STATE.exists():
        return dict(json.loads(STATE.read_text()))
    return {"comments": [], "issues": [], "runs": [], "calls": [], "next_id": 100}


def save(state: dict[str, Any]) -> None:
    STATE.write_text(json.dumps(state, indent=1))


def new_id(state: dict[str, Any]) -> int:
    state["next_id"] += 1
    return int(state["next_id"])


def die(message: str) -> None:
    print(f"fake forge: {message}", file=sys.stderr)
    sys.exit(2)


def opts(argv: list[str], flags: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """--name value pairs (repeatable) and the positional words."""
    named: dict[str, list[str]] = {}
    words: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in flags:
            named.setdefault(a, []).append("")
            i += 1
        elif a.startswith("-"):
            named.setdefault(a, []).append(argv[i + 1])
            i += 2
        else:
            words.append(a)
            i += 1
    return named, words


def body_arg(value: str) -> str:
    """gh's `-F body=@file` and `--body-file file`."""
    return Path(value[1:]).read_text() if value.startswith("@") else value


# --------------------------------------------------------------------------- gh


def gh(argv: list[str], state: dict[str, Any]) -> None:
    named, words = opts(argv, {"--paginate", "--force"})
    cmd = words[:2]
    if words[0] == "api":
        method = named.get("--method", ["GET"])[0]
        path = words[1]
        m = re.fullmatch(r"repos/[^/]+/[^/]+/issues/(\d+)/comments", path)
        if m and method == "GET":
            jq = named["--jq"][0]
            marker = re.search(r'startswith\("(.*?)"\)', jq)
            if marker is None:
                die(f"unexpected --jq {jq!r}")
            for c in state["comments"]:
                if c["pr"] == int(m.group(1)) and c["body"].startswith(marker.group(1)):
                    print(c["id"])
            return
        fields = dict(f.split("=", 1) for f in named.get("-F", []))
        if m and method == "POST":
            state["comments"].append({"id": new_id(state), "pr": int(m.group(1)),
                                      "body": body_arg(fields["body"])})
            return
        m = re.fullmatch(r"repos/[^/]+/[^/]+/issues/comments/(\d+)", path)
        if m and method == "PATCH":
            for c in state["comments"]:
                if c["id"] == int(m.group(1)):
                    c["body"] = body_arg(fields["body"])
                    return
            die(f"no comment {m.group(1)}")
    elif cmd == ["run", "list"]:
        runs = [r for r in reversed(state["runs"]) if r["sha"] == named["--commit"][0]
                and r["status"] == named["--status"][0]]
        for r in runs[: int(named["--limit"][0])]:
            print(r["id"])
        return
    elif cmd == ["run", "download"]:
        (run,) = [r for r in state["runs"] if str(r["id"]) == words[2]]
        src = Path(run["artifacts"][named["--name"][0]])
        shutil.copytree(src, named["--dir"][0], dirs_exist_ok=True)
        return
    elif cmd == ["pr", "comment"]:
        state["comments"].append({"id": new_id(state), "pr": int(words[2]),
                                  "body": named["--body"][0]})
        return
    elif cmd == ["issue", "list"]:
        label = named["--label"][0]
        for i in state["issues"]:
            if label in i["labels"] and i["state"] == "open":
                print(i["number"])
                return
        return
    elif cmd == ["issue", "create"]:
        state["issues"].append({"number": new_id(state), "labels": named["--label"],
                                "title": named["--title"][0], "state": "open",
                                "body": Path(named["--body-file"][0]).read_text(),
                                "comments": []})
        return
    elif cmd == ["issue", "comment"]:
        issue(state, words[2])["comments"].append(Path(named["--body-file"][0]).read_text())
        return
    elif cmd == ["issue", "close"]:
        found = issue(state, words[2])
        found["comments"].append(named["--comment"][0])
        found["state"] = "closed"
        return
    elif cmd == ["label", "create"]:
        return
    die(f"unexpected call: gh {' '.join(argv)}")


def issue(state: dict[str, Any], number: str) -> dict[str, Any]:
    (found,) = [i for i in state["issues"] if str(i["number"]) == number]
    assert isinstance(found, dict)
    return found


# --------------------------------------------------------------------------- curl (GitLab)


def curl(argv: list[str], state: dict[str, Any]) -> None:
    named, words = opts(argv, {"--fail", "--silent", "--show-error", "--location"})
    if "PRIVATE-TOKEN: " + os.environ.get("GITLAB_API_TOKEN", "?") not in named.get("--header",
                                                                                      []):
        die("no PRIVATE-TOKEN header")
    (url,) = words
    parts = urlsplit(url)
    path = parts.path.removeprefix("/api/v4/projects/42")
    method = named.get("--request", ["GET"])[0]
    data: dict[str, str] = {}
    for item in named.get("--data-urlencode", []) + named.get("--data", []):
        name, sep, value = item.partition("=")
        if not sep:
            name, _, file = item.partition("@")
            value = Path(file).read_text()
        data[name] = value
    out: Any = None
    m = re.fullmatch(r"/merge_requests/(\d+)/notes(?:/(\d+))?", path)
    if m and method == "GET":
        out = [{"id": c["id"], "body": c["body"]} for c in state["comments"]
               if c["pr"] == int(m.group(1))]
    elif m and method == "POST":
        state["comments"].append({"id": new_id(state), "pr": int(m.group(1)),
                                  "body": data["body"]})
        out = {}
    elif m and method == "PUT" and m.group(2):
        for c in state["comments"]:
            if c["id"] == int(m.group(2)):
                c["body"] = data["body"]
        out = {}
    elif (m := re.fullmatch(r"/repository/commits/(\w+)/merge_requests", path)):
        out = [{"iid": mr["iid"], "state": "merged"} for mr in state.get("merged", [])
               if mr["sha"] == m.group(1)]
    elif (m := re.fullmatch(r"/jobs/artifacts/(.+)/raw/(.+)", path)):
        ref = unquote(m.group(1))
        job = parse_qs(parts.query)["job"][0]
        runs = [r for r in reversed(state["runs"]) if r["ref"] == ref and r["status"] == "success"
                and job in r["artifacts"]]
        if not runs:
            sys.exit(22)      # curl --fail on a 404
        shutil.copy(Path(runs[0]["artifacts"][job]) / m.group(2), named["--output"][0])
        return
    elif path == "/issues" and method == "GET":
        query = parse_qs(parts.query)
        out = [{"iid": i["number"]} for i in state["issues"]
               if query["labels"][0] in i["labels"] and query["state"][0] == "opened"
               and i["state"] == "open"]
    elif path == "/issues" and method == "POST":
        state["issues"].append({"number": new_id(state), "labels": data["labels"].split(","),
                                "title": data["title"], "state": "open",
                                "body": data["description"], "comments": []})
        out = {}
    elif (m := re.fullmatch(r"/issues/(\d+)/notes", path)) and method == "POST":
        issue(state, m.group(1))["comments"].append(data["body"])
        out = {}
    elif (m := re.fullmatch(r"/issues/(\d+)", path)) and method == "PUT":
        if data.get("state_event") == "close":
            issue(state, m.group(1))["state"] = "closed"
        out = {}
    if out is None:
        die(f"unexpected call: curl {' '.join(argv)}")
    print(json.dumps(out))


def main() -> None:
    name = Path(sys.argv[1]).name
    argv = sys.argv[2:]
    state = load()
    state["calls"].append([name, *argv])
    try:
        (gh if name == "gh" else curl)(argv, state)
    finally:
        save(state)


if __name__ == "__main__":
    main()
