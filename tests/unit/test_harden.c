/* Hardening of what leaves the program: the audit log's message and the
 * operations' step notes quote servers, and are safe to show (term.h). */
#include "autoconfig.h"

#include "unit.h"

#include "peerscope/audit.h"
#include "peerscope/redact.h"
#include "peerscope/term.h"

#include "../../src/ops/ops_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOSTILE                                                                                    \
	"denied\x1b]0;pwn\x07\xc2\x9b"                                                             \
	"2J\xe2\x80\xae\xff"

START_TEST(audit_message_is_safe)
{
	char dir[] = "/tmp/peerscope-audit-XXXXXX", path[128], err[256], line[2048];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/audit.log", dir);
	struct audit *a = audit_open(path, err, sizeof err);
	ck_assert_msg(a != NULL, "%s", err);
	struct audit_record r = {.op_id = "op",
	                         .operation = "peer",
	                         .cluster = "c\xff",
	                         .verb = "create",
	                         .kind = "Secret",
	                         .name = "s",
	                         .status = 403,
	                         .message = HOSTILE " tok-secret-1234",
	                         .secret = "tok-secret-1234"};
	ck_assert_int_eq(audit_write(a, &r), 0);
	audit_close(a);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	ck_assert_msg(term_is_safe(line, 0), "audit line: %s", line);
	ck_assert_msg(!strstr(line, "tok-secret-1234"), "%s", line);
	cJSON *j = cJSON_Parse(line);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "message")->valuestring,
	                 "denied\\x1b]0;pwn\\x07\\u009b2J\\u202e\xef\xbf\xbd [REDACTED]");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "cluster")->valuestring, "c\xef\xbf\xbd");
	cJSON_Delete(j);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(step_notes_are_safe)
{
	struct ops_step s;

	memset(&s, 0, sizeof s);
	ops_note(&s, "the server said: %s", HOSTILE);
	ck_assert_msg(term_is_safe(s.note, 0), "%s", s.note);
	ck_assert_str_eq(s.note,
	                 "the server said: denied\\x1b]0;pwn\\x07\\u009b2J\\u202e\xef\xbf\xbd");
}
END_TEST

static const char *red(const char *url)
{
	static char out[512];

	redact_url(url, out, sizeof out);
	return out;
}

START_TEST(one_redaction_rule)
{
	ck_assert_str_eq(red("https://user:pw@h:8501/v1?token=abc&dc=dc1"),
	                 "https://h:8501/v1?token=REDACTED&dc=dc1");
	/* Without a scheme, with an '@' in the password, in upper case. */
	ck_assert_str_eq(red("ops:p@ss@10.0.0.5:8500"), "10.0.0.5:8500");
	ck_assert_str_eq(red("HTTPS://a:b@H/x"), "HTTPS://H/x");
	/* Percent-encoded names, ';' separators, the fragment. */
	ck_assert_str_eq(red("http://h/?%74oken=x;Password=y&ok=1#access_token=z&state=s"),
	                 "http://h/?%74oken=REDACTED;Password=REDACTED&ok=1"
	                 "#access_token=REDACTED&state=s");
	ck_assert_str_eq(red("http://h/?x-consul-token=1&api_key=2&sig=3&key=4&keys=5"),
	                 "http://h/?x-consul-token=REDACTED&api_key=REDACTED&sig=REDACTED"
	                 "&key=REDACTED&keys=5");
	/* Nothing to hide, and idempotent. */
	ck_assert_str_eq(red("http://h:8500/v1/peerings?index=5&wait=10s"),
	                 "http://h:8500/v1/peerings?index=5&wait=10s");
	char once[512];
	snprintf(once, sizeof once, "%s", red("https://u:p@h/?token=t"));
	ck_assert_str_eq(red(once), "https://h/?token=REDACTED");
	ck_assert_str_eq(red(""), "");
	ck_assert(redact_param_is_secret("Refresh_Token", 13));
	ck_assert(!redact_param_is_secret("tokens", 6));
}
END_TEST

START_TEST(echoed_secrets)
{
	char buf[64] = "token abcd and abcd again";

	redact_secret(buf, sizeof buf, "abcd");
	ck_assert_str_eq(buf, "token [REDACTED] and [REDACTED] again");
	/* A secret that is part of the mark does not loop. */
	char b2[64] = "REDACTED";
	redact_secret(b2, sizeof b2, "REDACTED");
	ck_assert_str_eq(b2, "[REDACTED]");
	char *d = redact_secret_dup("xyzw-xyzw", "xyzw");
	ck_assert_str_eq(d, "[REDACTED]-[REDACTED]");
	free(d);
	d = redact_secret_dup("short", "sho");
	ck_assert_str_eq(d, "short");
	free(d);
}
END_TEST

static Suite *harden_suite(void)
{
	Suite *s = suite_create("harden");
	TCase *tc = tcase_create("output");

	tcase_add_test(tc, audit_message_is_safe);
	tcase_add_test(tc, step_notes_are_safe);
	suite_add_tcase(s, tc);
	tc = tcase_create("redact");
	tcase_add_test(tc, one_redaction_rule);
	tcase_add_test(tc, echoed_secrets);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(harden_suite)
