#!/usr/bin/env bash
# Lints proto/ with buf's default rules. buf comes from the npm registry
# (@bufbuild/buf) and is installed into .cache/buf on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
BUF=.cache/buf/node_modules/.bin/buf
if [ ! -x "$BUF" ]; then
  mkdir -p .cache/buf
  (cd .cache/buf && npm install --silent --no-audit --no-fund @bufbuild/buf@1 >/dev/null)
fi
"$BUF" lint
echo "buf lint: proto/ passes"
