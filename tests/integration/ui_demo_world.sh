#!/usr/bin/env bash
# peerscope --demo sets its world up as an operator does, through the
# Kubernetes API: both ends' custom resources Synced, the token Secret copied
# with its label, the token's summary in the detail view (never the secret),
# services exported both ways and imported; a step that fails is named with
# its cluster, and the simulator and the temporary folder are gone.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"
need_tmux
command -v curl >/dev/null || skip_all "curl is not installed"

ps=$(ps_bin peerscope)
export TMPDIR="$PS_TMP/tmp"
mkdir -p "$TMPDIR"

plan 18

# kube DIR CLUSTER PATH: GET on the API server of the demo in DIR (its
# folder is laid out as sim_start's); the body when the answer is 200.
kube() {
	local out
	out=$(SIM_DIR=$1 sim_kube GET "$2" "$3")
	[ "${out##*$'\n'}" = 200 ] && printf '%s\n' "${out%$'\n'*}"
}
crs=/apis/consul.hashicorp.com/v1alpha1/namespaces/consul

tmux_start 200 60 "$ps" --demo
# HB is "—" until the first heartbeat, 15 s after the stream came up.
tmux_expect 'cluster-01 +cluster-02 +ACTIVE +acc ok +ACTIVE +dial ok +([0-9]+s|—) +3/3 +1/1' 20 \
	"peerings: both ends ACTIVE, acceptor and dialer Synced, 3 services one way and 1 back"
dir=$(demo_dir)
unlike "$(tmux_capture | sed -n '/┌ Peerings/,/└/p' | grep -o '^[│┌][^│┐]*')" 'cluster-03' \
	"cluster-03 is not peered"

# What the Kubernetes side holds: the operator's resources, as written.
secret=$(kube "$dir" cluster-02 /api/v1/namespaces/consul/secrets/peering-token-cluster-02)
like "$secret" '"consul.hashicorp.com/peering-token": *"true"' \
	"the token Secret copied to cluster-02 keeps the peering-token label"
src=$(kube "$dir" cluster-01 /api/v1/namespaces/consul/secrets/peering-token-cluster-02)
data() { printf '%s' "$1" | tr -d '\n' | sed -n 's/.*"data": *{ *"data": *"\([^"]*\)".*/\1/p'; }
ok "[ -n '$(data "$src")' ] && [ '$(data "$src")' = '$(data "$secret")' ]" \
	"the copy on cluster-02 holds the token cluster-01's acceptor wrote"
like "$(kube "$dir" cluster-02 $crs/peeringdialers/cluster-01)" '"name": *"peering-token-cluster-02".*"key": *"data".*"backend": *"kubernetes"' \
	"PeeringDialer cluster-01 on cluster-02 reads secret peering-token-cluster-02, key data, backend kubernetes"
like "$(jq -r '"\(.cluster) \(.verb) \(.kind)"' "$dir/audit.log" | paste -sd,)" \
	'cluster-01 create PeeringAcceptor,cluster-02 create Secret,cluster-02 create PeeringDialer' \
	"the demo peered through the peer operation, audited in the demo's folder"
ok "kube '$dir' cluster-01 $crs/meshes/mesh | grep -Eq '\"peerThroughMeshGateways\": *true' &&
    kube '$dir' cluster-02 $crs/meshes/mesh | grep -Eq '\"peerThroughMeshGateways\": *true'" \
	"a Mesh CR with peerThroughMeshGateways on cluster-01 and cluster-02"
ok "kube '$dir' cluster-01 $crs/proxydefaults/global | grep -Eq '\"mode\": *\"local\"'" \
	"ProxyDefaults global with meshGateway.mode local"
ok "kube '$dir' cluster-03 $crs/peeringacceptors | grep -Eq '\"items\": *\[\]' &&
    kube '$dir' cluster-03 $crs/peeringdialers | grep -Eq '\"items\": *\[\]'" \
	"cluster-03 has no peering resource"

# Exported services: three from cluster-01 imported by cluster-02, one back.
tmux_wait_for 'cluster-02 +imported [0-9]+/[0-9]+ +\(here\)' 10
screen=$(tmux_capture | sed -n '/Exported services/,/└/p')
is "$(printf '%s\n' "$screen" | grep -Ec '^│ [a-z0-9-]+ +cluster-01 +\(here\) +imported [0-9]+/[0-9]+ +(—|no peering)')" 3 \
	"exports: three services of cluster-01 imported by cluster-02, none by cluster-03"
like "$screen" '^│ [a-z0-9-]+ +cluster-02 +imported [0-9]+/[0-9]+ +\(here\) +(—|no peering)' \
	"exports: a service of cluster-02 imported by cluster-01"

# The detail view of the pair.
tmux_keys 2
tmux_keys Enter
tmux_expect 'CR PeeringAcceptor/cluster-02 +Synced=True +CR PeeringDialer/cluster-01 +Synced=True' 5 \
	"detail: both custom resources Synced"
tmux_expect 'Secret peering-token-cluster-02 \(data\) present +Secret peering-token-cluster-02 \(data\) present' 5 \
	"detail: the token Secret on both sides"
tmux_expect 'Token: server\.dc1\.peering\.[0-9a-f-]+\.consul -> [0-9.]+:443 \(mesh gateways\), remote datacenter dc1' 5 \
	"detail: the token's server name, addresses and remote datacenter"
data=$(data "$src")
token=$(printf '%s' "$data" | base64 -d 2>/dev/null)
screen=$(tmux_capture)
ok "[ \${#token} -gt 40 ] && ! printf '%s' \"\$screen\" | grep -Fq -e '${token:0:24}' -e '${data:0:24}'" \
	"detail: never the token itself"
tmux_keys Escape q
tmux_expect '^\[exited\] 0$' 5 "q quits with status 0"
tmux_stop

# A step that fails: the connect-injector of cluster-02 is down, so its Mesh
# CR cannot be created, and the operation is refused by the controllers-ready
# check before it tries. A peerscope-sim beside a copy of peerscope takes it
# down before saying it is ready.
mkdir -p "$PS_TMP/bin"
cp "$ps" "$PS_TMP/bin/peerscope"
cat >"$PS_TMP/bin/peerscope-sim" <<SH
#!/usr/bin/env bash
args=("\$@") ready= state=
for ((i = 0; i < \${#args[@]}; i++)); do
	case \${args[i]} in
	--ready-file) ready=\${args[i+1]}; args[i+1]=\$ready.tmp ;;
	--state-dir) state=\${args[i+1]} ;;
	esac
done
'$SIM_BIN' "\${args[@]}" & pid=\$!
trap 'kill \$pid; wait \$pid; exit 0' TERM
# Until the simulator is ready or gone; the demo gives up on it after its
# own deadline.
while [ ! -s "\$ready.tmp" ]; do kill -0 \$pid 2>/dev/null || exit 1; sleep 0.05; done
'$SIM_BIN' ctl --state-dir "\$state" injector cluster-02 down >/dev/null
mv "\$ready.tmp" "\$ready"
wait \$pid
SH
chmod +x "$PS_TMP/bin/peerscope-sim"
run "$PS_TMP/bin/peerscope" --demo
ok "[ $rc = 1 ] && printf '%s\n' \"\$err\" | grep -Eq '^peerscope: demo: plan peer-through-gateways on cluster-02: prerequisite controllers-ready fails on cluster-02: the consul-k8s controllers are not running'" \
	"a failed step is named with its cluster and the reason; exit status 1"
ok "[ -z \"\$(ls -A '$TMPDIR')\" ] && [ -z \"\$(ps -ww -eo args= | grep -F '$TMPDIR/' | grep -v grep)\" ]" \
	"after a failed step the simulator is stopped and the temporary folder removed"
