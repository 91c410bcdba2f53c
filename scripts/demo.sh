#!/usr/bin/env bash
# npm run demo: builds the bundles, starts an emulated GitHub runner (the test bed: own
# namespaces, real dockerd and containerd, MicroK8s emulated), runs the action with a side-loaded
# image and one pushed to the built-in registry, prints the outputs and the job summary, and stops
# the bed. Needs root on Debian (it creates namespaces and starts daemons inside them).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo 'npm run demo starts namespaces and daemons of its own: run it as root (sudo npm run demo)' >&2
  exit 1
fi
if [ -f scripts/ci-deps.sh ]; then
  echo '==> Debian packages the bed uses'
  bash scripts/ci-deps.sh
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
echo '==> Building the bundles (npm run package)'
npm run package >/dev/null
exec npx vitest run --config __tests__/demo/vitest.config.ts
