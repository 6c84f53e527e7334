/*
 * necid_sign_request_at against the shared vectors (every tests/vectors/ JSON file; every binding
 * checks the same files) and a few cases of the official AWS SigV4 test suite.
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json.h"

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long days_from_civil(long y, long m, long d) {
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* "2026-11-28T01:02:03Z" -> seconds since the epoch; -1 if malformed. */
static long long parse_time(const char *s) {
  int y, mo, d, h, mi, se;
  if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &se) != 6) return -1;
  return (long long)days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
}

static const char *find_header(const necid_header_list_t *l, const char *name) {
  for (size_t i = 0; i < l->header_count; i++)
    if (h_streq(l->headers[i].name, name)) return l->headers[i].value;
  return NULL;
}

static necid_client_t *signing_client(const char *akid, const char *secret, const char *token,
                                      const char *region, const char *service,
                                      const char *api_key) {
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.access_key_id = akid;
  cfg.secret_access_key = secret;
  cfg.session_token = token;
  cfg.region = region;
  cfg.service = service;
  cfg.api_key = api_key;
  necid_client_t *c = NULL;
  CHECK_OK(necid_client_new(&cfg, &c));
  return c;
}

static int check_vector(const char *path) {
  int before = h_failures;
  char *text = h_read_text(path);
  REQUIRE(text != NULL);
  j_value *v = j_parse(text);
  free(text);
  CHECK(v != NULL);
  if (!v) return 0;
  const j_value *creds = j_get(v, "credentials");
  const j_value *req = j_get(v, "request");
  const j_value *exp = j_get(v, "expected");
  const j_value *exp_headers = j_get(exp, "headers");
  const j_value *hdrs = j_get(req, "headers");
  const j_value *body = j_get(req, "body");
  long long t = parse_time(j_str(v, "time"));
  CHECK(creds && req && exp && exp_headers && hdrs && body && t >= 0);
  if (!(creds && req && exp && exp_headers && hdrs && body && t >= 0)) {
    j_free(v);
    return 0;
  }
  necid_client_t *c = signing_client(j_str(creds, "access_key_id"), j_str(creds, "secret_access_key"),
                                     j_str(creds, "session_token"), j_str(v, "region"),
                                     j_str(v, "service"), j_str(v, "api_key"));
  necid_header_t *in = (necid_header_t *)calloc(hdrs->count + 1, sizeof *in);
  REQUIRE(in != NULL);
  for (size_t i = 0; i < hdrs->count; i++) {
    const j_value *pair = &hdrs->items[i];
    REQUIRE(pair->type == J_ARRAY && pair->count == 2);
    in[i].name = pair->items[0].string;
    in[i].value = pair->items[1].string;
  }
  necid_header_list_t *out = NULL;
  CHECK_OK(necid_sign_request_at(c, j_str(req, "method"), j_str(req, "url"), in, hdrs->count,
                                 (const uint8_t *)body->string, body->string_len, (int64_t)t,
                                 &out));
  if (out) {
    /* Exactly the expected headers, compared by name. */
    CHECK(out->header_count == exp_headers->count);
    for (size_t i = 0; i < exp_headers->count; i++) {
      const char *got = find_header(out, exp_headers->keys[i]);
      CHECK_STR(got, exp_headers->items[i].string);
    }
    CHECK_STR(find_header(out, "authorization"), j_str(exp, "authorization"));
    CHECK(h_contains(find_header(out, "authorization"), j_str(exp, "signature")));
  }
  necid_header_list_free(out);
  free(in);
  necid_client_free(c);
  j_free(v);
  if (h_failures != before) fprintf(stderr, "     in vector %s\n", path);
  return 1;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_shared_vectors(void) {
  DIR *dir = opendir(NECID_VECTORS_DIR);
  REQUIRE(dir != NULL);
  char *names[256];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL && n < 256) {
    size_t len = strlen(e->d_name);
    if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) names[n++] = strdup(e->d_name);
  }
  closedir(dir);
  qsort(names, n, sizeof names[0], compare_names);
  /* The directory is shared by every binding: an empty one means a broken checkout. */
  CHECK(n >= 1);
  int checked = 0;
  for (size_t i = 0; i < n; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", NECID_VECTORS_DIR, names[i]);
    printf("   vector %s\n", names[i]);
    checked += check_vector(path);
    free(names[i]);
  }
  CHECK((size_t)checked == n);
}

/* Official AWS SigV4 test-suite cases (aws-signing-test-suite/v4), header signing. */
static void test_aws_suite_cases(void) {
  static const struct {
    const char *name, *method, *url, *token, *header_name, *header_value, *authorization;
  } cases[] = {
      {"get-vanilla", "GET", "https://example.amazonaws.com/", NULL, NULL, NULL,
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"post-vanilla", "POST", "https://example.amazonaws.com/", NULL, NULL, NULL,
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"get-vanilla-query-order-key-case", "GET",
       "https://example.amazonaws.com/?Param2=value2&Param1=value1", NULL, NULL, NULL,
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"post-header-key-sort", "POST", "https://example.amazonaws.com/", NULL, "My-Header1",
       "value1",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;my-header1;x-amz-date, "
       "Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"get-vanilla-with-session-token", "GET", "https://example.amazonaws.com/",
       "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267", NULL, NULL,
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date;x-amz-security-token, "
       "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
  };
  const int64_t t = 1440938160; /* 2015-08-30T12:36:00Z */
  CHECK(parse_time("2015-08-30T12:36:00Z") == t);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    necid_client_t *c = signing_client("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       cases[i].token, "us-east-1", "service", NULL);
    necid_header_t h = {cases[i].header_name, cases[i].header_value};
    necid_header_list_t *out = NULL;
    CHECK_OK(necid_sign_request_at(c, cases[i].method, cases[i].url, &h,
                                   cases[i].header_name ? 1 : 0, NULL, 0, t, &out));
    if (out) {
      CHECK_STR(find_header(out, "authorization"), cases[i].authorization);
      CHECK_STR(find_header(out, "x-amz-date"), "20150830T123600Z");
      CHECK_STR(find_header(out, "x-amz-security-token"), cases[i].token);
      CHECK(find_header(out, "x-api-key") == NULL);
    }
    necid_header_list_free(out);
    necid_client_free(c);
  }
}

static void test_sign_now_differs_only_in_time(void) {
  /* necid_sign_request uses the current time: same credential scope shape, a fresh date. */
  necid_client_t *c = signing_client("AKIDEXAMPLE", "secret", NULL, NULL, NULL, "k");
  necid_header_list_t *out = NULL;
  CHECK_OK(necid_sign_request(c, "get", "https://api.id.nec.com.au/v1.1/health", NULL, 0, NULL, 0,
                              &out));
  REQUIRE(out != NULL);
  const char *date = find_header(out, "x-amz-date");
  CHECK(date != NULL && strlen(date) == 16 && date[8] == 'T' && date[15] == 'Z');
  CHECK(h_contains(find_header(out, "authorization"), "/ap-southeast-2/execute-api/aws4_request"));
  CHECK_STR(find_header(out, "x-api-key"), "k");
  necid_header_list_free(out);
  necid_client_free(c);
}

int main(void) {
  RUN(test_shared_vectors);
  RUN(test_aws_suite_cases);
  RUN(test_sign_now_differs_only_in_time);
  return h_finish();
}
