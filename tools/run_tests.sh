#!/usr/bin/env bash
# Install what is missing (tools/install.sh), check the imports and the code
# (import-linter's floors and ruff, configured in pyproject.toml), then run
# the whole test suite. A failed check fails the run before any test.
#   bash tools/run_tests.sh [pytest args...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$(bash "$ROOT/tools/install.sh" | tail -n 1)"
cd "$ROOT"
echo "lint-imports (pyproject.toml: [tool.importlinter])"
"$PY" -c 'import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())' --no-cache
echo "ruff check . (pyproject.toml: [tool.ruff])"
"$PY" -m ruff check .
set +e
"$PY" -m pytest tests -p no:cacheprovider "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
    echo "pytest collected no tests: treating as a failure" >&2
    exit 1
fi
exit $status
