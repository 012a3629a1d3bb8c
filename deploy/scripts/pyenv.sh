#!/usr/bin/env bash
# Creates (once) a Python virtual environment with the test tools of
# deploy/scripts/requirements-test.txt (or of the requirements file given,
# e.g. examples/python/requirements.txt), from the Python package registry
# through pip's defaults, and prints its directory.
#   pyenv.sh DIR [REQUIREMENTS]
# Re-run after the requirements change: it reinstalls only when they did.
set -euo pipefail
dir=${1:?usage: pyenv.sh DIR [REQUIREMENTS]}
req=${2:-"$(cd "$(dirname "$0")" && pwd)/requirements-test.txt"}
if [ ! -x "$dir/bin/python" ]; then
  python3 -m venv "$dir" >&2
fi
if ! cmp -s "$req" "$dir/.requirements" 2>/dev/null; then
  "$dir/bin/pip" install -q --disable-pip-version-check -r "$req" >&2
  cp "$req" "$dir/.requirements"
fi
echo "$dir"
