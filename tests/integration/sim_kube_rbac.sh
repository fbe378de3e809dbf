#!/usr/bin/env bash
# The simulator's API servers as kubectl meets a real one: HTTPS with the
# simulator's CA without --tls, and RBAC — a cluster given a restricted user
# (--set kube_user=PRESET, the control API) answers kubectl auth can-i from
# its rules and refuses the rest with the API server's 403 text
# (kubernetes: staging/src/k8s.io/apiserver/pkg/endpoints/handlers/
# responsewriters/errors.go, plugin/pkg/auth/authorizer/rbac/rbac.go).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
need_kubectl
plan 20

run "$(ps_bin peerscope-sim)" --set cluster-02:kube_user=nobody
is "$rc:$(grep -c 'kube_user: "nobody" is not one of cluster-admin, read-only' <<<"$err")" "2:1" \
	"--set kube_user names the presets when it does not know one"

start_sim --set cluster-02:kube_user=read-only
ok "[ -s '$SIM_DIR/kubeconfig' ]" "peerscope-sim starts without --tls"
ctl=$(sed -n 's/^control=//p' "$SIM_DIR/ready")

run k cluster-01 get namespaces -o name
like "$out" "namespace/consul" "kubectl works with the written kubeconfig as it is (HTTPS, bearer token)"
run k cluster-01 auth can-i create secrets -n consul
is "$out" yes "the admin may create Secrets"

run k cluster-02 auth can-i list secrets -n consul
is "$out" yes "read-only: may list Secrets (SelfSubjectAccessReview)"
run k cluster-02 auth can-i create secrets -n consul
is "$rc:$out" "1:no" "read-only: may not create them"
run k cluster-02 create secret generic x -n default --from-literal=a=b
like "$err" 'secrets is forbidden: User "peerscope" cannot create resource "secrets" in API group "" in the namespace "default"$' \
	"a create is refused with the API server's 403 text"
run k cluster-02 delete peeringacceptor nosuch -n default
like "$err" 'peeringacceptors.consul.hashicorp.com "nosuch" is forbidden: User "peerscope" cannot delete resource "peeringacceptors" in API group "consul.hashicorp.com" in the namespace "default"' \
	"a named object's 403 names it (and comes before its 404)"
run k cluster-02 auth can-i --list -n consul
like "$out" '\*\.\* +\[\] +\[\] +\[get list watch\]' "auth can-i --list shows the role's rules (SelfSubjectRulesReview)"
like "$out" 'selfsubjectaccessreviews.authorization.k8s.io +\[\] +\[\] +\[create\]' \
	"… and what every authenticated user may do"
run k cluster-02-admin create secret generic x -n default --from-literal=a=b
is "$out" "secret/x created" "the admin keeps a context of its own, <cluster>-admin"

proxy=/api/v1/namespaces/consul/services/https:consul-server:8501/proxy/v1/status/leader
run k cluster-02 get --raw "$proxy"
like "$out" '^"[0-9.]+:8300"$' "read-only reaches Consul through services/proxy"
run curl -sS -X POST -d '{"preset":"no-service-proxy"}' "$ctl/v1/clusters/cluster-02/kube-user"
is "$(jq -r '.users[1].role' <<<"$out")" no-service-proxy "the control API changes the user's role"
ok "! grep -q token <<<'$out'" "… and never shows a token"
run k cluster-02 get --raw "$proxy"
like "$err" 'services "https:consul-server:8501" is forbidden: User "peerscope" cannot get resource "services/proxy" in API group "" in the namespace "consul"' \
	"without services/proxy the proxy path is a 403"
run k cluster-02 auth can-i create secrets -n consul
is "$out" yes "no-service-proxy may create Secrets"

# A user for a cluster that had none: the kubeconfig is written again.
run "$(ps_bin peerscope-sim)" ctl --control "$ctl" kube-user cluster-01 \
	'{"namespaces":{"consul":[{"verbs":["get","list","watch"],"apiGroups":["consul.hashicorp.com"],"resources":["peeringacceptors"]}]}}'
is "$rc" 0 "ctl kube-user gives cluster-01 a user with rules in one namespace"
run k cluster-01 auth can-i list peeringacceptors.consul.hashicorp.com -n consul
is "$out" yes "cluster-01's context now uses it: a RoleBinding in consul"
run k cluster-01 auth can-i list peeringacceptors.consul.hashicorp.com -n default
is "$out" no "… and nothing in another namespace"
run "$(ps_bin peerscope-sim)" ctl --control "$ctl" kube-user cluster-01 superuser
like "$rc:$err" '^1:.*preset: \\"superuser\\" is not one of' "an unknown preset is refused"
done_testing
