#!/usr/bin/env bash
# The reference of make bench-once: what an operator's script with kubectl
# and curl fetches to learn what `peerscope --once -o json` prints, cluster by
# cluster. For each cluster of WORLD (a line per cluster: name, Consul URL,
# CA file, kubeconfig, context; see tests/bench/bench_world.h) it fetches
#
#   Consul (curl, one process, one connection):  /v1/agent/self,
#     /v1/status/leader, /v1/peerings, /v1/health/service/mesh-gateway,
#     /v1/internal/ui/services, and the exported-services, mesh,
#     proxy-defaults and service-intentions config entries;
#   Kubernetes (kubectl): the PeeringAcceptors and PeeringDialers, the
#     peering-token Secrets, the connect-injector Deployments and the Helm
#     release Secret, whose release is decoded to its values (base64 twice,
#     gzip) as helm get values would.
#
# It does not join the clusters or judge anything: a script that did would
# take longer. kubectl's discovery cache is kept in OUT/kube-cache (warm after
# the first run, as on an operator's machine).
#
#   once_reference.sh [--parallel] WORLD OUT
#
# --parallel fetches every cluster at once, and within a cluster runs the
# kubectl calls side by side and curl with --parallel. Exit status 1 when a
# fetch failed.
set -u
parallel=false
if [ "${1-}" = --parallel ]; then
	parallel=true
	shift
fi
[ $# -eq 2 ] || {
	echo "usage: once_reference.sh [--parallel] WORLD OUT" >&2
	exit 2
}
world=$1 out=$2
mkdir -p "$out/kube-cache" || exit 1

consul() { # NAME URL CA
	local d=$out/$1 u=$2 args=()
	local paths=(agent/self status/leader peerings health/service/mesh-gateway
		internal/ui/services config/exported-services/default config/mesh/mesh
		config/proxy-defaults/global config/service-intentions)
	local i=0 p
	for p in "${paths[@]}"; do
		i=$((i + 1))
		args+=(-o "$d/consul-$i.json" "$u/v1/$p")
	done
	# --max-time: curl 7.88 can leave a multiplexed transfer unfinished
	# though its answer came (bench_once.c runs such a round again).
	if $parallel; then
		curl -sS --no-progress-meter --parallel --max-time 60 --cacert "$3" "${args[@]}"
	else
		curl -sS --max-time 60 --cacert "$3" "${args[@]}"
	fi
}

kube() { # NAME KUBECONFIG CONTEXT
	local d=$out/$1 k=(kubectl --kubeconfig "$2" --context "$3" --cache-dir "$out/kube-cache")
	# The commas are kubectl's: two resources, two labels.
	# shellcheck disable=SC2054
	local crs=(get peeringacceptors.consul.hashicorp.com,peeringdialers.consul.hashicorp.com
		-n consul -o json)
	local tokens=(get secrets -A -l consul.hashicorp.com/peering-token=true -o json)
	local inject=(get deployments -n consul -l component=connect-injector -o json)
	# shellcheck disable=SC2054
	local helm=(get secrets -n consul -l owner=helm,status=deployed -o json)
	if $parallel; then
		local ks=() rc=0 j
		"${k[@]}" "${crs[@]}" >"$d/crs.json" &
		ks+=($!)
		"${k[@]}" "${tokens[@]}" >"$d/tokens.json" &
		ks+=($!)
		"${k[@]}" "${inject[@]}" >"$d/injector.json" &
		ks+=($!)
		"${k[@]}" "${helm[@]}" >"$d/helm.json" &
		ks+=($!)
		for j in "${ks[@]}"; do wait "$j" || rc=1; done
		[ $rc = 0 ] || return 1
	else
		"${k[@]}" "${crs[@]}" >"$d/crs.json" &&
			"${k[@]}" "${tokens[@]}" >"$d/tokens.json" &&
			"${k[@]}" "${inject[@]}" >"$d/injector.json" &&
			"${k[@]}" "${helm[@]}" >"$d/helm.json" || return 1
	fi
	# The release's values: base64 in the Secret, base64 again, gzip.
	jq -r '.items[0].data.release' "$d/helm.json" | base64 -d | base64 -d | gzip -dc |
		jq '.config' >"$d/values.json"
}

cluster() { # NAME URL CA KUBECONFIG CONTEXT
	mkdir -p "$out/$1" || return 1
	if $parallel; then
		consul "$1" "$2" "$3" &
		local c=$!
		kube "$1" "$4" "$5" || {
			wait $c
			return 1
		}
		wait $c
	else
		consul "$1" "$2" "$3" && kube "$1" "$4" "$5"
	fi
}

rc=0
pids=()
while IFS=$'\t' read -r name url ca kc ctx; do
	if $parallel; then
		cluster "$name" "$url" "$ca" "$kc" "$ctx" &
		pids+=($!)
	else
		cluster "$name" "$url" "$ca" "$kc" "$ctx" || rc=1
	fi
done <"$world"
for p in "${pids[@]}"; do
	wait "$p" || rc=1
done
exit $rc
