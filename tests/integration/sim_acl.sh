#!/usr/bin/env bash
# peerscope-sim with --acl (doc/api-contract.md §6, §1.2): token lookup order, ACL not found,
# Permission denied for peering, mesh, service and agent, silent filtering,
# token/self, internal/acl/authorize, and the pre-made tokens' rules.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

sim_start --acl --speed 10
tok() { cat "$SIM_DIR/state/cluster-01-$1.token"; }
MGMT=$(tok management) RO=$(tok dashboard-readonly) ACT=$(tok dashboard)
GW=$(tok gateway) GWN=$(tok gateway-no-mesh-write)
H() { printf 'X-Consul-Token: %s' "$1"; }

http GET "$C1/v1/peerings"
is "$code" 403 "anonymous: 403 on peerings"
like "$body" "^Permission denied: anonymous token lacks permission 'peering:read'" "anonymous: Permission denied text"
is "$(header X-Consul-Default-ACL-Policy)" "" "no read headers on a denial"
http GET "$C1/v1/peerings" "" -H "X-Consul-Token: 00000000-0000-4000-8000-000000000000"
is "$code:$body" "403:ACL not found" "unknown token: 403 ACL not found"
http GET "$C1/v1/peerings" "" -H "$(H "$RO")"
is "$code" 200 "read-only token reads peerings (X-Consul-Token)"
is "$(header X-Consul-Default-ACL-Policy)" deny "ACL default policy deny"
http GET "$C1/v1/peerings" "" -H "Authorization: Bearer $RO"
is "$code" 200 "Authorization: Bearer works"
http GET "$C1/v1/peerings?token=$RO"
is "$code" 200 "?token= works"
http GET "$C1/v1/peerings?token=$RO" "" -H "X-Consul-Token: bad"
is "$code" 200 "?token= wins over the header"

http POST "$C1/v1/peering/token" '{"PeerName":"cluster-02"}' -H "$(H "$RO")"
is "$code" 403 "read-only token cannot generate a token"
like "$body" "lacks permission 'peering:write'" "… lacks peering:write"
http POST "$C1/v1/peering/token" '{"PeerName":"cluster-02"}' -H "$(H "$ACT")"
is "$code" 200 "actions token generates a token"
http DELETE "$C1/v1/peering/cluster-02" "" -H "$(H "$RO")"
is "$code" 403 "read-only token cannot delete a peering"

http PUT "$C1/v1/config" '{"Kind":"mesh"}' -H "$(H "$RO")"
like "$code:$body" "^403:Permission denied: .*lacks permission 'mesh:write'" "mesh write needs mesh:write"
http PUT "$C1/v1/config" '{"Kind":"mesh"}' -H "$(H "$ACT")"
is "$body" true "actions token writes mesh"
http GET "$C1/v1/config/mesh/mesh"
is "$code" 200 "reading mesh needs no permission"
http PUT "$C1/v1/config" '{"Kind":"exported-services","Name":"default","Services":[{"Name":"x","Consumers":[{"Peer":"p"}]}]}' -H "$(H "$ACT")"
is "$body" true "actions token writes exported-services"
http GET "$C1/v1/config/exported-services/default"
like "$code:$body" "^403:.*'mesh:read'" "exported-services read needs mesh:read"
http PUT "$C1/v1/config" '{"Kind":"service-defaults","Name":"web"}' -H "$(H "$GW")"
like "$code:$body" "^403:.*lacks permission 'service:write' on \"web\"" "service-defaults write needs service:write on the name"

http GET "$C1/v1/agent/self" "" -H "$(H "$GW")"
like "$code:$body" "^403:.*lacks permission 'agent:read' on \"consul-server-0\"" "gateway token: no agent:read"
http GET "$C1/v1/agent/self" "" -H "$(H "$RO")"
is "$code" 200 "read-only token has agent:read"
http GET "$C1/v1/agent/version"
is "$code" 200 "agent/version needs no token"

http GET "$C1/v1/catalog/services"
is "$body" "{}" "anonymous: catalog silently filtered"
is "$(header X-Consul-Results-Filtered-By-ACLs)" "" "no filtered header without a token"
http GET "$C1/v1/internal/ui/services" "" -H "$(H "$GWN")"
ok "jq -e 'length > 2' <<<'$body'" "service_prefix read sees every service"
http GET "$C1/v1/health/service/mesh-gateway" "" -H "$(H "$RO")"
is "$(jq length <<<"$body")" 1 "node_prefix read: health entries visible"
http GET "$C1/v1/health/service/mesh-gateway" "" -H "$(H "$GW")"
is "$body" "[]" "no node:read (the specification's gateway rules): health entries filtered"
is "$(header X-Consul-Results-Filtered-By-ACLs)" true "… and the response says so"
http GET "$C1/v1/exported-services" "" -H "$(H "$GWN")"
is "$code" 403 "exported-services needs mesh:read"

http GET "$C1/v1/acl/token/self" "" -H "$(H "$RO")"
is "$(jq -r .SecretID <<<"$body")" "$RO" "token/self: SecretID"
is "$(jq -r '.Policies[0].Name' <<<"$body")" peerscope-readonly "token/self: policy"
ok "jq -e 'has(\"AccessorID\") and has(\"CreateIndex\") and has(\"Hash\")' <<<'$body'" "token/self: keys"
http GET "$C1/v1/acl/token/self" "" -H "$(H "$MGMT")"
is "$(jq -r '.Policies[0].ID' <<<"$body")" 00000000-0000-0000-0000-000000000001 "management token: global-management"

authz='[{"Resource":"service","Segment":"mesh-gateway","Access":"write"},{"Resource":"service","Segment":"web","Access":"read"},{"Resource":"service","Segment":"web","Access":"write"},{"Resource":"mesh","Access":"write"},{"Resource":"peering","Access":"read"},{"Resource":"agent","Segment":"consul-server-0","Access":"read"}]'
http POST "$C1/v1/internal/acl/authorize" "$authz" -H "$(H "$GW")"
is "$(jq -c '[.[].Allow]' <<<"$body")" "[true,true,false,true,false,false]" "gateway token: exactly the specification's rules"
http POST "$C1/v1/internal/acl/authorize" "$authz" -H "$(H "$GWN")"
is "$(jq -c '[.[].Allow]' <<<"$body")" "[true,true,false,false,false,false]" "gateway token without mesh:write"
http POST "$C1/v1/internal/acl/authorize" "$authz" -H "$(H "$RO")"
is "$(jq -c '[.[].Allow]' <<<"$body")" "[false,true,false,false,true,true]" "read-only dashboard token"
big=$(jq -c '[range(65)] | map({"Resource":"mesh","Access":"read"})' <<<'null')
http POST "$C1/v1/internal/acl/authorize" "$big" -H "$(H "$MGMT")"
is "$code:$body" "400:Refusing to process more than 64 authorizations at once" "more than 64: 400"
http POST "$C1/v1/internal/acl/authorize" '[{"Resource":"spaceship","Access":"read"}]' -H "$(H "$MGMT")"
is "$code" 400 "unknown resource: 400"

# ACLs off on one cluster: the ACL endpoints answer 401.
sim_ctl install cluster-02 acls_enabled=false >/dev/null
http GET "$C2/v1/acl/token/self"
is "$code:$body" "401:ACL support disabled" "ACLs off: 401 ACL support disabled"
http GET "$C2/v1/peerings"
is "$code" 200 "ACLs off: no token needed"

done_testing
