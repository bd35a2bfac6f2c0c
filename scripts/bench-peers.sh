#!/usr/bin/env bash
# Installs the peers the benchmarks compare durable with, under build/ (not needed for tests):
# a venv with DBOS and the Temporal Python SDK, and the Temporal CLI (dev server) built with
# `go install` from the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x build/peers-venv/bin/python ]; then python3 -m venv build/peers-venv; fi
build/peers-venv/bin/pip install -q 'dbos==3.4.0' 'temporalio==1.35.0'
if [ ! -x build/peers-bin/temporal ]; then
  GOBIN="$PWD/build/peers-bin" go install github.com/temporalio/cli/cmd/temporal@v1.5.1
fi
echo "peers ready: build/peers-venv, build/peers-bin/temporal"
