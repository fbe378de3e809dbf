#!/usr/bin/env bash
# peerscope-sim's Consul Enterprise: admin partitions (doc/api-contract.md
# §1.3). Sources in consul: api/partition.go (the partition object),
# agent/agent_endpoint.go and version/version.go (+ent, Config.Partition),
# api/peering.go (Partition, Remote.Partition), agent/rpc/peering/service.go
# (tokens and establish per partition, EnterpriseCheckPartitions),
# api/exported_services.go and api/imported_services.go (the wrapped
# form), agent/structs/config_entry_exports.go (consumers by peer or
# partition); in consul-k8s: charts/consul/values.yaml
# (global.adminPartitions), charts/consul/templates/
# connect-inject-deployment.yaml (enableConsulNamespaces required) and
# control-plane/api/v1alpha1/exportedservices_types.go (partition
# consumers allowed with partitions).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

sim_start --clusters 3 --speed 10 \
	--set cluster-01:enterprise=true,partitions=team-a:team-b,consul_version=1.21.2 \
	--set cluster-02:enterprise=true,consul_version=1.21.2

# Consul CE (cluster-03) keeps refusing partitions.
http GET "$C3/v1/catalog/services?partition=team-a"
is "$code:$body" '400:Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature' "CE: ?partition answers 400"
http GET "$C3/v1/partitions"
is "$code" 404 "CE: no /v1/partitions"
http POST "$C3/v1/peering/token" '{"PeerName":"x","Partition":"team-a"}'
is "$code:$body" "500:rpc error: code = InvalidArgument desc = Partitions are a Consul Enterprise feature" "CE: a partition in a token request is refused"

# Enterprise: the version, the agent's partition, the partitions.
is "$(curl -s "$C1/v1/agent/version" | jq -r .HumanVersion)" "1.21.2+ent" "HumanVersion carries +ent"
is "$(curl -s "$C1/v1/agent/self" | jq -c '.Config | [.Version, .Partition]')" '["1.21.2+ent","default"]' "agent/self: Version with +ent, Partition"
is "$(curl -s "$C1/v1/partitions" | jq -c '[.[].Name]')" '["default","team-a","team-b"]' "/v1/partitions: default and the install's"
is "$(curl -s "$C1/v1/partitions" | jq -r '.[0].Description')" "Builtin Default Partition" "… default described as Consul does"
http PUT "$C2/v1/partition" '{"Name":"ops","Description":"operations"}'
is "$code:$(jq -c '[.Name, .Description]' <<<"$body")" '200:["ops","operations"]' "PUT /v1/partition creates one"
is "$(curl -s "$C2/v1/partition/ops" | jq -r .Name)" ops "GET /v1/partition/NAME"
http PUT "$C2/v1/config?partition=nowhere" '{"Kind":"mesh"}'
is "$code:$body" '500:partition "nowhere" does not exist' "a write to a partition that does not exist fails"
is "$(curl -s "$C2/v1/catalog/services?partition=nowhere")" "{}" "… a read finds nothing"

# A peering between two partitions, tokens scoped to the acceptor's.
tok=$(curl -s -X POST "$C1/v1/peering/token?partition=team-a" -d '{"PeerName":"c2-ops"}' | jq -r .PeeringToken)
is "$(base64 -d <<<"$tok" | jq -r .Remote.Partition)" team-a "the token names the acceptor's partition"
http POST "$C2/v1/peering/establish" "{\"PeerName\":\"c1-team-a\",\"Partition\":\"ops\",\"PeeringToken\":\"$tok\"}"
is "$code" 200 "establish into partition ops"
st() { curl -s "$1/v1/peering/$2?partition=$3" | jq -r .State; }
active() { [ "$(st "$C1" c2-ops team-a)" = ACTIVE ] && [ "$(st "$C2" c1-team-a ops)" = ACTIVE ]; }
ok "wait_until 5 active" "both ends ACTIVE"
is "$(curl -s "$C1/v1/peering/c2-ops?partition=team-a" | jq -c '[.Partition, .Remote.Partition, .Remote.Datacenter]')" '["team-a","ops","dc2"]' "acceptor: Partition and Remote.Partition"
is "$(curl -s -H 'X-Consul-Partition: ops' "$C2/v1/peering/c1-team-a" | jq -c '[.Partition, .Remote.Partition]')" '["ops","team-a"]' "dialer, partition from X-Consul-Partition"
is "$(curl -s "$C1/v1/peerings" | jq length)" 0 "the default partition has no peering"
is "$(curl -s "$C1/v1/peerings?partition=*" | jq -c '[.[].Partition]')" '["team-a"]' "?partition=* lists every partition's"
http GET "$C1/v1/peering/c2-ops"
is "$code" 404 "a peering is found in its partition only"

# Exports per partition, consumers by peer or by partition; the gateway
# must be in the exported service's partition.
sim_ctl raw POST /v1/clusters/cluster-01/services '{"name":"ledger","partition":"team-a"}' >/dev/null
http PUT "$C1/v1/config?partition=team-a" '{"Kind":"exported-services","Name":"team-a","Services":[{"Name":"ledger","Consumers":[{"Peer":"c2-ops"},{"Partition":"team-b"}]}]}'
is "$code:$body" "200:true" "exported-services of partition team-a"
# The entry's partition is its Name, whatever the query says: Normalize
# sets it (agent/structs/config_entry_exports.go); a wildcard is refused.
http PUT "$C1/v1/config?partition=team-a" '{"Kind":"exported-services","Name":"team-b","Services":[{"Name":"ledger","Consumers":[{"Peer":"c2-ops"}]}]}'
is "$code:$body" "200:true" "exported-services named team-b, written with ?partition=team-a"
is "$(curl -s "$C1/v1/config/exported-services/team-b?partition=team-b" | jq -r .Partition)" team-b "… lands in partition team-b"
http GET "$C1/v1/config/exported-services/team-b?partition=team-a"
is "$code" 404 "… not in team-a"
http DELETE "$C1/v1/config/exported-services/team-b?partition=team-b"
is "$(curl -s "$C1/v1/config/exported-services/team-b?partition=team-b" -o /dev/null -w '%{http_code}')" 404 "… and is deleted there"
http PUT "$C1/v1/config?partition=team-a" '{"Kind":"exported-services","Name":"*","Services":[]}'
is "$code:$body" "500:exported-services Name must be the name of a partition, and not a wildcard" "… a wildcard Name refused"
is "$(curl -s "$C1/v1/config/exported-services/team-a?partition=team-a" | jq -r .Partition)" team-a "config entries carry their Partition"
is "$(curl -s "$C1/v1/exported-services?partition=team-a" | jq -c '.[0]')" '{"Service":"ledger","Partition":"team-a","Namespace":"default","Consumers":{"Peers":["c2-ops"],"Partitions":["team-b"]}}' "exported-services: peers and partitions"
is "$(curl -s "$C1/v1/imported-services?partition=team-b" | jq -c .)" '{"Partition":"team-b","ImportedServices":[{"Service":"ledger","Partition":"team-b","Namespace":"default","SourcePartition":"team-a"}]}' "imported-services in Enterprise's wrapped form, from a partition"
imp() { curl -s "$C2/v1/imported-services?partition=ops" | jq -c '.ImportedServices[0].SourcePeer'; }
ok "wait_until 5 [ \"\$(imp)\" = '\"c1-team-a\"' ]" "… and from a peer"
h=$(curl -s "$C2/v1/health/service/ledger?peer=c1-team-a&partition=ops")
is "$(jq -c '.[0] | [.Service.Service, .Service.Partition, .Service.Namespace, .Service.PeerName, .Node.Partition, .Checks[0].Partition]' <<<"$h")" \
	'["ledger","ops","default","c1-team-a","ops","ops"]' "imported entries carry Partition and Namespace"
is "$(curl -s "$C2/v1/health/connect/ledger?peer=c1-team-a&partition=ops" | jq length)" 0 "no gateway in team-a: no connect endpoints for the import"
path() { sim_ctl raw GET "/v1/clusters/cluster-02/path?peer=c1-team-a&service=ledger&partition=ops"; }
like "$(path | jq -r .reason)" 'no healthy mesh gateway in partition team-a' "the path fails: the exporter's gateway is in another partition"
sim_ctl raw POST /v1/clusters/cluster-01/gateway '{"status":"add","partition":"team-a"}' >/dev/null
is "$(curl -s "$C2/v1/health/connect/ledger?peer=c1-team-a&partition=ops" | jq length)" 1 "a gateway in team-a: one synthesised proxy"
is "$(path | jq -r .ok)" true "… and the path works"
is "$(curl -s "$C1/v1/catalog/services?partition=team-a" | jq -c 'keys')" '["ledger","mesh-gateway"]' "catalog per partition"

# consul-k8s with admin partitions: the Helm values and its webhook.
like "$(cat "$SIM_DIR/state/cluster-01-values.yaml")" 'adminPartitions:
    enabled: true' "Helm values: global.adminPartitions.enabled"
like "$(cat "$SIM_DIR/state/cluster-01-values.yaml")" 'hashicorp/consul-enterprise:1.21.2-ent' "… and the Enterprise image"
# The chart refuses admin partitions without Consul namespaces, and a
# release with servers keeps consul-k8s in the default partition
# (charts/consul/templates/connect-inject-deployment.yaml,
# client-daemonset.yaml).
like "$(cat "$SIM_DIR/state/cluster-01-values.yaml")" 'adminPartitions:
    enabled: true
    name: "default"
  enableConsulNamespaces: true' "… with global.enableConsulNamespaces, as the chart requires"
unlike "$(cat "$SIM_DIR/state/cluster-03-values.yaml")" 'enableConsulNamespaces|adminPartitions' "CE: neither"
sim_ctl install cluster-02 consul_namespaces=false >/dev/null
like "$(cat "$SIM_DIR/state/cluster-02-values.yaml")" 'enableConsulNamespaces: false' "install consul_namespaces=false writes it false"
es='{"apiVersion":"consul.hashicorp.com/v1alpha1","kind":"ExportedServices","metadata":{"name":"default"},"spec":{"services":[{"name":"web","consumers":[{"partition":"team-b"}]}]}}'
ktok() { awk -v u="$1-admin" '$0 ~ "^- name: " u "$" {f=1} f && /token:/ {print $2; exit}' "$SIM_DIR/kubeconfig"; }
http POST "$K1/apis/consul.hashicorp.com/v1alpha1/namespaces/default/exportedservices" "$es" \
	-H "Authorization: Bearer $(ktok cluster-01)" -H 'Content-Type: application/json'
is "$code" 201 "the webhook admits a partition consumer with admin partitions"
http POST "$K3/apis/consul.hashicorp.com/v1alpha1/namespaces/default/exportedservices" "$es" \
	-H "Authorization: Bearer $(ktok cluster-03)" -H 'Content-Type: application/json'
like "$(jq -r .message <<<"$body")" 'spec.services\[0\].consumers\[0\].partition: Invalid value: "team-b": Consul Admin Partitions need to be enabled to specify partition.' "… and refuses it without"

done_testing
