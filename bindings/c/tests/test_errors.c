/*
 * Every status code, with the last-error accessors (message, HTTP status, errorCode,
 * errorType, request id, field). Service errors come from the emulator; the kinds it
 * never produces (429, 5xx, Timeout 1003, unreadable bodies, silence, refused
 * connections) come from a fault-injecting server (harness.c) — a mock on purpose.
 */
#define _XOPEN_SOURCE 700

#include <stdlib.h>
#include <string.h>

#include "harness.h"

static h_emulator emu;
static necid_client_t *client;

static void check_no_code(void) {
  int64_t code = -12345;
  CHECK(!necid_last_error_code(&code));
  CHECK(code == -12345);
}

static void check_code(int64_t expected, const char *type) {
  int64_t code = 0;
  CHECK(necid_last_error_code(&code));
  CHECK(code == expected);
  CHECK_STR(necid_last_error_type(), type);
  CHECK(necid_last_error_request_id() != NULL);
}

static void test_status_names(void) {
  static const struct {
    necid_status_t s;
    const char *name;
  } names[] = {
      {NECID_OK, "OK"},
      {NECID_ERR_INVALID_INPUT, "InvalidInput"},
      {NECID_ERR_AUTH, "Auth"},
      {NECID_ERR_NOT_FOUND, "NotFound"},
      {NECID_ERR_INVALID_REQUEST, "InvalidRequest"},
      {NECID_ERR_DUPLICATE, "Duplicate"},
      {NECID_ERR_TIMEOUT, "Timeout"},
      {NECID_ERR_NO_FACE, "NoFace"},
      {NECID_ERR_POOR_QUALITY, "PoorQuality"},
      {NECID_ERR_MULTIPLE_FACES, "MultipleFaces"},
      {NECID_ERR_THROTTLED, "Throttled"},
      {NECID_ERR_SERVER, "Server"},
      {NECID_ERR_NETWORK, "Network"},
      {NECID_ERR_TIMED_OUT, "TimedOut"},
      {NECID_ERR_DECODE, "Decode"},
      {NECID_ERR_INTERNAL, "Internal"},
      {NECID_ERR_CANCELLED, "Cancelled"},
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    CHECK((int)names[i].s == (int)i); /* dense, stable numbering */
    CHECK_STR(necid_status_name((int32_t)names[i].s), names[i].name);
  }
  CHECK_STR(necid_status_name(17), "Unknown");
  CHECK_STR(necid_status_name(-1), "Unknown");
}

static void test_invalid_input(void) {
  h_image obama = h_face("obama.jpg");
  necid_search_result_t *r = (necid_search_result_t *)&r; /* non-NULL: must be reset */
  CHECK_STATUS(necid_search(client, obama.data, obama.len, 10000, -1, NULL, 0, &r),
               NECID_ERR_INVALID_INPUT);
  CHECK(r == NULL);
  CHECK_STR(necid_last_error_field(), "threshold");
  CHECK(necid_last_error_http_status() == 0);
  CHECK(necid_last_error_request_id() == NULL);
  CHECK(necid_last_error_type() == NULL);
  check_no_code();
  CHECK(necid_last_error_status() == NECID_ERR_INVALID_INPUT);
  CHECK(h_contains(necid_last_error_message(), "threshold"));

  /* Not an image: refused before sending. */
  necid_registered_face_t *f = NULL;
  CHECK_STATUS(necid_register_subject(client, (const uint8_t *)"definitely not an image", 23,
                                      NULL, 0, &f),
               NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "face");
  h_image_free(&obama);

  /* A success clears the last error. */
  necid_health_t *h = NULL;
  CHECK_OK(necid_health(client, &h));
  necid_health_free(h);
  CHECK(necid_last_error_message() == NULL);
  CHECK(necid_last_error_status() == NECID_OK);
  CHECK(necid_last_error_field() == NULL);
  CHECK(necid_last_error_http_status() == 0);
}

static void test_auth(void) {
  necid_client_t *bad = h_client(&emu, "not-a-real-api-key");
  necid_tag_list_t *tags = NULL;
  CHECK_STATUS(necid_list_tags(bad, &tags), NECID_ERR_AUTH);
  CHECK(tags == NULL);
  CHECK(necid_last_error_http_status() == 403);
  CHECK(necid_last_error_message() != NULL);
  CHECK(!h_contains(necid_last_error_message(), "not-a-real-api-key"));
  necid_client_free(bad);

  /* A wrong secret key: the signature is refused; the secret never shows. */
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.endpoint = emu.endpoint;
  cfg.region = emu.region;
  cfg.access_key_id = emu.access_key_id;
  cfg.secret_access_key = "wrong-secret-key-value";
  cfg.api_key = emu.api_key;
  necid_client_t *c = NULL;
  CHECK_OK(necid_client_new(&cfg, &c));
  REQUIRE(c != NULL);
  CHECK_STATUS(necid_list_tags(c, &tags), NECID_ERR_AUTH);
  CHECK(necid_last_error_http_status() == 403);
  CHECK(!h_contains(necid_last_error_message(), "wrong-secret-key-value"));
  CHECK(!h_contains(necid_last_error_message(), emu.api_key));
  CHECK(necid_last_error_request_id() != NULL);
  necid_client_free(c);
}

static void test_not_found(void) {
  necid_event_list_t *ev = NULL;
  CHECK_STATUS(necid_list_events(client, "no-such-subject", &ev), NECID_ERR_NOT_FOUND);
  CHECK(ev == NULL);
  CHECK(necid_last_error_http_status() == 404);
  CHECK(necid_last_error_request_id() != NULL);
  CHECK(necid_last_error_field() == NULL);
  CHECK_STATUS(necid_delete_tag(client, "no-such-tag"), NECID_ERR_NOT_FOUND);
}

static void test_invalid_request(void) {
  h_image biden = h_face("biden.jpg");
  const char *tags[] = {"no-such-tag"};
  necid_registered_face_t *f = NULL;
  CHECK_STATUS(necid_register_subject(client, biden.data, biden.len, tags, 1, &f),
               NECID_ERR_INVALID_REQUEST);
  CHECK(f == NULL);
  CHECK(necid_last_error_http_status() == 400);
  check_code(1001, "InvalidRequest");
  h_image_free(&biden);

  /* A JPEG header over garbage: the service cannot decode it. */
  h_image corrupt = h_data("corrupt.jpg");
  CHECK_STATUS(necid_register_subject(client, corrupt.data, corrupt.len, NULL, 0, &f),
               NECID_ERR_INVALID_REQUEST);
  check_code(1001, "InvalidRequest");
  h_image_free(&corrupt);
}

static void test_duplicate(void) {
  CHECK_OK(necid_create_tag(client, "dup"));
  CHECK_STATUS(necid_create_tag(client, "dup"), NECID_ERR_DUPLICATE);
  CHECK(necid_last_error_http_status() == 400);
  check_code(1002, "Duplicate");
}

static void test_face_errors(void) {
  necid_registered_face_t *f = NULL;
  h_image blank = h_data("blank.png");
  CHECK_STATUS(necid_register_subject(client, blank.data, blank.len, NULL, 0, &f),
               NECID_ERR_NO_FACE);
  CHECK(f == NULL);
  check_code(2001, "NoFace");
  necid_search_result_t *r = NULL;
  CHECK_STATUS(necid_search(client, blank.data, blank.len, -1, -1, NULL, 0, &r),
               NECID_ERR_NO_FACE);
  h_image_free(&blank);

  h_image strip = h_data("strip.png");
  CHECK_STATUS(necid_register_subject(client, strip.data, strip.len, NULL, 0, &f),
               NECID_ERR_MULTIPLE_FACES);
  check_code(2003, "MultipleFaces");
  h_image_free(&strip);

  /* PoorQuality: a gallery that demands quality 0.9, and a tiny face. */
  necid_new_gallery_t g;
  memset(&g, 0, sizeof g);
  g.name = "strict";
  g.has_face_minimum_quality_score = true;
  g.face_minimum_quality_score = 0.9;
  necid_gallery_t *gallery = NULL;
  CHECK_OK(necid_create_gallery(client, &g, &gallery));
  REQUIRE(gallery != NULL && gallery->api_key != NULL);
  necid_client_t *strict = h_client(&emu, gallery->api_key);
  h_image small = h_data("small.png");
  CHECK_STATUS(necid_register_subject(strict, small.data, small.len, NULL, 0, &f),
               NECID_ERR_POOR_QUALITY);
  check_code(2002, "PoorQuality");
  h_image_free(&small);
  necid_client_free(strict);
  necid_gallery_free(gallery);
}

/* Builds a raw HTTP/1.1 response with a correct Content-Length. */
static char *response(const char *status_line, const char *extra_headers, const char *body) {
  size_t n = strlen(status_line) + strlen(extra_headers) + strlen(body) + 256;
  char *buf = (char *)malloc(n);
  if (!buf) h_abort();
  snprintf(buf, n,
           "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n%s",
           status_line, strlen(body), extra_headers, body);
  return buf;
}

static necid_client_t *fault_client(const char *endpoint, uint32_t max_attempts,
                                    uint32_t request_timeout_ms) {
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.endpoint = endpoint;
  cfg.access_key_id = "AKIDFAULT";
  cfg.secret_access_key = "fault-secret";
  cfg.api_key = "fault-api-key";
  cfg.max_attempts = max_attempts;
  cfg.retry_base_delay_ms = 1;
  cfg.retry_max_delay_ms = 5;
  cfg.request_timeout_ms = request_timeout_ms;
  necid_client_t *c = NULL;
  if (necid_client_new(&cfg, &c) != NECID_OK) h_abort();
  return c;
}

/* One call against a fault server answering `raw`; returns the status. */
static necid_status_t against_fault(const char *raw, uint32_t max_attempts, int *requests) {
  h_fault_server *s = h_fault_start(raw);
  necid_client_t *c = fault_client(h_fault_endpoint(s), max_attempts, 0);
  necid_health_t *h = NULL;
  necid_status_t st = necid_health(c, &h);
  CHECK(h == NULL);
  necid_health_free(h);
  necid_client_free(c);
  if (requests) *requests = h_fault_requests(s);
  h_fault_stop(s);
  return st;
}

static void test_throttled(void) {
  char *raw = response("429 Too Many Requests", "x-amzn-requestid: fault-429\r\nRetry-After: 0\r\n",
                       "{\"message\":\"Too Many Requests\"}");
  int requests = 0;
  CHECK_STATUS(against_fault(raw, 1, &requests), NECID_ERR_THROTTLED);
  CHECK(requests == 1);
  CHECK(necid_last_error_http_status() == 429);
  CHECK_STR(necid_last_error_request_id(), "fault-429");
  CHECK(h_contains(necid_last_error_message(), "Too Many Requests"));
  /* With retries configured, a 429 is retried (max_attempts in total). */
  CHECK_STATUS(against_fault(raw, 3, &requests), NECID_ERR_THROTTLED);
  CHECK(requests == 3);
  free(raw);
}

static void test_server(void) {
  char *raw = response("503 Service Unavailable", "x-amzn-requestid: fault-503\r\n",
                       "{\"message\":\"down for maintenance\"}");
  int requests = 0;
  CHECK_STATUS(against_fault(raw, 1, &requests), NECID_ERR_SERVER);
  CHECK(requests == 1);
  CHECK(necid_last_error_http_status() == 503);
  CHECK_STR(necid_last_error_request_id(), "fault-503");
  free(raw);
}

static void test_service_timeout(void) {
  char *raw = response("400 Bad Request", "x-amzn-requestid: fault-1003\r\n",
                       "{\"message\":\"The request timed out.\",\"errorCode\":1003,"
                       "\"errorType\":\"Timeout\"}");
  CHECK_STATUS(against_fault(raw, 1, NULL), NECID_ERR_TIMEOUT);
  check_code(1003, "Timeout");
  CHECK(necid_last_error_http_status() == 400);
  CHECK(h_contains(necid_last_error_message(), "timed out"));
  free(raw);
}

static void test_decode(void) {
  char *raw = response("200 OK", "", "this is not json");
  CHECK_STATUS(against_fault(raw, 1, NULL), NECID_ERR_DECODE);
  CHECK(necid_last_error_http_status() == 200);
  free(raw);
}

static void test_network(void) {
  char endpoint[64];
  h_closed_endpoint(endpoint, sizeof endpoint);
  necid_client_t *c = fault_client(endpoint, 1, 0);
  necid_health_t *h = NULL;
  CHECK_STATUS(necid_health(c, &h), NECID_ERR_NETWORK);
  CHECK(h == NULL);
  CHECK(necid_last_error_http_status() == 0);
  CHECK(necid_last_error_message() != NULL);
  CHECK(!h_contains(necid_last_error_message(), "fault-secret"));
  necid_client_free(c);
}

static void count_progress(const necid_bulk_progress_t *p, void *user_data) {
  CHECK(p != NULL && !p->done && p->record_count == 1);
  (*(int *)user_data)++;
}

static void test_timed_out(void) {
  /* The server accepts and never answers; the client's 300 ms request timeout fires. */
  h_fault_server *s = h_fault_start(NULL);
  necid_client_t *c = fault_client(h_fault_endpoint(s), 1, 300);
  necid_health_t *h = NULL;
  CHECK_STATUS(necid_health(c, &h), NECID_ERR_TIMED_OUT);
  CHECK(h == NULL);
  CHECK(necid_last_error_http_status() == 0);
  necid_client_free(c);
  h_fault_stop(s);

  /* wait_for_bulk_register's own deadline is TimedOut too: a batch whose record never
     leaves "New" (served by the fault server) is polled until the 200 ms deadline. */
  char *raw = response("200 OK", "",
                       "{\"batchId\":\"b1\",\"processed\":[{\"id\":\"op1\","
                       "\"filename\":\"a.jpg\",\"status\":\"New\"}],\"lastEvaluatedKey\":\"\"}");
  s = h_fault_start(raw);
  c = fault_client(h_fault_endpoint(s), 1, 0);
  necid_wait_options_t opts = {10, 20, 200};
  necid_bulk_progress_t *p = NULL;
  int calls = 0;
  CHECK_STATUS(necid_wait_for_bulk_register(c, "b1", &opts, count_progress, &calls, &p),
               NECID_ERR_TIMED_OUT);
  CHECK(p == NULL);
  CHECK(calls >= 1);
  CHECK(h_contains(necid_last_error_message(), "not finished"));
  necid_client_free(c);
  h_fault_stop(s);
  free(raw);

  /* An unknown batch is NotFound straight away. */
  CHECK_STATUS(necid_wait_for_bulk_register(client, "no-such-batch", &opts, NULL, NULL, &p),
               NECID_ERR_NOT_FOUND);
  CHECK(p == NULL);
}

static void test_internal_is_reserved(void) {
  /* NECID_ERR_INTERNAL is only returned for a caught panic (tested in the crate's Rust
     unit tests, since no input reaches one); here: its number and name are stable. */
  CHECK((int)NECID_ERR_INTERNAL == 15);
  CHECK_STR(necid_status_name(NECID_ERR_INTERNAL), "Internal");
}

int main(void) {
  h_emulator_start(&emu);
  client = h_client(&emu, NULL);
  RUN(test_status_names);
  RUN(test_invalid_input);
  RUN(test_auth);
  RUN(test_not_found);
  RUN(test_invalid_request);
  RUN(test_duplicate);
  RUN(test_face_errors);
  RUN(test_throttled);
  RUN(test_server);
  RUN(test_service_timeout);
  RUN(test_decode);
  RUN(test_network);
  RUN(test_timed_out);
  RUN(test_internal_is_reserved);
  necid_client_free(client);
  h_emulator_stop(&emu);
  return h_finish();
}
