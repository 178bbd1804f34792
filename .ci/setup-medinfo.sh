#!/usr/bin/env bash
# What the 薬剤情報 / 特定健診情報 tests need on a clean Debian machine: pdftotext (poppler-utils)
# reads the PDF results back. Under CI those tests refuse to skip without it.
set -euo pipefail
if ! command -v pdftotext >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
fi
# `head` would close the pipe early: under pipefail that SIGPIPE (141) fails the whole run.
echo "setup-medinfo: ready ($(pdftotext -v 2>&1 | sed -n 1p))"
