#!/usr/bin/env bash
# peerscope-sim's config entries (doc/api-contract.md §3): PUT with cas, GET by kind and
# name, DELETE with and without cas, validation messages, routing errors.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

sim_start --clusters 1

http GET "$C1/v1/config/mesh"
is "$code:$body" "200:[]" "no mesh entry yet: []"
http GET "$C1/v1/config/mesh/mesh"
is "$code:$body" '404:Config entry not found for "mesh" / "mesh"' "GET a missing entry: 404 text"
like "$(header X-Consul-Index)" '^[1-9][0-9]*$' "a 404 still carries X-Consul-Index"
http PUT "$C1/v1/config" '{"Kind":"mesh","Peering":{"PeerThroughMeshGateways":true}}'
is "$code:$body" "200:true" "PUT mesh: true"
http GET "$C1/v1/config/mesh/mesh"
# MeshConfigEntry has no Name (agent/structs/config_entry_mesh.go): read
# back as Kind, TransparentProxy, ... and refused when sent.
is "$(jq -c 'keys_unsorted[0:2]' <<<"$body")" '["Kind","TransparentProxy"]' "mesh entry: no Name, Kind first"
is "$(jq -r .Peering.PeerThroughMeshGateways <<<"$body")" true "mesh entry keeps Peering"
ci=$(jq -r .CreateIndex <<<"$body")
mi=$(jq -r .ModifyIndex <<<"$body")
like "$ci" '^[0-9]+$' "entries carry CreateIndex"
http PUT "$C1/v1/config?cas=$((mi + 100))" '{"Kind":"mesh"}'
is "$body" false "cas with a stale index: false"
http PUT "$C1/v1/config?cas=0" '{"Kind":"mesh"}'
is "$body" false "cas=0 on an existing entry: false"
http PUT "$C1/v1/config?cas=$mi" '{"Kind":"mesh"}'
is "$body" true "cas with the current index: true"
http GET "$C1/v1/config/mesh/mesh"
is "$(jq -r '.Peering // "absent"' <<<"$body")" absent "the cas write replaced the entry"
ok "[ $(jq -r .ModifyIndex <<<"$body") -gt $mi ]" "ModifyIndex moved"
is "$(jq -r .CreateIndex <<<"$body")" "$ci" "CreateIndex kept"

http PUT "$C1/v1/config" '{"Kind":"proxy-defaults","Name":"global","MeshGateway":{"Mode":"local"}}'
is "$body" true "PUT proxy-defaults"
# An upsert equal to the stored entry is skipped before the raft write, and
# so before the check-and-set: true, ModifyIndex unmoved, whatever ?cas=
# says (agent/consul/config_endpoint.go, Apply and shouldSkipUpsertOperation).
pd_mi=$(curl -s "$C1/v1/config/proxy-defaults/global" | jq -r .ModifyIndex)
http PUT "$C1/v1/config" '{"Kind":"proxy-defaults","Name":"global","MeshGateway":{"Mode":"local"}}'
is "$body" true "the same entry again: true"
http PUT "$C1/v1/config?cas=$((pd_mi + 100))" '{"Kind":"proxy-defaults","Name":"global","MeshGateway":{"Mode":"local"}}'
is "$body" true "the same entry with a stale cas: true (skipped before the check-and-set)"
http PUT "$C1/v1/config?cas=0" '{"Kind":"proxy-defaults","MeshGateway":{"Mode":"local"}}'
is "$body" true "and with cas=0, the name normalised to global: true"
is "$(curl -s "$C1/v1/config/proxy-defaults/global" | jq -r .ModifyIndex)" "$pd_mi" \
	"none of them wrote: ModifyIndex unmoved"
http PUT "$C1/v1/config?cas=$((pd_mi + 100))" '{"Kind":"proxy-defaults","Name":"global","MeshGateway":{"Mode":"remote"}}'
is "$body" false "a different entry with a stale cas: false"
# A cas that is not a number: the handler returns strconv.ParseUint's error,
# a 500 (agent/config_endpoint.go, ConfigApply and ConfigDelete).
http PUT "$C1/v1/config?cas=abc" '{"Kind":"proxy-defaults","Name":"global","MeshGateway":{"Mode":"remote"}}'
is "$code:$body" '500:strconv.ParseUint: parsing "abc": invalid syntax' "PUT ?cas=abc: 500 with ParseUint's words"
http DELETE "$C1/v1/config/proxy-defaults/global?cas=-1"
is "$code:$body" '500:strconv.ParseUint: parsing "-1": invalid syntax' "DELETE ?cas=-1: the same"
http PUT "$C1/v1/config?cas=18446744073709551616" '{"Kind":"proxy-defaults","Name":"global"}'
is "$code:$body" '500:strconv.ParseUint: parsing "18446744073709551616": value out of range' \
	"a cas past 2^64-1: value out of range"
is "$(curl -s "$C1/v1/config/proxy-defaults/global" | jq -r '"\(.ModifyIndex) \(.MeshGateway.Mode)"')" "$pd_mi local" \
	"curl: the entry is as it was"
http PUT "$C1/v1/config" '{"Kind":"proxy-defaults","MeshGateway":{"Mode":"sideways"}}'
is "$code:$body" '500:Invalid Mesh Gateway Mode: "sideways"' "bad mesh gateway mode: 500 with the message"
http PUT "$C1/v1/config" '{"Kind":"service-defaults","Name":"web","Protocol":"http","UpstreamConfig":{"Overrides":[{"Name":"api","Peer":"cluster-02","MeshGateway":{"Mode":"remote"}}]}}'
is "$body" true "PUT service-defaults"
http PUT "$C1/v1/config" '{"Kind":"service-defaults","Name":"web","UpstreamConfig":{"Defaults":{"MeshGateway":{"Mode":"bogus"}}}}'
like "$body" 'Invalid Mesh Gateway Mode: "bogus"' "upstream defaults mode validated"
http PUT "$C1/v1/config" '{"Kind":"service-defaults","Name":"api"}'
http GET "$C1/v1/config/service-defaults"
is "$(jq -c '[.[].Name]' <<<"$body")" '["api","web"]' "list by kind, sorted by name"

# Decoding as Consul decodes (agent/structs/config_entry.go DecodeConfigEntry,
# config_entry_ce.go validateUnusedKeys; doc/api-contract.md §3.1): keys
# without regard to case or by their snake_case alias, weak types, unknown
# keys refused with Go's multierror text, reads in canonical PascalCase.
http PUT "$C1/v1/config" '{"kind":"service-defaults","NAME":"cased","protocol":"grpc","mesh_gateway":{"mode":"local"},"upstream_config":{"overrides":[{"name":"api","peer":"c2","mesh_gateway":{"Mode":"remote"},"connect_timeout_ms":"5000"}]}}'
is "$code:$body" "200:true" "keys in any case and snake_case aliases are decoded"
http GET "$C1/v1/config/service-defaults/cased"
is "$(jq -c '[.Protocol, .MeshGateway.Mode, .UpstreamConfig.Overrides[0].Name, .UpstreamConfig.Overrides[0].Peer, .UpstreamConfig.Overrides[0].MeshGateway.Mode, .UpstreamConfig.Overrides[0].ConnectTimeoutMs]' <<<"$body")" \
	'["grpc","local","api","c2","remote",5000]' "… read back in PascalCase, \"5000\" as a number"
is "$(jq -c 'keys_unsorted' <<<"$body")" '["Kind","Name","Protocol","TransparentProxy","MeshGateway","Expose","UpstreamConfig","CreateIndex","ModifyIndex"]' "… with the struct's members in its order"
http PUT "$C1/v1/config" '{"Kind":"mesh","Name":"mesh"}'
is "$code:$body" "$(printf '400:Request decoding failed: 1 error occurred:\n\t* invalid config key "Name"\n\n')" "a mesh entry with a Name: invalid config key"
http PUT "$C1/v1/config" '{"Kind":"service-defaults","Name":"x","Protocl":"http","MeshGateway":{"Mode":"local","Moed":1},"Namespace":"ns"}'
is "$code" 400 "unknown keys: 400"
is "$body" "$(printf 'Request decoding failed: 3 errors occurred:\n\t* invalid config key "MeshGateway.Moed"\n\t* invalid config key "Namespace", namespaces are a consul enterprise feature\n\t* invalid config key "Protocl"\n\n')" "… every one named, nested ones by their path"
http PUT "$C1/v1/config" '{"Kind":"mesh","tls":{"incoming":{"tls_min_version":"TLSv1_2"}},"http":{"sanitize_x_forwarded_client_cert":true},"peering":{"peer_through_mesh_gateways":"true"}}'
is "$code:$body" "200:true" "mesh: TLS, HTTP and Peering by their aliases"
http GET "$C1/v1/config/mesh/mesh"
is "$(jq -c '[.TLS.Incoming.TLSMinVersion, .HTTP.SanitizeXForwardedClientCert, .Peering.PeerThroughMeshGateways]' <<<"$body")" '["TLSv1_2",true,true]' "… read back as TLS, TLSMinVersion, HTTP"
http PUT "$C1/v1/config" '{"Kind":"mesh","TLS":{"Outgoing":{"TLSMaxVersion":"TLSv9"}}}'
is "$code:$body" "500:no matching TLS version found for TLSv9, please specify one of [TLS_AUTO, TLSv1_0, TLSv1_1, TLSv1_2, TLSv1_3]" "mesh: TLS versions validated (types/tls.go)"
http PUT "$C1/v1/config" '{"Kind":"proxy-defaults","Name":"other"}'
is "$code:$body" '500:invalid name ("other"), only "global" is supported' "proxy-defaults: only global"
http PUT "$C1/v1/config" '{"Kind":"mesh"}'
http DELETE "$C1/v1/config/service-defaults/cased"

# exported-services validation.
exp() { http PUT "$C1/v1/config" "{\"Kind\":\"exported-services\",\"Name\":\"${2:-default}\",\"Services\":$1}"; }
exp '[]' other
is "$body" 'exported-services Name must be "default"' "exported-services: Name must be default"
exp '[{"Name":"","Consumers":[{"Peer":"p"}]}]'
is "$body" "Services[0]: service name cannot be empty" "exported-services: empty service name"
exp '[{"Name":"web","Consumers":[]}]'
is "$body" "Services[0]: must have at least one consumer" "exported-services: no consumer"
exp '[{"Name":"web","Consumers":[{"Peer":"p"}]},{"Name":"api","Consumers":[{"Peer":"p","Partition":"x"}]}]'
is "$body" "Services[1].Consumers[0]: must define at most one of Peer, Partition, or SamenessGroup" "exported-services: two targets"
exp '[{"Name":"web","Consumers":[{"Peer":"*"}]}]'
is "$body" "Services[0].Consumers[0]: exporting to all peers (wildcard) is not supported" "exported-services: wildcard peer"
exp '[{"Name":"web","Consumers":[{"Partition":"*"}]}]'
is "$body" "Services[0].Consumers[0]: exporting to all partitions (wildcard) is not supported" "exported-services: wildcard partition"
exp '[{"Name":"web","Namespace":"*","Consumers":[{"Peer":"p"}]}]'
is "$body" "Services[0]: service name must be wildcard if namespace is wildcard" "exported-services: namespace wildcard"
exp '[{"Name":"web","Consumers":[{"Peer":"p"}]}]'
is "$code:$body" "200:true" "a valid exported-services entry"

# Decoding and routing errors.
http PUT "$C1/v1/config" '{"Name":"x"}'
is "$code:$body" "400:Request decoding failed: Payload does not contain a kind/Kind key at the top level" "PUT without Kind: 400"
http PUT "$C1/v1/config" '{"Kind":"teapot","Name":"x"}'
is "$body" "Request decoding failed: invalid config entry kind: teapot" "PUT with an unknown kind: 400"
http PUT "$C1/v1/config" '{"Kind":'
is "$code" 400 "PUT with broken JSON: 400"
like "$body" '^Request decoding failed: ' "… Request decoding failed"
http GET "$C1/v1/config/"
is "$code:$body" "404:Must provide either a kind or both kind and name" "GET /v1/config/: 404"
http DELETE "$C1/v1/config/mesh"
is "$code:$body" "404:Must provide both a kind and name to delete" "DELETE without a name: 404"
http DELETE "$C1/v1/config/teapot/x"
is "$code" 400 "DELETE of an unknown kind: 400"

# DELETE with and without cas.
mi=$(curl -s "$C1/v1/config/service-defaults/api" | jq -r .ModifyIndex)
http DELETE "$C1/v1/config/service-defaults/api?cas=$((mi + 1))"
is "$body" false "DELETE with a stale cas: false"
http DELETE "$C1/v1/config/service-defaults/api?cas=$mi"
is "$body" true "DELETE with the current cas: true"
http DELETE "$C1/v1/config/service-defaults/web"
is "$code:$body" "200:{}" "DELETE: 200 {}"
http GET "$C1/v1/config/service-defaults"
is "$body" "[]" "both entries are gone"
http DELETE "$C1/v1/config/service-defaults/web"
is "$code:$body" "200:{}" "DELETE of a missing entry: 200 {}"
# Delete skips a missing entry, with a cas too: Deleted=true
# (agent/consul/config_endpoint.go, Delete and shouldSkipOperation).
http DELETE "$C1/v1/config/service-defaults/web?cas=7"
is "$code:$body" "200:true" "DELETE with a cas of a missing entry: true"

done_testing
