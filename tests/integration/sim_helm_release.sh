#!/usr/bin/env bash
# The simulator's Helm release Secret is as large as a consul-k8s release:
# the whole chart (chart.templates, chart.files) and the manifest it renders
# to, JSON gzipped and base64'd as Helm stores it (helm/helm
# pkg/storage/driver/util.go encodeRelease), under the 1 MiB a Secret may
# hold. Read back with kubectl, base64, gunzip and python3. A changed install
# is a new revision, the old one superseded.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim_kube_lib.sh"
need_kubectl
command -v python3 >/dev/null || skip_all "python3 is not installed"
command -v gunzip >/dev/null || skip_all "gunzip is not installed"
plan 19

start_sim --set cluster-01:datacenter=east-7

# release_data REVISION: data.release of that revision's Secret, as served.
release_data() {
	k cluster-01 -n consul get secret "sh.helm.release.v1.consul.v$1" -o jsonpath='{.data.release}'
}
has_revision() { [ -n "$(release_data "$1")" ]; }
# release REVISION: the release JSON, into $PS_TMP/rel<REVISION>.json.
release() {
	release_data "$1" | base64 -d | base64 -d | gunzip >"$PS_TMP/rel$1.json"
}
# summary REVISION: what the tests read of the release, one "key=value" a line.
summary() {
	python3 - "$PS_TMP/rel$1.json" <<'EOF'
import base64, json, sys
r = json.load(open(sys.argv[1]))
c, m, t = r["chart"], r["manifest"], r["chart"]["templates"]
print("members=" + ",".join(r))
print("chart=" + ",".join(c))
print("templates=%d" % len(t))
print("template_bytes=%d" % sum(len(base64.b64decode(x["data"])) for x in t))
print("crds=%d" % sum(x["name"].startswith("templates/crd-") for x in t))
print("files=" + ",".join(f["name"] for f in c["files"]))
print("lock=%s schema=%s" % (c["lock"], c["schema"]))
print("manifest=%d" % len(m))
print("crd_docs=%d" % m.count("\n# Source: consul/templates/crd-"))
print("datacenter=" + r["config"]["global"]["datacenter"])
print("manifest_datacenter=%d" % m.count("value: " + r["config"]["global"]["datacenter"] + "\n"))
print("replicas=%s" % r["config"]["meshGateway"]["replicas"])
gw = m.split("# Source: consul/templates/mesh-gateway-deployment.yaml\n")[1].split("---\n")[0]
print("gw_replicas=" + gw.split("\n  replicas: ")[1].split("\n")[0])
print("hooks=" + ",".join(h["kind"] + ":" + h["events"][0] for h in r["hooks"]))
print("version=%s status=%s" % (r["version"], r["info"]["status"]))
print("chart_version=" + c["metadata"]["version"])
EOF
}
field() { sed -n "s/^$1=//p" <<<"$2"; }

data=$(release_data 1)
size=${#data}
ok "[ $size -gt 524288 ] && [ $size -lt 1048576 ]" \
	"data.release is between 0.5 and 1 MiB on the wire, as a real release's ($size bytes)"
release 1
s1=$(summary 1)
is "$(field members "$s1")" "name,info,chart,config,manifest,hooks,version,namespace" \
	"base64 of base64 of gzip of the release JSON, its members in Helm's order"
is "$(field chart "$s1")" "metadata,lock,templates,values,schema,files" \
	"chart: metadata, lock, templates, values, schema, files"
ok "[ $(field templates "$s1") -gt 200 ]" "over 200 templates ($(field templates "$s1"))"
ok "[ $(field template_bytes "$s1") -gt 1500000 ]" \
	"some 1.7 MB of templates ($(field template_bytes "$s1") bytes)"
is "$(field crds "$s1"):$(field crd_docs "$s1")" "58:58" "58 CRDs, each rendered into the manifest"
ok "[ $(field manifest "$s1") -gt 1048576 ]" "a manifest over 1 MiB ($(field manifest "$s1") bytes)"
like "$(field files "$s1")" "README.md" "chart.files holds the chart's other files"
is "$(field lock "$s1")" "None schema=None" "no lock, no schema"
is "$(field hooks "$s1")" "Pod:test" "the chart's helm test Pod is the release's hook"
is "$(field datacenter "$s1")" "east-7" "config holds the install's values"
ok "[ $(field manifest_datacenter "$s1") -gt 0 ]" "the manifest is rendered with them"
is "$(field chart_version "$s1")" "$(sim_ctl world | jq -r '.clusters[0].install.consul_k8s_version')" \
	"chart.metadata.version is the consul-k8s version"

sim_ctl install cluster-01 mesh_gateway_replicas=3 >/dev/null
poll 10 'has_revision 2'
release 2
s2=$(summary 2)
is "$(field version "$s2")" "2 status=deployed" "a changed install writes revision 2, deployed"
is "$(field replicas "$s2"):$(field gw_replicas "$s2")" "3:3" \
	"with the new value in config and in the rendered mesh gateway Deployment"
is "$(field replicas "$s1"):$(field gw_replicas "$s1")" "1:1" "… where revision 1 had 1"
is "$(k cluster-01 -n consul get secret sh.helm.release.v1.consul.v1 -o jsonpath='{.metadata.labels.status}')" \
	superseded "revision 1 is superseded"
is "$(k cluster-01 -n consul get secret sh.helm.release.v1.consul.v2 -o jsonpath='{.metadata.labels.status}')" \
	deployed "revision 2 is deployed"
ok "[ $(field templates "$s2") = $(field templates "$s1") ]" "revision 2 carries the same chart"
done_testing
