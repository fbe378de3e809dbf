#!/usr/bin/env bash
# The peering operations from the command line against peerscope-sim (three
# clusters, TLS and ACLs): a dry run that changes nothing, peer, each step run
# again as a no-op, regenerate, unpeer with and without confirmation, and
# the audit log, each checked afterwards with kubectl and curl.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
. "$top_srcdir/tests/e2e/ops_lib.sh"
need_kubectl
plan 73

sim_start -n 3 --acl --speed 4

# ---- a dry run prints the manifests, secrets redacted, and changes nothing
run psc peer cluster-01 cluster-02 --dry-run
is "$rc" 0 "peer --dry-run exits 0"
like "$out" '# cluster-01: create PeeringAcceptor consul/cluster-02' "the dry run names the acceptor"
is "$(printf '%s\n' "$out" | awk '/^#/ {on = /create PeeringAcceptor/; next} on' | jq -r '.spec.peer.secret | "\(.name) \(.key) \(.backend)"' 2>/dev/null)" \
	"peering-token-cluster-02 data kubernetes" "the acceptor's manifest points at peering-token-cluster-02"
like "$out" '"data":[[:space:]]*"REDACTED"' "the Secret's data is redacted"
like "$err" '6\. ACTIVE on both ends: to do' "the plan lists the steps on stderr"
run k cluster-01 -n consul get peeringacceptor cluster-02
like "$err" 'NotFound' "kubectl: the dry run created no acceptor"
ok "[ ! -e '$AUDIT' ]" "a dry run writes no audit log"

# ---- peer
run psc peer cluster-01 cluster-02 --wait 30s -o json
is "$rc" 0 "peer cluster-01 cluster-02 exits 0"
is "$(printf '%s' "$out" | jq -r '.outcome, (.ends | map(.state) | join(","))' | paste -sd' ')" \
	"ok ACTIVE,ACTIVE" "-o json: outcome ok, both ends ACTIVE"
like "$err" '\[6/6\] ACTIVE on both ends: done' "one progress line per step on stderr"
is "$(synced cluster-01 peeringacceptor cluster-02)" "True" "kubectl: the acceptor is Synced"
is "$(synced cluster-02 peeringdialer cluster-01)" "True" "kubectl: the dialer is Synced"
run k cluster-02 -n consul get secret peering-token-cluster-02 \
	-o jsonpath='{.metadata.labels.consul\.hashicorp\.com/peering-token} {.metadata.labels.app\.kubernetes\.io/managed-by}'
is "$out" "true peerscope" "kubectl: the copy carries the peering-token label and peerscope's"
TOKEN=$(token_of cluster-01 peering-token-cluster-02)
ok "[ -n '$TOKEN' ] && [ \"\$(token_of cluster-02 peering-token-cluster-02)\" = '$TOKEN' ]" \
	"kubectl: the copy holds the acceptor's token"
is "$(state cluster-01 cluster-02) $(state cluster-02 cluster-01)" "ACTIVE ACTIVE" \
	"curl: ACTIVE on both ends"

# ---- each step again: nothing changes
gen() { k "$1" -n consul get "$2" "$3" -o jsonpath='{.metadata.generation}/{.metadata.resourceVersion}'; }
acc0=$(gen cluster-01 peeringacceptor cluster-02)
sec0=$(gen cluster-02 secret peering-token-cluster-02)
dia0=$(gen cluster-02 peeringdialer cluster-01)
run psc peer cluster-01 cluster-02
is "$rc" 1 "peer again is refused: exit 1"
like "$err" 'peered already: ACTIVE on both ends' "it says the peering is ACTIVE already"
run psc acceptor cluster-01 cluster-02
is "$rc" 0 "acceptor again exits 0"
like "$err" 'PeeringAcceptor cluster-02 on cluster-01: already' "the acceptor step finds it there"
run psc exchange cluster-01 cluster-02
like "$err" 'already.*cluster-02 holds the same token' "exchange again finds the same token"
run psc dialer cluster-02 cluster-01
like "$err" 'PeeringDialer cluster-01 on cluster-02: already' "dialer again finds it established"
is "$(gen cluster-01 peeringacceptor cluster-02) $(gen cluster-02 secret peering-token-cluster-02) $(gen cluster-02 peeringdialer cluster-01)" \
	"$acc0 $sec0 $dia0" "kubectl: the acceptor, the copy and the dialer are unchanged"

# ---- the audit log
ok "[ \"\$(stat -c %a '$AUDIT')\" = 600 ] && [ \"\$(stat -c %a '$(dirname "$AUDIT")')\" = 700 ]" \
	"the audit log is 0600 in a 0700 folder"
run jq -r 'select(.result == "ok") | "\(.cluster) \(.verb) \(.kind) \(.namespace)/\(.name)"' "$AUDIT"
is "$out" "cluster-01 create PeeringAcceptor consul/cluster-02
cluster-02 create Secret consul/peering-token-cluster-02
cluster-02 create PeeringDialer consul/cluster-01" "one JSON line per change: cluster, verb, kind, name"
is "$(jq -r '.op' "$AUDIT" | sort -u | wc -l)" 1 "the three lines share one operation id"
run jq -r 'select(.result == "ok") | "\(.verb) \(.kind) \(.status)"' "$AUDIT"
is "$out" "create PeeringAcceptor 201
create Secret 201
create PeeringDialer 201" "each line has the server's status: 201 Created"

# ---- regenerate: the dry run lists every write the run may make, and
# without a terminal it needs --yes (the current token stops working)
run psc regenerate cluster-02 cluster-01 --dry-run
is "$rc" 0 "regenerate --dry-run exits 0"
like "$out" '^# cluster-02: patch Secret consul/peering-token-cluster-02' \
	"the dry run lists the patch of the copy on cluster-02 (the token it holds is replaced)"
like "$out" '^# cluster-02: patch PeeringDialer consul/cluster-01 \(only if its controller has not moved within 15 s\)' \
	"and the dialer's version bump, with when it happens"
unlike "$err" 'holds the same token' "the plan does not call the exchange done"
run psc regenerate cluster-02 cluster-01
is "$rc" 2 "regenerate without --yes and no terminal: refused with exit 2"
like "$err" 'the current token stops working' "the plan says the current token stops working"
is "$(token_of cluster-01 peering-token-cluster-02 | md5sum)" "$(printf '%s' "$TOKEN" | md5sum)" \
	"kubectl: the token is unchanged"

# ---- regenerate, given the other way round
run psc regenerate cluster-02 cluster-01 --yes --wait 30s --log-file "$PS_TMP/debug.log" --log-level debug
is "$rc" 0 "regenerate exits 0"
like "$err" 'cluster-01 accepts this peering and cluster-02 dials' "it finds which side accepts"
TOKEN2=$(token_of cluster-01 peering-token-cluster-02)
ok "[ -n '$TOKEN2' ] && [ '$TOKEN2' != '$TOKEN' ]" "kubectl: the acceptor's Secret holds a new token"
is "$(token_of cluster-02 peering-token-cluster-02 | md5sum)" "$(printf '%s' "$TOKEN2" | md5sum)" \
	"kubectl: the new token was copied"
run k cluster-02 -n consul get peeringdialer cluster-01 -o jsonpath='{.status.secret.resourceVersion}'
is "$out" "$(k cluster-02 -n consul get secret peering-token-cluster-02 -o jsonpath='{.metadata.resourceVersion}')" \
	"kubectl: the dialer established with the new Secret"
is "$(state cluster-01 cluster-02) $(state cluster-02 cluster-01)" "ACTIVE ACTIVE" \
	"curl: ACTIVE on both ends after the regeneration"

# ---- a second peering dialed from cluster-02: the token Secret's name must
# be free on both clusters, or the copy would replace cluster-01's token
run psc peer cluster-03 cluster-02 --secret-name peering-token-cluster-02
is "$rc" 1 "a Secret name another dialer of cluster-02 reads is refused"
like "$err" 'Secret peering-token-cluster-02 on cluster-02 is in use by PeeringDialer cluster-01' \
	"the refusal names the dialer that reads it"
sec_rv=$(k cluster-02 -n consul get secret peering-token-cluster-02 -o jsonpath='{.metadata.resourceVersion}')
run psc peer cluster-03 cluster-02 --wait 30s
is "$rc" 0 "peer cluster-03 cluster-02 exits 0"
like "$err" 'Secret peering-token-cluster-02 is in use on cluster-02: the token goes to peering-token-cluster-02-2' \
	"the default name moves to a free one, and says so"
is "$(k cluster-02 -n consul get secret peering-token-cluster-02 -o jsonpath='{.metadata.resourceVersion}')" \
	"$sec_rv" "kubectl: cluster-01's token Secret on cluster-02 is untouched"
is "$(state cluster-01 cluster-02) $(state cluster-03 cluster-02) $(state cluster-02 cluster-03)" \
	"ACTIVE ACTIVE ACTIVE" "curl: both peerings of cluster-02 ACTIVE"
run psc unpeer cluster-03 cluster-02 --yes --wait 30s
is "$rc" 0 "and that peering goes again"

# ---- no token anywhere it should not be
ok "[ -s '$PS_TMP/debug.log' ] && no_token_in '$AUDIT' '$PS_TMP/run.out' '$PS_TMP/run.err' '$PS_TMP/debug.log'" \
	"neither token is in the audit log, the debug log or the output"
TOKEN=$TOKEN2
ok "no_token_in '$AUDIT' '$PS_TMP/run.out' '$PS_TMP/run.err' '$PS_TMP/debug.log'" "nor the new one"

# ---- unpeer: a service of cluster-01 imported by cluster-02 first
svc=$(ccurl cluster-01 /v1/catalog/services -H "X-Consul-Token: $(ctoken cluster-01)" |
	jq -r 'keys[]' | grep -v -x -e consul -e mesh-gateway | head -1)
k cluster-01 -n consul apply -f - >/dev/null <<YAML
apiVersion: consul.hashicorp.com/v1alpha1
kind: ExportedServices
metadata: {name: default}
spec: {services: [{name: $svc, consumers: [{peer: cluster-02}]}]}
YAML
poll 20 'ccurl cluster-02 "/v1/health/service/$svc?peer=cluster-01" -H "X-Consul-Token: $(ctoken cluster-02)" | grep -q PeerName'
n=$(ccurl cluster-02 "/v1/health/service/$svc?peer=cluster-01" -H "X-Consul-Token: $(ctoken cluster-02)" | jq length)
run psc unpeer cluster-01 cluster-02
is "$rc" 2 "unpeer without --yes and without a terminal refuses: exit 2"
like "$err" 'confirm with --yes' "it says why"
like "$err" "cluster-02 stops importing from cluster-01: $svc \\($n instances?\\)" \
	"the preview names the service cluster-02 imports, with its instances"
ok "k cluster-02 -n consul get peeringdialer cluster-01" "kubectl: nothing was deleted"
# The Secret copy replaced between the run's read and its delete: the
# DELETE carries the uid and resourceVersion read (DeleteOptions
# preconditions: k8s.io/apiserver pkg/storage/interfaces.go
# Preconditions.Check, 409 Conflict), so the new Secret stays and the run
# stops, saying why. The run's reads of the Secret are sent slowly (about
# 2.4 s each, well within the request timeout also on a loaded
# machine); once the second has begun, the Secret is replaced with curl,
# which takes milliseconds where kubectl takes a second.
k cluster-02 -n consul get secret peering-token-cluster-02 -o json |
	jq -c 'del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp, .metadata.managedFields)' \
	>"$PS_TMP/copy.json"
secret_path=/api/v1/namespaces/consul/secrets/peering-token-cluster-02
sim_ctl fault cluster-02 listener=kube path=$secret_path drip_bytes=100 drip_delay_ms=100 count=2 >/dev/null
start_bg replaced "$(ps_bin peerscope)" --config "$SIM_DIR/config.yaml" unpeer cluster-01 cluster-02 --yes --wait 30s
replaced=$bg_pid
poll 60 '[ "$(sim_ctl faults cluster-02 | jq -r .kube.count)" = 0 ]'
sim_kube DELETE cluster-02 "$secret_path" >/dev/null
sim_kube POST cluster-02 /api/v1/namespaces/consul/secrets "$(cat "$PS_TMP/copy.json")" >/dev/null
new_uid=$(k cluster-02 -n consul get secret peering-token-cluster-02 -o jsonpath='{.metadata.uid}')
wait "$replaced"
is "$?" 1 "the Secret copy replaced after the run read it: exit 1"
like "$(cat "$PS_TMP/replaced.log")" 'Secret peering-token-cluster-02 on cluster-02 changed since it was read: not deleted' \
	"it says the Secret changed since it was read"
is "$(k cluster-02 -n consul get secret peering-token-cluster-02 -o jsonpath='{.metadata.uid}')" "$new_uid" \
	"kubectl: the new Secret is still there"
sim_ctl clear-faults cluster-02 >/dev/null
run psc unpeer cluster-01 cluster-02 --yes --wait 30s
is "$rc" 0 "unpeer --yes exits 0"
run k cluster-02 -n consul get peeringdialer cluster-01
like "$err" NotFound "kubectl: the dialer is gone"
run k cluster-01 -n consul get peeringacceptor cluster-02
like "$err" NotFound "kubectl: the acceptor is gone"
run k cluster-02 -n consul get secret peering-token-cluster-02
like "$err" NotFound "kubectl: peerscope's Secret copy is gone"
is "$(status cluster-01 cluster-02) $(status cluster-02 cluster-01)" "404 404" \
	"curl: Consul has the peering on neither side"
run psc unpeer cluster-01 cluster-02 --yes
is "$rc $(printf '%s' "$err" | grep -c '^peerscope: \[./4\] .*: already')" "0 4" "unpeer again: nothing left to delete, every step already done"

# ---- a Secret peerscope did not write stays
k cluster-01 -n consul apply -f - >/dev/null <<YAML
apiVersion: consul.hashicorp.com/v1alpha1
kind: PeeringAcceptor
metadata: {name: cluster-03}
spec: {peer: {secret: {name: hand-token, key: data, backend: kubernetes}}}
YAML
poll 20 'k cluster-01 -n consul get secret hand-token'
k cluster-01 -n consul get secret hand-token -o json |
	jq 'del(.metadata.resourceVersion, .metadata.uid, .metadata.creationTimestamp, .metadata.managedFields)' |
	k cluster-03 -n consul apply -f - >/dev/null
k cluster-03 -n consul apply -f - >/dev/null <<YAML
apiVersion: consul.hashicorp.com/v1alpha1
kind: PeeringDialer
metadata: {name: cluster-01}
spec: {peer: {secret: {name: hand-token, key: data, backend: kubernetes}}}
YAML
poll 20 '[ "$(state cluster-03 cluster-01)" = ACTIVE ]'
run psc unpeer cluster-01 cluster-03 --yes --wait 30s
is "$rc" 0 "unpeer of a peering made by hand exits 0"
like "$err" 'left alone: peerscope did not write it' "it leaves a Secret it did not write"
ok "k cluster-03 -n consul get secret hand-token" "kubectl: that Secret is still there"

# ---- a dialer that exists but is not established with the current Secret:
# the dialer step waits on it and never creates it again. consul-k8s's
# webhook lists the existing dialer on CREATE and denies a second one with a
# 400 of its own, not 409 AlreadyExists
# (control-plane/api/v1alpha1/peeringdialer_webhook.go Handle), so a create
# of it would fail the run with the webhook's words. The copy is changed
# without its peering-token label, so the controller does not hear of it
# and the dialer's status.secret keeps the version before.
run psc peer cluster-03 cluster-02 --wait 30s
is "$rc" 0 "peer cluster-03 cluster-02"
dia=$(k cluster-02 -n consul get peeringdialer cluster-03 -o jsonpath='{.metadata.uid}/{.metadata.generation}')
k cluster-02 -n consul label secret peering-token-cluster-02 consul.hashicorp.com/peering-token- >/dev/null
run psc dialer cluster-02 cluster-03 --wait 2s
is "$rc" 1 "dialer with its PeeringDialer there but not with the current Secret: the wait runs out, exit 1"
like "$err" 'the PeeringDialer on cluster-02: not done within 2 s; last seen: PeeringDialer cluster-03 Synced=True, not yet with the current Secret' "it waited on the dialer, and says what it saw"
unlike "$err" 'create the PeeringDialer|denied the request' "it did not create it again"
is "$(k cluster-02 -n consul get peeringdialer cluster-03 -o jsonpath='{.metadata.uid}/{.metadata.generation}')" \
	"$dia" "kubectl: the same dialer, unchanged"

# ---- regenerate refuses a peering TERMINATED on one end: a new token keeps
# a TERMINATED acceptor TERMINATED (agent/consul/state/peering.go
# PeeringWrite) and its stream refuses the dialer (agent/grpc-external/
# services/peerstream/server.go StreamResources), so it would never be
# ACTIVE again. Deleting cluster-02's end in Consul terminates cluster-03's.
ccurl cluster-02 /v1/peering/cluster-03 -X DELETE -H "X-Consul-Token: $(ctoken cluster-02)" >/dev/null
poll 20 '[ "$(state cluster-03 cluster-02)" = TERMINATED ]'
ver=$(k cluster-03 -n consul get peeringacceptor cluster-02 -o jsonpath='{.metadata.annotations.consul\.hashicorp\.com/peering-version}')
run psc regenerate cluster-03 cluster-02 --yes --wait 5s
is "$rc" 1 "regenerate with the acceptor TERMINATED is refused: exit 1"
like "$err" 'the peering cluster-02 on cluster-03 is TERMINATED' "the refusal names the end and its state"
like "$err" 'fix: a new token cannot revive it: peerscope unpeer cluster-03 cluster-02, then peerscope peer cluster-03 cluster-02' \
	"the fix: unpeer, then peer again"
is "$(k cluster-03 -n consul get peeringacceptor cluster-02 -o jsonpath='{.metadata.annotations.consul\.hashicorp\.com/peering-version}') $(state cluster-03 cluster-02)" \
	"$ver TERMINATED" "kubectl: the acceptor's version is not bumped; curl: still TERMINATED"

done_testing
