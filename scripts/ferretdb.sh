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
go=$(command -v go || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; } || true)
[ -n "$go" ] || { echo "ferretdb.sh: Go is not installed (apt-get install golang-go)" >&2; exit 1; }
# `go get -tool` needs Go 1.24. An older go (Debian 12's is 1.19, too old to switch
# toolchains itself) fetches FerretDB's own toolchain, go1.24.3, as a module from the proxy.
minor=$("$go" env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [ "$minor" -lt 24 ]; then
  toolchain="golang.org/toolchain@v0.0.1-go1.24.3.$("$go" env GOOS)-$("$go" env GOARCH)"
  echo "ferretdb.sh: $("$go" env GOVERSION) is too old; fetching $toolchain"
  tc_dir=$(cd /tmp && GOFLAGS=-mod=mod "$go" mod download -json "$toolchain" \
           | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [ -n "$tc_dir" ] || { echo "ferretdb.sh: could not download $toolchain" >&2; exit 1; }
  chmod +x "$tc_dir"/bin/* "$tc_dir"/pkg/tool/*/*  # module zips do not keep exec bits
  go="$tc_dir/bin/go"
fi
export GOTOOLCHAIN=local

echo "ferretdb.sh: building FerretDB $version into $bin with $("$go" env GOVERSION)"
mkdir -p "$dir/src"
cd "$dir/src"
[ -f go.mod ] || "$go" mod init durable.local/ferretdb-build >/dev/null
"$go" get -tool "github.com/FerretDB/FerretDB/cmd/ferretdb@$version"
"$go" mod vendor
echo "$version" > vendor/github.com/FerretDB/FerretDB/build/version/version.txt
GOFLAGS=-mod=vendor GOBIN="$(cd .. && pwd)/bin" "$go" install github.com/FerretDB/FerretDB/cmd/ferretdb
cd - >/dev/null
"$bin" --version >/dev/null
echo "ferretdb.sh: ready ($bin)"
