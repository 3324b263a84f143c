#!/bin/sh
# Installs the Debian packages Praxis needs, only those missing.
#   scripts/deps.sh          build + test dependencies
#   scripts/deps.sh bench    also the gRPC peer for `make bench`
#   scripts/deps.sh browser  also headless Chromium for the dashboard test
# As root it runs `apt-get update` once, then `apt-get install -y`; otherwise
# it prints the exact command to run. Quick and silent when all is present.
set -eu

BASE="build-essential cmake pkg-config libnng-dev libprotobuf-c-dev protobuf-c-compiler
liblmdb-dev lmdb-utils libsodium-dev libcjson-dev libinih-dev libcsv-dev libcmocka-dev
clang libclang-rt-14-dev"
EXTRA=""
for set in "$@"; do
	case "$set" in
	bench) EXTRA="$EXTRA libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler g++" ;;
	browser) EXTRA="$EXTRA chromium" ;;
	valgrind) EXTRA="$EXTRA valgrind" ;;
	*) echo "deps.sh: unknown set '$set' (bench, browser, valgrind)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $BASE $EXTRA; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "Paquets manquants / missing packages:$missing" >&2
	echo "Exécutez / run:  sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "deps.sh: installation de / installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
