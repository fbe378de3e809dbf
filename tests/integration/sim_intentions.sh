#!/usr/bin/env bash
# peerscope-sim's intentions: the service-intentions config entry as Consul
# decodes, validates and stores it (consul agent/structs/config_entry_intentions.go:
# Validate, Normalize, computeIntentionPrecedence), the ServiceIntentions
# custom resource as consul-k8s admits and syncs it
# (control-plane/api/v1alpha1/serviceintentions_types.go and
# serviceintentions_webhook.go), and intentions enforced on the simulated
# cross-peer call: the destination's sources by precedence, else the
# default, which follows the ACL default policy.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

sim_start --clusters 2 --speed 10

# The entry: validated, stored normalised.
http PUT "$C1/v1/config" '{"Kind":"service-intentions","Name":"pay","Sources":[]}'
is "$code:$body" "500:At least one source is required" "no source: refused"
http PUT "$C1/v1/config" '{"Kind":"service-intentions","Name":"pay","Sources":[{"Name":"web","Peer":"cluster-02"}]}'
is "$code:$body" "500:Sources[0].Action must be set to 'allow' or 'deny'" "a source without an action or permissions: refused"
http PUT "$C1/v1/config" '{"Kind":"service-intentions","Name":"pay","Sources":[{"Name":"web","Peer":"*","Action":"allow"}]}'
is "$code:$body" "500:Sources[0].Peer: cannot use wildcard '*' in peer" "a wildcard peer: refused"
http PUT "$C1/v1/config" '{"Kind":"service-intentions","Name":"pay","Sources":[{"Name":"*","Peer":"cluster-02","Action":"deny"},{"name":"web","peer":"cluster-02","action":"allow"}]}'
is "$code:$body" "200:true" "a valid entry"
http GET "$C1/v1/config/service-intentions/pay"
is "$(jq -c '[.Sources[] | [.Name, .Peer, .Action, .Precedence, .Type]]' <<<"$body")" \
	'[["web","cluster-02","allow",9,"consul"],["*","cluster-02","deny",8,"consul"]]' "stored with Type and Precedence, sorted by precedence"

# Enforcement on the simulated call (no ACLs: the default is allow).
sim_ctl peer cluster-01 cluster-02 >/dev/null
curl -s -X PUT "$C1/v1/config" -d '{"Kind":"exported-services","Name":"default","Services":[{"Name":"pay","Consumers":[{"Peer":"cluster-02"}]}]}' >/dev/null
sim_ctl add-service cluster-01 pay 2 >/dev/null
probe() { sim_ctl probe cluster-02 cluster-01 pay "$@"; }
imported() { [ "$(probe web | jq -r '.reason // ""')" != 'cluster-01 does not export "pay" to this cluster' ]; }
ok "wait_until 5 imported" "pay is imported"
is "$(probe web | jq -c '[.ok, .intention.action, .intention.source, .intention.precedence]')" '[true,"allow","web",9]' "web from the peer: allowed by its exact intention"
is "$(probe api | jq -c '[.ok, .intention.action, .intention.source]')" '[false,"deny","*"]' "api from the peer: denied by the wildcard source"
like "$(probe api | jq -r .reason)" 'intentions deny it: .* "api" from peer "cluster-02" \(a deny intention\)' "… with the reason"
is "$(probe api | jq -c '[.hops[] | [.hop, .ok]]')" '[["sidecar",true],["peer mesh gateway",true],["service",false]]' "… each hop reported, the last one broken"
curl -s -X DELETE "$C1/v1/config/service-intentions/pay" >/dev/null
is "$(probe api | jq -c '[.ok, .intention.source, .intention.action]')" '[true,"default","allow"]' "no intention: the default, allow without ACLs"
curl -s -X PUT "$C1/v1/config" -d '{"Kind":"service-intentions","Name":"*","Sources":[{"Name":"*","Peer":"cluster-02","Action":"deny"}]}' >/dev/null
is "$(probe web | jq -c '[.ok, .intention.entry, .intention.precedence]')" '[false,"*",5]' "a wildcard destination entry applies when the service has none"
curl -s -X PUT "$C1/v1/config" -d '{"Kind":"service-intentions","Name":"pay","Sources":[{"Name":"web","Peer":"cluster-02","Permissions":[{"Action":"allow","HTTP":{"PathPrefix":"/","Methods":["get"]}}]}]}' >/dev/null
is "$(probe web | jq -c '[.ok, .intention.action]')" '[true,"permissions"]' "L7 permissions: the connection goes through, requests are judged"
is "$(curl -s "$C1/v1/config/service-intentions/pay" | jq -r '.Sources[0].Permissions[0].HTTP.Methods[0]')" GET "methods are stored upper-cased"

# The ServiceIntentions resource: the webhook, then the entry it syncs.
ktok() { awk -v u="$1-admin" '$0 ~ "^- name: " u "$" {f=1} f && /token:/ {print $2; exit}' "$SIM_DIR/kubeconfig"; }
si=$K1/apis/consul.hashicorp.com/v1alpha1/namespaces/default/serviceintentions
kpost() { http POST "$si" "$1" -H "Authorization: Bearer $(ktok cluster-01)" -H 'Content-Type: application/json'; }
kpost '{"apiVersion":"consul.hashicorp.com/v1alpha1","kind":"ServiceIntentions","metadata":{"name":"ledger"},"spec":{"destination":{"name":"ledger"},"sources":[{"name":"web","peer":"cluster-02"}]}}'
is "$code" 400 "the webhook refuses a source without an action"
is "$(jq -r .message <<<"$body")" 'admission webhook "mutate-serviceintentions.consul.hashicorp.com" denied the request: serviceintentions.consul.hashicorp.com "ledger" is invalid: spec.sources[0].action: Invalid value: "": must be one of "allow", "deny"' "… in consul-k8s's words"
kpost '{"apiVersion":"consul.hashicorp.com/v1alpha1","kind":"ServiceIntentions","metadata":{"name":"ledger"},"spec":{"destination":{"name":"ledger"},"sources":[{"name":"web","peer":"cluster-02","action":"allow"}]}}'
is "$code" 201 "a valid ServiceIntentions"
kpost '{"apiVersion":"consul.hashicorp.com/v1alpha1","kind":"ServiceIntentions","metadata":{"name":"ledger-2"},"spec":{"destination":{"name":"ledger"},"sources":[{"name":"api","peer":"cluster-02","action":"allow"}]}}'
like "$(jq -r .message <<<"$body")" 'an existing ServiceIntentions resource has `spec.destination.name: ledger`' "one resource per destination"
synced() { [ "$(curl -s --cacert "$SIM_DIR/state/ca.pem" -H "Authorization: Bearer $(ktok cluster-01)" "$si/ledger" | jq -r '.status.conditions[0].status')" = True ]; }
ok "wait_until 5 synced" "the controller syncs it: Synced=True"
is "$(curl -s "$C1/v1/config/service-intentions/ledger" | jq -c '[.Name, .Sources[0].Name, .Sources[0].Peer, .Sources[0].Action, .Meta["external-source"]]')" \
	'["ledger","web","cluster-02","allow","kubernetes"]' "… into the service-intentions entry named after the destination"

# With ACLs (default policy deny) nothing passes without an intention.
sim_stop
sim_start --clusters 2 --speed 10 --acl
mgmt=$(cat "$SIM_DIR/state/cluster-01-management.token")
sim_ctl peer cluster-01 cluster-02 >/dev/null
curl -s -X PUT -H "X-Consul-Token: $mgmt" "$C1/v1/config" -d '{"Kind":"exported-services","Name":"default","Services":[{"Name":"pay","Consumers":[{"Peer":"cluster-02"}]}]}' >/dev/null
sim_ctl add-service cluster-01 pay 1 >/dev/null
ok "wait_until 5 imported" "pay is imported"
is "$(probe web | jq -c '[.ok, .intention.source, .intention.action]')" '[false,"default","deny"]' "ACLs on: no intention, denied by the default"
like "$(probe web | jq -r .reason)" 'no intention matches; the default policy is deny' "… saying so"
curl -s -X PUT -H "X-Consul-Token: $mgmt" "$C1/v1/config" -d '{"Kind":"service-intentions","Name":"pay","Sources":[{"Name":"web","Peer":"cluster-02","Action":"allow"}]}' >/dev/null
is "$(probe web | jq -r .ok)" true "… and allowed by an intention"

done_testing
