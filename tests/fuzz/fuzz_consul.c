/* Fuzz target for the Consul decoders and the peering-token decoder. The first
 * byte picks the decoder; the rest is the body.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined by `make fuzz-consul`;
 * built with -DFUZZ_REPLAY it runs each file named on its command line
 * through every decoder instead (a crash reproducer without libFuzzer). The
 * harness is fuzz_main.c. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "peerscope/consul.h"

#define NDECODERS 19

const char fuzz_name[] = "fuzz_consul";
const unsigned fuzz_picks = NDECODERS;

void fuzz_decode(unsigned pick, const char *t, size_t n)
{
	char err[256];

	switch (pick % NDECODERS) {
	case 0: {
		/* The stream times read alone: of a body the decoder takes, its
		 * own list with its own times is that list again. */
		struct model_peering_list o, again;
		struct consul_peerings_times times = {0};
		int rc = consul_decode_peerings(t, n, &o, err, sizeof err);
		if (consul_peerings_times_read(t, n, &times) == 0 && rc == 0 && times.usable &&
		    consul_peerings_with_times(&o, &times, &again) == 0) {
			if (!model_peering_list_same_but_times(&o, &again))
				abort();
			for (size_t i = 0; i < o.n; i++)
				if (o.v[i].stream.last_heartbeat_ns !=
				            again.v[i].stream.last_heartbeat_ns ||
				    o.v[i].stream.last_receive_ns !=
				            again.v[i].stream.last_receive_ns ||
				    o.v[i].stream.last_send_ns != again.v[i].stream.last_send_ns)
					abort();
			free(again.v); /* its strings are o's */
		}
		consul_peerings_times_free(&times);
		model_peering_list_free(&o);
		break;
	}
	case 1: {
		struct model_peering o;
		consul_decode_peering(t, n, &o, err, sizeof err);
		model_peering_clear(&o);
		break;
	}
	case 2: {
		struct model_cluster_identity o;
		consul_decode_agent_self(t, n, &o, err, sizeof err);
		model_cluster_identity_clear(&o);
		break;
	}
	case 3: {
		struct model_cluster_identity o = {0};
		consul_decode_agent_version(t, n, &o, err, sizeof err);
		model_cluster_identity_clear(&o);
		break;
	}
	case 4: {
		char *o = NULL;
		consul_decode_leader(t, n, &o, err, sizeof err);
		free(o);
		break;
	}
	case 5: {
		struct model_exported_services_entry o;
		consul_decode_exported_services_entry(t, n, &o, err, sizeof err);
		model_exported_services_entry_clear(&o);
		break;
	}
	case 6: {
		struct model_mesh_entry o;
		consul_decode_mesh_entry(t, n, &o, err, sizeof err);
		model_mesh_entry_clear(&o);
		break;
	}
	case 7: {
		struct model_proxy_defaults_entry o;
		consul_decode_proxy_defaults_entry(t, n, &o, err, sizeof err);
		model_proxy_defaults_entry_clear(&o);
		break;
	}
	case 8: {
		struct model_service_defaults_entry o;
		consul_decode_service_defaults_entry(t, n, &o, err, sizeof err);
		model_service_defaults_entry_clear(&o);
		break;
	}
	case 9: {
		struct model_service_defaults_entry *v = NULL;
		size_t k = 0;
		consul_decode_service_defaults_list(t, n, &v, &k, err, sizeof err);
		consul_service_defaults_list_free(v, k);
		break;
	}
	case 10: {
		struct model_instance_list o;
		consul_decode_health_service(t, n, &o, err, sizeof err);
		model_instance_list_free(&o);
		break;
	}
	case 11: {
		struct model_service_summary_list o;
		consul_decode_ui_services(t, n, &o, err, sizeof err);
		model_service_summary_list_free(&o);
		break;
	}
	case 12: {
		struct model_exported_service_list o;
		consul_decode_ui_exported_services(t, n, "peer", &o, err, sizeof err);
		model_exported_service_list_free(&o);
		break;
	}
	case 13: {
		struct model_exported_service_list o;
		consul_decode_exported_services(t, n, &o, err, sizeof err);
		model_exported_service_list_free(&o);
		break;
	}
	case 14: {
		struct model_imported_service_list o;
		consul_decode_imported_services(t, n, &o, err, sizeof err);
		model_imported_service_list_free(&o);
		break;
	}
	case 15: {
		struct model_acl_token o;
		consul_decode_acl_token(t, n, &o, err, sizeof err);
		model_acl_token_clear(&o);
		break;
	}
	case 16: {
		char r[] = "peering", s[] = "", a[] = "read";
		struct model_acl_check c[2] = {{r, s, a, false}, {r, s, a, false}};
		consul_decode_authorize(t, n, c, 2, err, sizeof err);
		break;
	}
	case 17: {
		struct model_meta servers = {0};
		consul_decode_members(t, n, &servers, err, sizeof err);
		model_meta_clear(&servers);
		break;
	}
	default: {
		struct model_token_summary o;
		char *s = malloc(n + 1);
		if (!s)
			break;
		memcpy(s, t, n);
		s[n] = '\0';
		consul_decode_peering_token(s, &o, err, sizeof err);
		model_token_summary_clear(&o);
		free(s);
		break;
	}
	}
}
