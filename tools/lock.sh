#!/bin/sh
# Regenerate the two locks the README installs from (run from the checkout's root):
#     sh tools/lock.sh
# uv's `pip compile --universal` writes one lock valid on every platform and every Python
# nsxplan supports (>= 3.10), with the hash of every file, so a fresh clone on any machine gets
# exactly what CI tested. uv itself is pinned and installed into a throwaway venv: nothing is
# needed beforehand but python3.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q 'uv==0.13.9'
# The build backend ([build-system] requires) is locked too: installs use
# --no-build-isolation, so nothing unpinned is fetched to build nsxplan itself.
printf 'setuptools>=68\nwheel\n' > "$tmp/build.in"
compile() {
    "$tmp/venv/bin/uv" pip compile --quiet --universal --python-version 3.10 --generate-hashes \
        --no-header --custom-compile-command 'sh tools/lock.sh' "$@"
}
compile pyproject.toml "$tmp/build.in" -o requirements.lock
compile pyproject.toml "$tmp/build.in" --extra test -o requirements-test.lock
echo "wrote requirements.lock and requirements-test.lock"
