#!/usr/bin/env bash
# peerscope-sim's Consul API: agent, status, catalog, health, UI endpoints,
# routing errors, CE-only arguments (doc/api-contract.md §1, §4).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

sim_start --seed 7 --set cluster-02:consul_version=1.16.4

http GET "$C1/v1/agent/self"
is "$code" 200 "agent/self answers 200"
is "$(jq -r .Config.Datacenter <<<"$body")" dc1 "agent/self: Config.Datacenter"
is "$(jq -r .Config.NodeName <<<"$body")" consul-server-0 "agent/self: Config.NodeName"
like "$(jq -r .Config.Version <<<"$body")" '^1\.[0-9]+\.[0-9]+' "agent/self: Config.Version"
is "$(jq -r '.xDS.Ports.TLS' <<<"$body")" 8502 "agent/self: xDS ports"
like "$(header Content-Type)" '^application/json' "success bodies are JSON"
http GET "$C2/v1/agent/self"
is "$(jq -r .Config.Datacenter <<<"$body")" dc2 "cluster-02 is dc2"
is "$(jq -r .Config.Version <<<"$body")" 1.16.4 "--set sets the Consul version"

http GET "$C1/v1/agent/version"
is "$(jq -r .HumanVersion <<<"$body")" "$(curl -s "$C1/v1/agent/self" | jq -r .Config.Version)" "agent/version: HumanVersion"
ok "jq -e 'has(\"SHA\") and has(\"BuildDate\") and has(\"FIPS\")' <<<'$body'" "agent/version keys"
http GET "$C1/v1/status/leader"
is "$body" '"10.100.0.10:8300"' "status/leader is a JSON string"
http GET "$C1/v1/status/peers"
is "$(jq -r '.[0]' <<<"$body")" "10.100.0.10:8300" "status/peers lists the server"
http GET "$C1/v1/catalog/datacenters"
is "$body" '["dc1"]' "catalog/datacenters"

http GET "$C1/v1/no/such/thing"
is "$code" 404 "unknown path: 404"
is "$body" "Invalid URL path: not a recognized HTTP API endpoint" "unknown path: Consul's text"
like "$(header Content-Type)" '^text/plain' "errors are plain text"
http PUT "$C1/v1/agent/self"
is "$code" 405 "wrong method: 405"
is "$(header Allow)" GET "405 carries Allow"
http PUT "$C1/v1/peering/web"
is "$code" 405 "PUT /v1/peering/name: 405"
is "$(header Allow)" "GET,DELETE" "… with Allow: GET,DELETE"
http GET "$C1/v1/config"
is "$code" 405 "GET /v1/config: 405 (PUT only)"
http GET "$C1/v1/catalog/services?partition=team"
is "$code" 400 "?partition on CE: 400"
is "$body" 'Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature' "… with Consul's text"
http GET "$C1/v1/catalog/services" "" -H "X-Consul-Partition: team"
is "$body" 'Invalid header: "X-Consul-Partition" - Partitions are a Consul Enterprise feature' "X-Consul-Partition on CE: 400"
http GET "$C1/v1/catalog/services?stale&consistent"
is "$body" "Cannot specify ?stale with ?consistent, conflicting semantics." "stale with consistent: 400"
http GET "$C2/v1/exported-services"
is "$code" 404 "/v1/exported-services is absent before Consul 1.17"

# Catalog.
http GET "$C1/v1/catalog/services"
is "$code" 200 "catalog/services answers"
ok "jq -e 'has(\"consul\") and has(\"mesh-gateway\")' <<<'$body'" "catalog/services has consul and mesh-gateway"
napps=$(jq 'keys | length' <<<"$body")
ok "[ $napps -ge 5 ]" "a few application services exist ($napps services)"
idx=$(header X-Consul-Index)
like "$idx" '^[1-9][0-9]*$' "reads carry X-Consul-Index"
is "$(header X-Consul-KnownLeader)" true "reads carry X-Consul-KnownLeader"
is "$(header X-Consul-Default-ACL-Policy)" allow "ACL policy allow without --acl"
app=$(jq -r 'keys[] | select(. != "consul" and . != "mesh-gateway")' <<<"$body" | head -1)

http GET "$C1/v1/health/service/mesh-gateway"
is "$(jq -r '.[0].Service.Kind' <<<"$body")" mesh-gateway "gateway: Service.Kind"
is "$(jq -r '.[0].Service.Port' <<<"$body")" 8443 "gateway: port 8443"
is "$(jq -r '.[0].Service.TaggedAddresses.wan.Port' <<<"$body")" 443 "gateway: wan tagged address"
like "$(jq -r '.[0].Service.TaggedAddresses.lan.Address' <<<"$body")" '^10\.' "gateway: lan tagged address"
is "$(jq -r '.[0].Service.Meta["k8s-service-name"]' <<<"$body")" consul-mesh-gateway "gateway: consul-k8s meta"
is "$(jq -r '[.[0].Checks[].Status] | unique | join(",")' <<<"$body")" passing "gateway checks pass"
is "$(jq -r '.[0].Node.Datacenter' <<<"$body")" dc1 "Node.Datacenter"
http GET "$C1/v1/health/service/$app?filter=Service.Kind%20%3D%3D%20%22mesh-gateway%22"
is "$body" "[]" "filter on Service.Kind excludes other services"
http GET "$C1/v1/health/service/mesh-gateway?filter=Service.Kind%20%3D%3D%20%22mesh-gateway%22"
is "$(jq length <<<"$body")" 1 "filter on Service.Kind keeps the gateway"
http GET "$C1/v1/health/service/mesh-gateway?filter=Service.Kind%20!%3D%20mesh-gateway"
is "$body" "[]" "filter with != and a bare value"
http GET "$C1/v1/catalog/service/mesh-gateway?filter=ServiceKind%20%3D%3D%20%22mesh-gateway%22%20and%20Node%20!%3D%20%22x%22"
is "$(jq length <<<"$body")" 1 "catalog filter on ServiceKind, joined with and"
http GET "$C1/v1/health/service/$app?filter=Service.Kind%20%3D%3D"
is "$code" 400 "an incomplete filter: 400"
http GET "$C1/v1/health/service/$app?filter=Bogus.Field%20%3D%3D%20%22x%22"
is "$code" 400 "a filter on an unknown selector: 400"
http GET "$C1/v1/health/service/no-such-service"
is "$body" "[]" "health of an unknown service: empty array"
http GET "$C1/v1/catalog/service/mesh-gateway"
is "$(jq -r '.[0].ServiceKind' <<<"$body")" mesh-gateway "catalog/service: ServiceKind"
is "$(jq -r '.[0].ServiceTaggedAddresses.wan.Port' <<<"$body")" 443 "catalog/service: ServiceTaggedAddresses"
http GET "$C1/v1/internal/ui/services"
is "$(jq -r '.[] | select(.Name=="mesh-gateway") | .Kind' <<<"$body")" mesh-gateway "ui/services: gateway Kind"
ok "jq -e '.[] | select(.Name==\"$app\") | .InstanceCount >= 1 and .ChecksPassing >= 2' <<<'$body'" "ui/services: counts"
# The list is written as text, not printed from a tree: the same compact
# JSON, in the field order of Consul's ServiceSummary (agent/ui_endpoint.go).
is "$(jq -c . <<<"$body")" "$body" "ui/services: compact JSON"
is "$(jq -c '.[] | select(.Name=="mesh-gateway") | [keys_unsorted, .GatewayConfig, .ExternalSources]' <<<"$body")" \
	'[["Kind","Name","Datacenter","Tags","Nodes","ExternalSources","InstanceCount","ChecksPassing","ChecksWarning","ChecksCritical","GatewayConfig","TransparentProxy","ConnectNative","ConnectedWithProxy","ConnectedWithGateway"],{"AssociatedServiceCount":0},["kubernetes"]]' \
	"ui/services: a gateway's summary, field by field"
is "$(jq -c '.[] | select(.Name=="consul") | [.ExternalSources, .GatewayConfig, has("Kind")]' <<<"$body")" \
	'[[],{},false]' "ui/services: the consul service has no external source"
http GET "$C1/v1/internal/ui/exported-services"
is "$body" "[]" "ui/exported-services: nothing exported yet"
http GET "$C1/v1/exported-services"
is "$body" "[]" "exported-services: nothing exported yet"

# A critical gateway shows in health and drops out with ?passing.
sim_ctl gateway cluster-01 critical >/dev/null
http GET "$C1/v1/health/service/mesh-gateway"
is "$(jq -r '.[0].Checks[1].Status' <<<"$body")" critical "ctl gateway critical: the check is critical"
http GET "$C1/v1/health/service/mesh-gateway?passing"
is "$body" "[]" "?passing leaves out critical instances"
http GET "$C1/v1/internal/ui/services"
is "$(jq -r '.[] | select(.Name=="mesh-gateway") | .ChecksCritical' <<<"$body")" 1 "ui/services counts the critical check"
sim_ctl gateway cluster-01 remove >/dev/null
http GET "$C1/v1/health/service/mesh-gateway"
is "$body" "[]" "ctl gateway remove: deregistered"
sim_ctl add-service cluster-01 checkout 3 >/dev/null
http GET "$C1/v1/health/service/checkout"
is "$(jq length <<<"$body")" 3 "ctl add-service: three instances"
is "$(jq -r '[.[].Node.Node] | unique | length' <<<"$body")" 2 "instances spread over the worker nodes"
# consul-k8s registers workloads on "<k8s node>-virtual" (control-plane
# connect-inject/common/common.go: ConsulNodeNameFromK8sNode).
ok "jq -e 'all(.[].Node.Node; endswith(\"-virtual\"))' <<<'$body'" "workload nodes are named <node>-virtual"

# Replication over a peering stream moves LastReceive / LastSend between
# heartbeats: a simulated second after the stream came up, an export is
# received at once, well before the next heartbeat.
sim_ctl peer cluster-01 cluster-02 >/dev/null
ms() { date -d "$1" +%s%3N; }
stream() { curl -s "$1/v1/peering/$2" | jq -r ".StreamStatus.$3"; }
r0=$(stream "$C2" cluster-01 LastReceive)
s0=$(stream "$C1" cluster-02 LastSend)
sim_ctl advance 1 >/dev/null
curl -s -X PUT "$C1/v1/config" -d '{"Kind":"exported-services","Name":"default","Services":[{"Name":"checkout","Consumers":[{"Peer":"cluster-02"}]}]}' >/dev/null
r1=$(stream "$C2" cluster-01 LastReceive)
ok "[ $(ms "$r1") -ge $(($(ms "$r0") + 1000)) ]" "an export moves the importer's LastReceive ($r0 -> $r1)"
s1=$(stream "$C1" cluster-02 LastSend)
ok "[ $(ms "$s1") -ge $(($(ms "$s0") + 1000)) ]" "and the exporter's LastSend ($s0 -> $s1)"

done_testing
