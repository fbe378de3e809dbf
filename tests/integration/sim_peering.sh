#!/usr/bin/env bash
# peerscope-sim's peering API (doc/api-contract.md §2): token format, single-use secrets,
# states, heartbeats, Remote, imports and exports, errors, soft delete.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

sim_start --clusters 3 --speed 10 --set cluster-03:peering_enabled=false

# Body and argument errors.
http POST "$C1/v1/peering/token"
is "$code:$body" "400:The peering arguments must be provided in the body" "token without a body: 400"
http POST "$C1/v1/peering/token" '{"PeerName":'
is "$code" 400 "token with broken JSON: 400"
like "$body" '^Body decoding failed: ' "… Body decoding failed"
http POST "$C1/v1/peering/token" '{}'
is "$body" "PeerName is required in the payload when generating a new peering token." "token without PeerName: 400"
http POST "$C1/v1/peering/token" '{"PeerName":"Bad.Name"}'
is "$code" 500 "an invalid peer name: 500"
like "$body" 'Bad.Name is not a valid peer name: a valid peering name must consist of lower case alphanumeric characters' "… with the validation text"
http POST "$C3/v1/peering/token" '{"PeerName":"x"}'
like "$body" "peering must be enabled to use this endpoint" "peering disabled: FailedPrecondition"
http GET "$C1/v1/peering/nobody"
is "$code:$body" '404:Peering not found for "nobody"' "unknown peering: 404"
http GET "$C1/v1/peerings"
is "$body" "[]" "no peerings: []"

# Token format.
http POST "$C1/v1/peering/token" '{"PeerName":"cluster-02","Meta":{"team":"a"}}'
is "$code" 200 "generate token: 200"
# A new acceptor record is one write (agent/rpc/peering/service.go
# GenerateToken: one PeeringWrite).
is "$(curl -s "$C1/v1/peering/cluster-02" | jq '.CreateIndex == .ModifyIndex')" true "a fresh peering: CreateIndex == ModifyIndex"
tok1=$(jq -r .PeeringToken <<<"$body")
dec=$(base64 -d <<<"$tok1")
ok "jq -e '.CA[0] | startswith(\"-----BEGIN CERTIFICATE-----\")' <<<'$dec'" "token: CA PEM"
is "$(jq -c .ServerAddresses <<<"$dec")" '["10.100.0.10:8502"]' "token: server gRPC address"
like "$(jq -r .ServerName <<<"$dec")" '^server\.dc1\.peering\.[0-9a-f-]{36}\.consul$' "token: ServerName"
is "$(jq -r .ManualServerAddresses <<<"$dec")" null "token: ManualServerAddresses null"
is "$(jq -c .Remote <<<"$dec")" '{"Partition":"default","Datacenter":"dc1","Locality":null}' "token: Remote"
is "$(jq -r 'keys_unsorted | join(",")' <<<"$dec")" "CA,ManualServerAddresses,ServerAddresses,ServerName,PeerID,EstablishmentSecret,Remote" "token: keys in Go's order"
http GET "$C1/v1/peering/cluster-02"
is "$(jq -r .State <<<"$body")" PENDING "acceptor: PENDING"
is "$(jq -r .ID <<<"$body")" "$(jq -r .PeerID <<<"$dec")" "token PeerID is the acceptor's ID"
is "$(jq -r .Meta.team <<<"$body")" a "Meta kept"
is "$(jq -c .StreamStatus <<<"$body")" '{"ImportedServices":null,"ExportedServices":null,"LastHeartbeat":null,"LastReceive":null,"LastSend":null}' "PENDING: empty StreamStatus"
id1=$(jq -r .ID <<<"$body")

# A second token rotates the secret; the first stops working.
http POST "$C1/v1/peering/token" '{"PeerName":"cluster-02"}'
tok2=$(jq -r .PeeringToken <<<"$body")
http GET "$C1/v1/peering/cluster-02"
is "$(jq -r .ID <<<"$body")" "$id1" "a new token keeps the peering ID"
http POST "$C2/v1/peering/establish" "{\"PeerName\":\"cluster-01\",\"PeeringToken\":\"$tok1\"}"
is "$code" 403 "establish with a rotated token: 403"
is "$body" "rpc error: code = PermissionDenied desc = a new peering token must be generated: invalid peering establishment secret" "… a new peering token must be generated"

# Establish errors.
http POST "$C2/v1/peering/establish" '{"PeerName":"cluster-01"}'
is "$body" "PeeringToken is required in the payload when establishing a peering." "establish without token: 400"
http POST "$C2/v1/peering/establish" '{"PeeringToken":"x"}'
is "$body" "PeerName is required in the payload when establishing a peering." "establish without name: 400"
# DecodeToken prefixes its base64 error only; json.Unmarshal's comes as it is,
# and Establish returns both unwrapped: code Unknown
# (agent/consul/peering_backend.go DecodeToken, agent/rpc/peering/service.go).
http POST "$C2/v1/peering/establish" '{"PeerName":"c1","PeeringToken":"!!notbase64"}'
is "$code:$body" "500:rpc error: code = Unknown desc = failed to decode token: illegal base64 data at input byte 0" \
	"establish with garbage: failed to decode token, code Unknown"
http POST "$C2/v1/peering/establish" "{\"PeerName\":\"c1\",\"PeeringToken\":\"$(printf garbage | base64 -w0)\"}"
is "$code:$body" "500:rpc error: code = Unknown desc = invalid character 'g' looking for beginning of value" \
	"establish with base64 of no JSON: the JSON error without the prefix"
# agent/peering_endpoint.go answers a DELETE without a name as a read does.
http DELETE "$C2/v1/peering/"
is "$code:$body" "400:Must specify a name to fetch." "DELETE /v1/peering/ without a name: 400"
bad=$(jq -c '.ServerAddresses=["nohost"]' <<<"$dec" | base64 -w0)
http POST "$C2/v1/peering/establish" "{\"PeerName\":\"c1\",\"PeeringToken\":\"$bad\"}"
like "$body" "nohost is not a valid peering server address" "establish: bad address"
bad=$(jq -c '.ServerName=""' <<<"$dec" | base64 -w0)
http POST "$C2/v1/peering/establish" "{\"PeerName\":\"c1\",\"PeeringToken\":\"$bad\"}"
like "$body" "peering token server name value is empty" "establish: empty ServerName"
bad=$(jq -c '.ServerAddresses=["10.250.0.1:8502"]' <<<"$(base64 -d <<<"$tok2")" | base64 -w0)
http POST "$C2/v1/peering/establish" "{\"PeerName\":\"c1\",\"PeeringToken\":\"$bad\"}"
like "$body" 'failed to exchange peering secret through address "10.250.0.1:8502"' "establish: unreachable address"
# The record is written before the exchange and stays as written
# (consul agent/rpc/peering/service.go Establish: "State is intentionally not
# set until after the secret exchange succeeds"; a new record is PENDING).
http GET "$C2/v1/peering/c1"
is "$(jq -c '[.State, .PeerID == "'"$id1"'", .PeerServerName != null, .PeerServerAddresses, .Remote.Datacenter, (.PeerCAPems | length)]' <<<"$body")" \
	'["PENDING",true,true,["10.250.0.1:8502"],"dc1",1]' "a failed establish leaves the record PENDING with what the token said"
is "$(jq -c .StreamStatus <<<"$body")" '{"ImportedServices":null,"ExportedServices":null,"LastHeartbeat":null,"LastReceive":null,"LastSend":null}' "… never dialed: an empty StreamStatus"
http DELETE "$C2/v1/peering/c1"
http POST "$C1/v1/peering/establish" "{\"PeerName\":\"self\",\"PeeringToken\":\"$tok2\"}"
like "$body" 'cannot create a peering within the same cluster "server\.dc1\.peering\.' "establish on the cluster that minted the token"
tokx=$(curl -s -X POST "$C2/v1/peering/token" -d '{"PeerName":"tmp"}' | jq -r .PeeringToken)
http POST "$C1/v1/peering/establish" "{\"PeerName\":\"cluster-02\",\"PeeringToken\":\"$tokx\"}"
curl -s -X DELETE "$C2/v1/peering/tmp"
like "$body" 'cannot create peering with name: "cluster-02"; there is an existing peering expecting to be dialed' "establish over an acceptor name"

# Establish for real.
http POST "$C2/v1/peering/establish" "{\"PeerName\":\"cluster-01\",\"PeeringToken\":\"$tok2\"}"
is "$code:$body" "200:{}" "establish: 200 {}"
http GET "$C2/v1/peering/cluster-01"
# Stored ESTABLISHING until the leader's first dial, a moment later (the
# stored state is pinned where no stream hides it, in sim_stream.sh).
like "$(jq -r .State <<<"$body")" '^(ESTABLISHING|ACTIVE)$' "dialer: ESTABLISHING, then ACTIVE"
is "$(jq -r .PeerID <<<"$body")" "$id1" "dialer: PeerID"
is "$(jq -c .PeerServerAddresses <<<"$body")" '["10.100.0.10:8502"]' "dialer: PeerServerAddresses"
is "$(jq -c .Remote <<<"$body")" '{"Partition":"default","Datacenter":"dc1"}' "dialer: Remote from the token"
http POST "$C2/v1/peering/establish" "{\"PeerName\":\"cluster-01\",\"PeeringToken\":\"$tok2\"}"
is "$code" 403 "the secret is single-use"
active() { [ "$(curl -s "$1/v1/peering/$2" | jq -r .State)" = ACTIVE ]; }
ok "wait_until 5 active $C2 cluster-01" "dialer becomes ACTIVE"
ok "wait_until 5 active $C1 cluster-02" "acceptor becomes ACTIVE"
http GET "$C1/v1/peering/cluster-02"
is "$(jq -c .Remote <<<"$body")" '{"Partition":"default","Datacenter":"dc2"}' "acceptor: Remote learned from the dialer"
sim_ctl advance 20 >/dev/null
hb1=$(curl -s "$C1/v1/peering/cluster-02" | jq -r .StreamStatus.LastHeartbeat)
like "$hb1" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]+(\.[0-9]+)?Z$' "heartbeat: RFC 3339 time"
sim_ctl advance 60 >/dev/null
hb2=$(curl -s "$C1/v1/peering/cluster-02" | jq -r .StreamStatus.LastHeartbeat)
ok "[ '$hb2' \> '$hb1' ]" "heartbeats advance while the peer is up ($hb1 -> $hb2)"

# A regenerated token re-dialed on a live peering keeps the stream.
tok3=$(curl -s -X POST "$C1/v1/peering/token" -d '{"PeerName":"cluster-02"}' | jq -r .PeeringToken)
is "$(curl -s "$C1/v1/peering/cluster-02" | jq -r .State)" ACTIVE "a new token leaves the acceptor ACTIVE"
http POST "$C2/v1/peering/establish" "{\"PeerName\":\"cluster-01\",\"PeeringToken\":\"$tok3\"}"
is "$code" 200 "re-establish with the new token"
is "$(curl -s "$C2/v1/peering/cluster-01" | jq -r .State)" ACTIVE "the live stream stays ACTIVE"

# Exports and imports.
app=$(curl -s "$C1/v1/catalog/services" | jq -r 'keys[] | select(. != "consul" and . != "mesh-gateway")' | head -1)
http PUT "$C1/v1/config" "{\"Kind\":\"exported-services\",\"Name\":\"default\",\"Services\":[{\"Name\":\"$app\",\"Consumers\":[{\"Peer\":\"cluster-02\"}]},{\"Name\":\"consul\",\"Consumers\":[{\"Peer\":\"cluster-02\"}]}]}"
is "$body" true "export $app to cluster-02"
http GET "$C1/v1/peering/cluster-02"
is "$(jq -c .StreamStatus.ExportedServices <<<"$body")" "[\"$app\"]" "acceptor: ExportedServices (consul is never exported)"
http GET "$C2/v1/peering/cluster-01"
is "$(jq -c .StreamStatus.ImportedServices <<<"$body")" "[\"$app\"]" "dialer: ImportedServices"
http GET "$C2/v1/health/service/$app?peer=cluster-01"
ok "jq -e 'length >= 1' <<<'$body'" "imported service in health with ?peer"
is "$(jq -r '.[0].Service.PeerName' <<<"$body")" cluster-01 "Service.PeerName on imported entries"
is "$(jq -r '.[0].Node.PeerName' <<<"$body")" cluster-01 "Node.PeerName on imported entries"
http GET "$C2/v1/health/service/$app"
is "$body" "[]" "imported service is not local"
http GET "$C2/v1/internal/ui/services"
is "$(jq -r ".[] | select(.Name==\"$app\" and .PeerName==\"cluster-01\") | .Datacenter" <<<"$body")" dc1 "ui/services lists the import with PeerName"
http GET "$C1/v1/internal/ui/exported-services?peer=cluster-02"
is "$(jq -c '[.[].Name]' <<<"$body")" "[\"$app\"]" "ui/exported-services?peer"
http GET "$C1/v1/exported-services"
is "$(jq -c '.[0]' <<<"$body")" "{\"Service\":\"$app\",\"Consumers\":{\"Peers\":[\"cluster-02\"]}}" "exported-services resolved"
# Explicit names are listed registered or not; only "*" reads the catalog
# (consul agent/consul/state ResolvedExportedServices; doc/api-contract.md §4.2).
curl -s -X PUT "$C1/v1/config" -d "{\"Kind\":\"exported-services\",\"Name\":\"default\",\"Services\":[{\"Name\":\"$app\",\"Consumers\":[{\"Peer\":\"cluster-02\"}]},{\"Name\":\"ghost\",\"Consumers\":[{\"Peer\":\"cluster-02\"}]}]}" >/dev/null
is "$(curl -s "$C1/v1/exported-services" | jq -c '[.[].Service] | index("ghost") != null')" true "an unregistered service named in the entry is listed"
curl -s -X PUT "$C1/v1/config" -d "{\"Kind\":\"exported-services\",\"Name\":\"default\",\"Services\":[{\"Name\":\"$app\",\"Consumers\":[{\"Peer\":\"cluster-02\"}]},{\"Name\":\"consul\",\"Consumers\":[{\"Peer\":\"cluster-02\"}]}]}" >/dev/null
http GET "$C2/v1/catalog/services?peer=cluster-01"
is "$(jq -r 'keys[0]' <<<"$body")" "$app" "catalog/services?peer lists imports"
# The mesh view of an import: what the exporter synthesises, one
# "<svc>-sidecar-proxy" per mesh gateway instance of the exporting cluster,
# at the gateway's address and port, with one check flattened from the
# gateway's; none without a gateway (consul
# agent/grpc-external/services/peerstream/subscription_manager.go,
# syntheticProxies and flattenChecks; doc/api-contract.md §4.3).
http GET "$C2/v1/health/connect/$app?peer=cluster-01"
is "$code" 200 "health/connect?peer answers"
gw=$(curl -s "$C1/v1/health/service/mesh-gateway")
is "$(jq length <<<"$body")" "$(jq length <<<"$gw")" "health/connect?peer: one proxy per gateway instance of the exporter"
is "$(jq -c '.[0].Service | [.Kind, .ID, .Service, .Proxy.DestinationServiceName, .Proxy.DestinationServiceID, .PeerName]' <<<"$body")" \
	"[\"connect-proxy\",\"$app-sidecar-proxy-instance-0\",\"$app-sidecar-proxy\",\"$app\",\"$app-instance-0\",\"cluster-01\"]" "health/connect?peer: the synthesised proxy"
is "$(jq -c '.[0] | [.Service.Address, .Service.Port, .Service.TaggedAddresses.wan, .Node.Node]' <<<"$body")" \
	"$(jq -c '.[0] | [.Service.Address, .Service.Port, .Service.TaggedAddresses.wan, .Node.Node]' <<<"$gw")" "… at the gateway's address, port and node"
like "$(jq -r '.[0].Service.Connect.PeerMeta.SNI[0]' <<<"$body")" "^$app\\.default\\.default\\.cluster-02\\.external\\." "… with the SNI the exporter names it by"
is "$(jq -c '.[0].Checks | map([.CheckID, .Name, .Status])' <<<"$body")" "[[\"$app-sidecar-proxy-instance-0:overall-check\",\"overall-check\",\"passing\"]]" "… and one overall check"
sim_ctl gateway cluster-01 critical >/dev/null
is "$(curl -s "$C2/v1/health/connect/$app?peer=cluster-01" | jq -r '.[0].Checks[0].Status')" critical "the check follows the gateway's health"
is "$(curl -s "$C2/v1/health/connect/$app?peer=cluster-01&passing" | jq length)" 0 "… so ?passing drops it"
sim_ctl gateway cluster-01 passing >/dev/null
is "$(curl -s "$C2/v1/health/service/$app-sidecar-proxy?peer=cluster-01" | jq -r '.[0].Service.ID')" "$app-sidecar-proxy-instance-0" "the synthesised proxy is in the imported catalog under its name"
ok "curl -s '$C2/v1/catalog/services?peer=cluster-01' | jq -e 'has(\"$app-sidecar-proxy\")'" "catalog/services?peer lists it"
http GET "$C2/v1/health/service/$app?peer=cluster-01"
is "$(jq -c '.[0].Checks | map(.Name)' <<<"$body")" '["overall-check"]' "an imported instance carries one flattened check"
is "$(jq -r '.[0].Checks[0].CheckID' <<<"$body")" "$(jq -r '.[0].Service.ID' <<<"$body"):overall-check" "… named after the instance"
http GET "$C2/v1/health/connect/$app"
is "$body" "[]" "health/connect without ?peer: not local"
http GET "$C1/v1/health/connect/mesh-gateway"
is "$body" "[]" "health/connect: a mesh gateway is not connect-capable"
http GET "$C2/v1/health/connect/"
is "$code" 400 "health/connect without a name: 400"
# /v1/imported-services: Consul 1.21 and later in the simulator.
http GET "$C2/v1/imported-services"
is "$code" 404 "imported-services is absent before Consul 1.21"
sim_ctl install cluster-02 consul_version=1.21.2 >/dev/null
http GET "$C2/v1/imported-services"
is "$code" 200 "imported-services from Consul 1.21"
is "$(jq -c "map(select(.Service==\"$app\"))[0]" <<<"$body")" "{\"Service\":\"$app\",\"Partition\":\"default\",\"Namespace\":\"default\",\"SourcePeer\":\"cluster-01\"}" "imported-services names the service and its peer"
http GET "$C1/v1/health/connect/$app"
is "$(jq -r '[length > 0, .[0].Service.PeerName == null] | join(",")' <<<"$body")" true,true "health/connect of a local service: its proxies, no PeerName"
sim_ctl install cluster-02 consul_version=1.18.2 >/dev/null

# ServerExternalAddresses land in the token's ManualServerAddresses, which the
# dialer tries first: here they point at cluster-02, which has no such peering.
http POST "$C1/v1/peering/token" '{"PeerName":"manual","ServerExternalAddresses":["198.51.100.11:443"]}'
mt=$(jq -r .PeeringToken <<<"$body")
is "$(base64 -d <<<"$mt" | jq -c '[.ManualServerAddresses, .ServerAddresses]')" '[["198.51.100.11:443"],["10.100.0.10:8502"]]' "ServerExternalAddresses: ManualServerAddresses"
http POST "$C3/v1/peering/establish" "{\"PeerName\":\"manual\",\"PeeringToken\":\"$mt\"}"
like "$body" "peering must be enabled" "establish on a cluster with peering disabled"
sim_ctl install cluster-03 peering_enabled=true >/dev/null
http POST "$C3/v1/peering/establish" "{\"PeerName\":\"manual\",\"PeeringToken\":\"$mt\"}"
# ExchangeSecret on a cluster without that PeerID: PermissionDenied, not
# retried on the next address (agent/rpc/peering/service.go retryExchange,
# peerstream/server.go ExchangeSecret).
is "$code:$body" "403:rpc error: code = PermissionDenied desc = a new peering token must be generated: invalid peering establishment secret" \
	"the manual address is dialed first and reaches the wrong cluster: 403"
curl -s -X DELETE "$C1/v1/peering/manual" >/dev/null
curl -s -X DELETE "$C3/v1/peering/manual" >/dev/null

# Peering through mesh gateways.
curl -s -X PUT "$C1/v1/config" -d '{"Kind":"mesh","Peering":{"PeerThroughMeshGateways":true}}' >/dev/null
http POST "$C1/v1/peering/token" '{"PeerName":"gw-peer"}'
is "$(base64 -d <<<"$(jq -r .PeeringToken <<<"$body")" | jq -c .ServerAddresses)" '["198.51.100.10:443"]' "through gateways: the token carries the gateway WAN address"
sim_ctl gateway cluster-01 remove >/dev/null
is "$(curl -s "$C2/v1/health/connect/$app?peer=cluster-01")" "[]" "the exporter has no gateway: no connect endpoints for its imports"
http POST "$C1/v1/peering/token" '{"PeerName":"gw-peer"}'
is "$code" 500 "no gateway: token generation fails"
like "$body" "servers are configured to PeerThroughMeshGateways, but no mesh gateway instances are registered" "… with Consul's text"
http POST "$C1/v1/peering/token" '{"PeerName":"cluster-02"}'
like "$body" "no mesh gateway instances" "a regenerate fails the same way"
http GET "$C2/v1/peering/cluster-01"
is "$(jq -r .State <<<"$body")" ACTIVE "an established server-address peering stays ACTIVE"
sim_ctl gateway cluster-01 add >/dev/null
http DELETE "$C1/v1/peering/gw-peer"
is "$code:$body" "200:" "delete a PENDING peering: 200, empty body"
curl -s -X DELETE "$C1/v1/config/mesh/mesh" >/dev/null

# Delete: DELETING, then gone; the other side TERMINATED.
hbd=$(curl -s "$C1/v1/peering/cluster-02" | jq -r .StreamStatus.LastHeartbeat)
http DELETE "$C2/v1/peering/cluster-01"
is "$code:$body" "200:" "delete: 200 with an empty body"
http GET "$C2/v1/peering/cluster-01"
is "$(jq -r .State <<<"$body")" DELETING "deleted side: DELETING"
like "$(jq -r .DeletedAt <<<"$body")" '^20' "DeletedAt is set"
http DELETE "$C2/v1/peering/cluster-01"
is "$code" 200 "delete again while DELETING: 200"
http GET "$C1/v1/peering/cluster-02"
is "$(jq -r .State <<<"$body")" TERMINATED "other side: TERMINATED"
hbt=$(jq -r .StreamStatus.LastHeartbeat <<<"$body")
ok "[ '$hbt' \> '$hbd' ] || [ '$hbt' = '$hbd' ]" "TERMINATED keeps the last heartbeat ($hbd, $hbt)"
gone() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/v1/peering/$2")" = 404 ]; }
ok "wait_until 5 gone $C2 cluster-01" "the deleted peering goes away"
sim_ctl advance 60 >/dev/null
http GET "$C1/v1/peering/cluster-02"
is "$(jq -r .State <<<"$body")" TERMINATED "TERMINATED stays until deleted (a simulated minute later)"
is "$(jq -r .StreamStatus.LastHeartbeat <<<"$body")" "$hbt" "no heartbeats after TERMINATED"
http GET "$C2/v1/health/service/$app?peer=cluster-01"
is "$body" "[]" "imports vanish with the peering"
# A new token for the TERMINATED acceptor: the write leaves the state
# UNDEFINED, which keeps TERMINATED (agent/consul/state/peering.go
# PeeringWrite); the exchange takes the new secret, but the acceptor refuses
# the stream of a peering that is not active (peerstream/server.go
# StreamResources: "peering is marked as deleted"), so the dialer is FAILING,
# never ACTIVE. The token used, a second establish is 403.
http POST "$C1/v1/peering/token" '{"PeerName":"cluster-02"}'
is "$code" 200 "a token for the TERMINATED acceptor: 200"
tt=$(jq -r .PeeringToken <<<"$body")
http GET "$C1/v1/peering/cluster-02"
is "$(jq -r .State <<<"$body")" TERMINATED "the acceptor stays TERMINATED"
http POST "$C2/v1/peering/establish" "{\"PeerName\":\"cluster-01\",\"PeeringToken\":\"$tt\"}"
is "$code" 200 "establish with it: the secret exchange succeeds"
st_is() { [ "$(curl -s "$1/v1/peering/$2" | jq -r .State)" = "$3" ]; }
sim_ctl advance 5 >/dev/null
ok "wait_until 5 st_is $C2 cluster-01 FAILING" "the acceptor refuses the stream: the dialer is FAILING"
sim_ctl advance 30 >/dev/null
is "$(curl -s "$C2/v1/peering/cluster-01" | jq -r .State) $(curl -s "$C1/v1/peering/cluster-02" | jq -r .State)" \
	"FAILING TERMINATED" "never ACTIVE: FAILING, and the acceptor still TERMINATED"
http POST "$C2/v1/peering/establish" "{\"PeerName\":\"cluster-01\",\"PeeringToken\":\"$tt\"}"
is "$code:$body" "403:rpc error: code = PermissionDenied desc = a new peering token must be generated: invalid peering establishment secret" \
	"the token again: 403, a new one must be generated"
http DELETE "$C2/v1/peering/cluster-01"
ok "wait_until 5 gone $C2 cluster-01" "the FAILING dialer is deleted"
http DELETE "$C2/v1/peering/never-existed"
is "$code" 200 "deleting an unknown peering: 200"
http DELETE "$C1/v1/peering/cluster-02"
ok "wait_until 5 gone $C1 cluster-02" "a TERMINATED peering can be deleted"

# Consul 1.13's peering shape.
sim_ctl install cluster-02 consul_version=1.13.9 >/dev/null
http POST "$C2/v1/peering/token" '{"PeerName":"old"}'
http GET "$C2/v1/peering/old"
is "$(jq -r .State <<<"$body")" INITIAL "Consul 1.13: INITIAL instead of PENDING"
ok "jq -e 'has(\"ImportedServiceCount\") and (has(\"StreamStatus\") | not)' <<<'$body'" "Consul 1.13: counts instead of StreamStatus"

# A write to a peering being deleted: PeeringWrite's plain error, wrapped by
# GenerateToken (agent/consul/state/peering.go, agent/rpc/peering/service.go):
# code Unknown. At speed 1 a deletion takes 2 s.
sim_start --clusters 2
http POST "$C1/v1/peering/token" '{"PeerName":"going"}'
is "$code" 200 "a token for a new peering"
http DELETE "$C1/v1/peering/going"
http POST "$C1/v1/peering/token" '{"PeerName":"going"}'
is "$code:$body" "500:rpc error: code = Unknown desc = failed to write peering: cannot write to peering that is marked for deletion" \
	"a token for a peering being deleted: 500, cannot write to peering that is marked for deletion"

# /v1/peerings walks the name index: sorted by name, not by creation
# (agent/consul/state/peering.go peeringListTxn).
http POST "$C2/v1/peering/token" '{"PeerName":"zz-last"}'
http POST "$C2/v1/peering/token" '{"PeerName":"aa-first"}'
http GET "$C2/v1/peerings"
names=$(jq -r '[.[].Name] | join(" ")' <<<"$body")
is "$(jq -r '[.[].Name] | (. == sort) and (index("aa-first") < index("zz-last"))' <<<"$body")" true \
	"/v1/peerings is sorted by name: $names"

done_testing
