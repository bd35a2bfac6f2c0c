#!/usr/bin/env bash
# Builds FerretDB (a MongoDB wire-protocol server with a SQLite backend) from the Go module
# proxy into .cache/ferretdb/bin/ferretdb, for the OSM LCM example's GridFS. Idempotent: a
# no-op when the binary exists.
#   scripts/ferretdb.sh
# Why not a plain `go install ...@v1.24.2`: build/version/version.txt is generated in
# FerretDB's repository, not shipped in the module, and the binary panics at start without it
# (DESIGN.md §9). So: a small module that vendors FerretDB, writes that file, builds from vendor.
set -euo pipefail
cd "$(dirname "$0")/.."

version=v1.24.2
dir=.cache/ferretdb
bin="$dir/bin/ferretdb"
if [ -x "$bin" ]; then
  exit 0
fi
command -v go >/dev/null || { echo "ferretdb.sh: Go is not installed (need go >= 1.22)" >&2; exit 1; }

echo "ferretdb.sh: building FerretDB $version into $bin"
mkdir -p "$dir/src"
cd "$dir/src"
[ -f go.mod ] || go mod init durable.local/ferretdb-build >/dev/null
go get -tool "github.com/FerretDB/FerretDB/cmd/ferretdb@$version"
go mod vendor
echo "$version" > vendor/github.com/FerretDB/FerretDB/build/version/version.txt
GOFLAGS=-mod=vendor GOBIN="$(cd .. && pwd)/bin" go install github.com/FerretDB/FerretDB/cmd/ferretdb
cd - >/dev/null
"$bin" --version >/dev/null
echo "ferretdb.sh: ready ($bin)"
