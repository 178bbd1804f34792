#!/usr/bin/env bash
# What the 薬剤情報 / 特定健診情報 tests need on a clean Debian machine: pdftotext (poppler-utils)
# reads the PDF results back. Under CI those tests refuse to skip without it.
set -euo pipefail
# shellcheck source=packages.sh
. "$(dirname "$0")/packages.sh"
ensure_packages setup-medinfo poppler-utils
# `head` would close the pipe early: under pipefail that SIGPIPE (141) fails the whole run.
echo "setup-medinfo: ready ($(pdftotext -v 2>&1 | sed -n 1p))"
