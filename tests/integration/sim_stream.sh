#!/usr/bin/env bash
# peerscope-sim's peering streams as Consul runs them, at nominal speed with
# the simulated clock moved by hand: heartbeats every 15 s, a silent peer
# given up after the acceptor's 2-minute heartbeat timeout or the dialer's
# 40 s keepalive, the dialer's retries, the stream tracker a restarted
# server starts without, termination that only travels over a live stream,
# and the server addresses the acceptor pushes (doc/api-contract.md §2.5 -
# §2.7). Sources, in consul: agent/grpc-external/services/peerstream/
# server.go (intervals), stream_resources.go (heartbeats, Terminated, the
# unknown-PeerID refusal), stream_tracker.go (what is tracked),
# agent/consul/leader_peering.go (keepalive, retries), and
# agent/rpc/peering/service.go reconcilePeering (what a read shows).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_lib.sh"

sim_start --clusters 3 --speed 1

ms() { date -d "$1" +%s%3N; }
field() { curl -s "$1/v1/peering/$2" | jq -r "$3"; }
state() { field "$1" "$2" .State; }
st_is() { [ "$(state "$1" "$2")" = "$3" ]; }
now_ms() { ms "$(sim_ctl world | jq -r .time)"; }

# Heartbeats: the first 15 s after the stream came up, then every 15 s;
# the first messages (subscriptions, trust bundle) count as received and
# sent at once.
sim_ctl peer cluster-01 cluster-02 >/dev/null
ok "st_is $C1 cluster-02 ACTIVE && st_is $C2 cluster-01 ACTIVE" "a peering made connected: ACTIVE on both sides"
ss=$(field "$C1" cluster-02 .StreamStatus)
is "$(jq -r .LastHeartbeat <<<"$ss")" null "no heartbeat before the first interval"
up=$(ms "$(jq -r .LastReceive <<<"$ss")")
# The exports replicated right after the first messages may move LastSend
# on a few milliseconds (services.c); both come with the stream.
send=$(ms "$(jq -r .LastSend <<<"$ss")")
ok "[ $((send - up)) -ge 0 ] && [ $((send - up)) -lt 2000 ]" \
	"LastReceive and LastSend: the first messages (sent $((send - up)) ms after)"
# LastReceive may also have moved with those exports, a few milliseconds
# after the stream came up, where the heartbeats keep their cadence: the
# first is 15 s after the stream came up (at or up to 2 s before `up`).
sim_ctl advance 16 >/dev/null
hb1=$(ms "$(field "$C1" cluster-02 .StreamStatus.LastHeartbeat)")
ok "[ $((hb1 - up)) -le 15000 ] && [ $((hb1 - up)) -gt 13000 ]" \
	"the first heartbeat 15 s after the stream came up ($((hb1 - up)) ms after its first messages)"
sim_ctl advance 30 >/dev/null
is "$(ms "$(field "$C2" cluster-01 .StreamStatus.LastHeartbeat)")" $((hb1 + 30000)) "… and one every 15 s"

# The dialer's network goes: the acceptor hears nothing more but keeps the
# stream until its heartbeat timer (2 minutes from the last heartbeat)
# runs out.
sim_ctl advance 15 >/dev/null
hb=$(field "$C1" cluster-02 .StreamStatus.LastHeartbeat)
sim_ctl stop cluster-02 hang >/dev/null
sim_ctl advance 100 >/dev/null
is "$(state "$C1" cluster-02)" ACTIVE "a silent dialer: the acceptor stays ACTIVE within the heartbeat timeout"
is "$(field "$C1" cluster-02 .StreamStatus.LastHeartbeat)" "$hb" "… hearing no heartbeat"
sim_ctl advance 25 >/dev/null
is "$(state "$C1" cluster-02)" FAILING "… and FAILING once 2 minutes passed without one"
sim_ctl start cluster-02 >/dev/null
sim_ctl advance 70 >/dev/null
ok "wait_until 5 st_is $C1 cluster-02 ACTIVE" "the network back, the dialer's next retry brings it up"

# The acceptor's network goes: the dialer's keepalive gives up 40 s after
# it last heard anything.
sim_ctl peer cluster-03 cluster-02 >/dev/null
sim_ctl stop cluster-03 hang >/dev/null
sim_ctl advance 35 >/dev/null
is "$(state "$C2" cluster-03)" ACTIVE "a silent acceptor: the dialer stays ACTIVE within its keepalive"
sim_ctl advance 10 >/dev/null
is "$(state "$C2" cluster-03)" FAILING "… and FAILING when the keepalive gives up (40 s)"
# Each retry that fails is tracked as a send: LastSend advances, nothing
# is received.
s1=$(ms "$(field "$C2" cluster-03 .StreamStatus.LastSend)")
sim_ctl advance 70 >/dev/null
s2=$(ms "$(field "$C2" cluster-03 .StreamStatus.LastSend)")
ok "[ $s2 -gt $s1 ]" "LastSend advances with each retry of the dialer ($s1 -> $s2)"
sim_ctl start cluster-03 >/dev/null
sim_ctl advance 70 >/dev/null
ok "wait_until 5 st_is $C2 cluster-03 ACTIVE" "the acceptor's network back: ACTIVE again"

# A restarted server's tracker is empty. The dialer restarted while its
# acceptor is down: once a leader, it dials, fails, and shows its stored
# ESTABLISHING with a tracked stream that never received anything.
sim_ctl stop cluster-01 >/dev/null
is "$(state "$C2" cluster-01)" FAILING "the acceptor's process gone: the dialer FAILING at once"
sim_ctl restart-consul cluster-02 >/dev/null
sim_ctl advance 6 >/dev/null
ss=$(field "$C2" cluster-01 .)
is "$(jq -r .State <<<"$ss")" ESTABLISHING "after its restart the dialer shows its stored state, not FAILING"
is "$(jq -c '.StreamStatus | [.LastHeartbeat, .LastReceive]' <<<"$ss")" '[null,"0001-01-01T00:00:00Z"]' "… a tracked stream with no receipt: LastReceive is Go's zero time"
ok "[ \"$(jq -r .StreamStatus.LastSend <<<"$ss")\" != null ]" "… and LastSend its failed attempt"
# The acceptor restarted (a new process): PENDING with an empty
# StreamStatus until the dialer is back.
sim_ctl start cluster-01 >/dev/null
ss=$(field "$C1" cluster-02 .)
is "$(jq -r .State <<<"$ss")" PENDING "a restarted acceptor shows PENDING until the dialer is back"
is "$(jq -c .StreamStatus <<<"$ss")" '{"ImportedServices":null,"ExportedServices":null,"LastHeartbeat":null,"LastReceive":null,"LastSend":null}' "… with an empty StreamStatus (not tracked)"
sim_ctl advance 70 >/dev/null
ok "wait_until 5 st_is $C1 cluster-02 ACTIVE && st_is $C2 cluster-01 ACTIVE" "… and ACTIVE once it is"

# Termination travels over a live stream: a dialer whose process is gone
# while its acceptor deletes the peering never learns it; back, its stream
# is refused (initial subscription for unknown PeerID) and it stays FAILING
# until deleted.
sim_ctl stop cluster-02 >/dev/null
curl -s -X DELETE "$C1/v1/peering/cluster-02" >/dev/null
sim_ctl advance 5 >/dev/null
is "$(curl -s -o /dev/null -w '%{http_code}' "$C1/v1/peering/cluster-02")" 404 "the acceptor's side is gone"
sim_ctl start cluster-02 >/dev/null
sim_ctl advance 2 >/dev/null
ok "wait_until 5 st_is $C2 cluster-01 FAILING" "the dialer, back, is refused: FAILING, not TERMINATED"
r1=$(ms "$(field "$C2" cluster-01 .StreamStatus.LastReceive)")
sim_ctl advance 300 >/dev/null
is "$(state "$C2" cluster-01)" FAILING "… and stays FAILING"
r2=$(ms "$(field "$C2" cluster-01 .StreamStatus.LastReceive)")
ok "[ $r2 -gt $r1 ]" "… each retry receiving the refusal ($r1 -> $r2)"
curl -s -X DELETE "$C2/v1/peering/cluster-01" >/dev/null
is "$(state "$C2" cluster-01)" DELETING "until deleted there"

# Server addresses: the dialer stores the token's ServerAddresses (its
# manual addresses are dialed first and never served); once connected the
# acceptor pushes its servers', or its mesh gateways' with
# PeerThroughMeshGateways (peerstream/subscription_manager.go server
# addresses; stream_resources.go handleUpsertServerAddrs).
gwaddr=$(curl -s "$C1/v1/health/service/mesh-gateway" | jq -r '.[0].Service.TaggedAddresses.wan | "\(.Address):\(.Port)"')
tok=$(curl -s -X POST "$C1/v1/peering/token" -d "{\"PeerName\":\"addr\",\"ServerExternalAddresses\":[\"$gwaddr\"]}" | jq -r .PeeringToken)
curl -s -X POST "$C2/v1/peering/establish" -d "{\"PeerName\":\"addr\",\"PeeringToken\":\"$tok\"}" >/dev/null
sim_ctl advance 2 >/dev/null
ok "wait_until 5 st_is $C2 addr ACTIVE" "established through the manual (gateway) address"
p=$(field "$C2" addr .)
is "$(jq -c '[.PeerServerAddresses, has("ManualServerAddresses")]' <<<"$p")" '[["10.100.0.10:8502"],false]' "the dialer shows the servers' addresses, not the manual ones"
m1=$(jq .ModifyIndex <<<"$p")
curl -s -X PUT "$C1/v1/config" -d '{"Kind":"mesh","Peering":{"PeerThroughMeshGateways":true}}' >/dev/null
p=$(field "$C2" addr .)
is "$(jq -c .PeerServerAddresses <<<"$p")" "[\"$gwaddr\"]" "PeerThroughMeshGateways on the acceptor: it pushes its gateways' addresses"
ok "[ $(jq .ModifyIndex <<<"$p") -gt $m1 ]" "… a write on the dialer"
curl -s -X DELETE "$C1/v1/config/mesh/mesh" >/dev/null
is "$(field "$C2" addr .PeerServerAddresses | jq -c .)" '["10.100.0.10:8502"]' "… and its servers' again without"
is "$(state "$C2" addr)" ACTIVE "the stream stays up through the address changes"

done_testing
