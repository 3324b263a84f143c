#!/bin/sh
# make demo: a live federation of four organizations on this machine.
#
#   scripts/demo.sh            run it, print the report, stop everything
#   scripts/demo.sh --serve    same, then keep the hub and its dashboard up
#                              until Ctrl-C
#
# One hub and four nodes, each a separate process with its own data
# directory under a temporary folder, talking over loopback. The nodes are
# enrolled with one-time join tokens, loaded with the sample data of
# praxis-demo-gen (deterministic, dates relative to today), audited, and
# synced; then the hub prints its cross-community report and writes the
# dashboard as static HTML. Every process this script starts is stopped when
# it ends, whatever happens.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PRAXIS_BIN:-$ROOT/build/bin}
export PRAXIS_PLUGIN_PATH="${PRAXIS_PLUGIN_PATH:-$ROOT/build/plugins}"
export PRAXIS_SOURCE="$ROOT"
export PRAXIS_DATA_DIR="$ROOT/data"
# Signer keys of members and directors are sealed with this passphrase.
export PRAXIS_PASSPHRASE="${PRAXIS_PASSPHRASE:-demo-phrase-de-passe}"
export PRAXIS_HUB_PASSPHRASE="${PRAXIS_HUB_PASSPHRASE:-}"
SERVE=0
[ "${1:-}" = "--serve" ] && SERVE=1
SEED=${PRAXIS_DEMO_SEED:-2026}

for b in praxis-hub praxis-node praxis-demo-gen; do
	if [ ! -x "$BIN/$b" ]; then
		echo "demo : $BIN/$b introuvable — lancez « make » d'abord / not found: run 'make' first" >&2
		exit 1
	fi
done

WORK=${PRAXIS_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/praxis-demo.XXXXXX")}
mkdir -p "$WORK"
PIDS=""
cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null || true
	done
	PIDS=""
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ -t 1 ] || say() { printf '\n== %s\n' "$*"; }

# Free ports: try a few pseudo-random ones until the hub binds both.
HUB="$WORK/hub"
hub() { "$BIN/praxis-hub" --data "$HUB" "$@"; }

start_hub() {
	tries=0
	while [ $tries -lt 20 ]; do
		tries=$((tries + 1))
		RPC_PORT=$((20000 + ($$ * 7 + tries * 131) % 20000))
		HTTP_PORT=$((RPC_PORT + 1))
		rm -rf "$HUB"
		hub init --listen "tcp://127.0.0.1:$RPC_PORT" >"$WORK/hub-init.log"
		# Started directly, not through the hub() function, so that $! is
		# the hub's own pid and cleanup stops the hub itself.
		"$BIN/praxis-hub" --data "$HUB" serve --http "127.0.0.1:$HTTP_PORT" >"$WORK/hub.log" 2>&1 &
		HUB_PID=$!
		PIDS="$PIDS $HUB_PID"
		i=0
		while [ $i -lt 400 ]; do
			if grep -q -e prêt -e ready "$WORK/hub.log" 2>/dev/null; then
				return 0
			fi
			if ! kill -0 "$HUB_PID" 2>/dev/null; then
				break
			fi
			sleep 0.05
			i=$((i + 1))
		done
		kill "$HUB_PID" 2>/dev/null || true
		wait "$HUB_PID" 2>/dev/null || true
	done
	echo "demo : le hub ne démarre pas / the hub does not start:" >&2
	cat "$WORK/hub.log" >&2
	exit 1
}

say "Fédération de démonstration dans $WORK"
DEMO_DATA="$WORK/data"
"$BIN/praxis-demo-gen" --out "$DEMO_DATA" --seed "$SEED" --plan "$ROOT/data/plans/amalgame-2020-2021.json"
start_hub
echo "Hub : RPC tcp://127.0.0.1:$RPC_PORT, tableau de bord http://127.0.0.1:$HTTP_PORT/"

# pxn runs praxis-node on the current node's data directory and stops the
# demo with the node's own message if a command fails; pxn_id prints the id
# of the record a command created (from its --json output).
pxn() {
	if ! "$BIN/praxis-node" --data "$NODE" "$@" >>"$NODE.log" 2>&1; then
		echo "demo : échec de / failed: praxis-node $*" >&2
		tail -5 "$NODE.log" >&2
		exit 1
	fi
}
pxn_id() {
	out=$("$BIN/praxis-node" --data "$NODE" --json "$@" 2>>"$NODE.log") || {
		echo "demo : échec de / failed: praxis-node $*" >&2
		tail -5 "$NODE.log" >&2
		exit 1
	}
	printf '%s\n' "$out" | sed -n 's/^{[^}]*"id":\([0-9]*\).*/\1/p' | head -1
}

ORGS="antraidant:Laurentides rocfm:Montréal cisss:Gaspésie brusano:Bruxelles"
for entry in $ORGS; do
	slug=${entry%%:*}
	region=${entry#*:}
	NODE="$WORK/$slug"
	: >"$NODE.log"
	printf 'Chargement de %s… ' "$slug"
	# shellcheck disable=SC1090
	. "$WORK/data/$slug/load.sh"
	token=$(hub tenant add "$slug" --region "$region" | grep -o 'pxj1\.[A-Za-z0-9_-]*' | head -1)
	pxn enroll "$token"
	echo "inscrit au hub / enrolled."
done

for entry in $ORGS; do
	slug=${entry%%:*}
	NODE="$WORK/$slug"
	say "Constats des règles — $slug"
	"$BIN/praxis-node" --data "$NODE" audit || true
done

. "$WORK/data/expected.env"
for entry in $ORGS; do
	slug=${entry%%:*}
	NODE="$WORK/$slug"
	pxn sync --period "$PERIOD"
done

say "Rapport de la fédération, $PERIOD, par cadre"
hub report --period "$PERIOD"
hub report --period "$PERIOD" --json >"$WORK/report.json"
hub report --period "$PERIOD" --csv >"$WORK/report.csv"

hub dashboard --out "$WORK/dashboard" >/dev/null
say "Fichiers"
echo "Tableau de bord statique : $WORK/dashboard/index.html"
echo "Rapport JSON : $WORK/report.json — CSV (Excel) : $WORK/report.csv"
echo "Journaux : $WORK/*.log"

if [ $SERVE -eq 1 ]; then
	# An empty scope sees every organization, framework and region.
	vt=$(hub viewer add federation --scope '' | grep -o 'pxv1\.[A-Za-z0-9_-]*' | head -1)
	if [ -z "$vt" ]; then
		echo "demo : pas de jeton de lecture / no viewer token" >&2
		exit 1
	fi
	say "Tableau de bord en direct"
	echo "http://127.0.0.1:$HTTP_PORT/login?token=$vt"
	echo "Jeton de lecture / viewer token : $vt"
	echo "Ctrl-C pour arrêter / to stop."
	wait "$HUB_PID" || true
fi
cleanup
echo "Tous les processus sont arrêtés. / Every process stopped."
