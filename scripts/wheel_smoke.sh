#!/usr/bin/env bash
# Build the wheel, install it non-editable in a throwaway venv, and run `evalkit check` and
# `evalkit report` there from an empty folder: the package must work without the source tree.
# Dependencies come from the project's .venv (added to the throwaway venv's path, after the wheel),
# so this checks the package and its resources, not the download of its dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" -m pip wheel --quiet --no-deps -w "$work/dist" . >/dev/null
"$PY" -m venv "$work/venv"
site=$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
deps=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$work/venv/bin/python" -m pip install --quiet --no-deps --no-index "$work"/dist/evalkit-*.whl
echo "$deps" > "$site/zz_project_dependencies.pth"
# data files of those dependencies (nbconvert's templates, the kernel spec) live under the project venv's share/
export JUPYTER_PATH="$(cd "$(dirname "$PY")/.." && pwd)/share/jupyter"
mkdir "$work/empty" && cd "$work/empty"
where=$("$work/venv/bin/python" -c 'import evalkit, os; print(os.path.dirname(evalkit.__file__))')
case "$where" in "$site"*) ;; *) echo "wheel smoke: evalkit imported from $where, not the wheel"; exit 1;; esac
sample=$("$work/venv/bin/python" -c 'from evalkit import resources; print(resources.sample(resources.HR_FILE))')
set +e
"$work/venv/bin/evalkit" check "$sample" --lang vi --out check.xlsx > check.txt
code=$?
set -e
[ "$code" = 1 ] || { echo "wheel smoke: evalkit check exited $code, expected 1 (the sample is over the cap)"; cat check.txt; exit 1; }
"$work/venv/bin/evalkit" report --out reports > report.txt || { echo "wheel smoke: evalkit report failed"; cat report.txt; exit 1; }
n=$(ls reports/0[1-5]_*.html | wc -l)
[ "$n" = 5 ] || { echo "wheel smoke: expected 5 notebook pages, found $n"; exit 1; }
if "$work/venv/bin/python" -c 'import fastapi' 2>/dev/null; then  # the web extra: templates and migrations ship
  "$work/venv/bin/python" -c 'from evalkit.web.app import Settings, create_app; create_app(Settings(db_url="sqlite:///web.db"))' \
    || { echo "wheel smoke: the web application does not start from the wheel"; exit 1; }
fi
echo "wheel smoke: the installed wheel (no source tree) checked the sample and wrote $n notebook pages"
