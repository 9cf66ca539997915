#!/usr/bin/env bash
# Build the panel as a PyInstaller onedir bundle: dist/Quickture/Quickture (Quickture.app on
# macOS, Quickture.exe on Windows), then run its --self-test.
#   packaging/build.sh                 build into ./dist (work files in ./build)
#   DIST_DIR=/tmp/d BUILD_DIR=/tmp/b packaging/build.sh
#   SKIP_SELF_TEST=1 packaging/build.sh
# Needs the project installed with its test extras (PyInstaller): scripts/bootstrap test.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
DIST_DIR="${DIST_DIR:-dist}"
BUILD_DIR="${BUILD_DIR:-build}"

export QUICKTURE_ICON_DIR="$BUILD_DIR/icon"
"$PY" packaging/make_icon.py "$QUICKTURE_ICON_DIR" >/dev/null
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST_DIR" --workpath "$BUILD_DIR/pyinstaller" packaging/quickture-panel.spec

case "$(uname -s)" in
  Darwin) exe="$DIST_DIR/Quickture.app/Contents/MacOS/Quickture" ;;
  MINGW*|MSYS*|CYGWIN*) exe="$DIST_DIR/Quickture/Quickture.exe" ;;
  *) exe="$DIST_DIR/Quickture/Quickture" ;;
esac
echo "built $exe"
if [ -z "${SKIP_SELF_TEST:-}" ]; then
  QT_QPA_PLATFORM=offscreen "$exe" --self-test
fi
