/*
 * Per-call options on a client view (necid_client_with_options), the cancel handle and
 * the response metadata, against the emulator (fault rules give the 503s and the
 * latency). Under valgrind too: a cancelled call frees everything it held.
 */
#define _XOPEN_SOURCE 700

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static necid_emulator_t *emu;
static necid_client_t *client;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static necid_call_options_t options(void) {
  necid_call_options_t o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  return o;
}

static necid_client_t *view_with(const necid_call_options_t *o) {
  necid_client_t *v = NULL;
  CHECK_OK(necid_client_with_options(client, o, &v));
  CHECK(v != NULL);
  return v;
}

/* PUT /_admin/v1/faults over a plain socket (HTTP/1.0: the answer ends at close). */
static void set_faults(const char *rules_json) {
  const char *admin = necid_emulator_admin_endpoint(emu); /* http://127.0.0.1:PORT/... */
  const char *colon = strrchr(strstr(admin, "//") + 2, ':');
  CHECK(colon != NULL);
  int port = atoi(colon + 1);
  const char *path = strchr(colon, '/');
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0);
  char req[4096];
  int n = snprintf(req, sizeof req,
                   "PUT %s/faults HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                   path, necid_emulator_admin_token(emu), strlen(rules_json), rules_json);
  CHECK(write(fd, req, (size_t)n) == n);
  char resp[4096];
  size_t got = 0;
  ssize_t r;
  while ((r = read(fd, resp + got, sizeof resp - 1 - got)) > 0) got += (size_t)r;
  resp[got] = '\0';
  close(fd);
  CHECK(strncmp(resp, "HTTP/1.1 2", 10) == 0 || strncmp(resp, "HTTP/1.0 2", 10) == 0);
}

static void test_metadata(void) {
  set_faults("{\"rules\":[{\"method\":\"GET\",\"path\":\"/v1.1/tags\",\"fault\":\"error\","
             "\"status\":503,\"count\":1}]}");
  necid_call_options_t o = options();
  o.max_attempts = 3;
  necid_client_t *v = view_with(&o);
  necid_response_metadata_t *m = (necid_response_metadata_t *)&m; /* must be reset */
  CHECK_STATUS(necid_client_last_metadata(v, &m), NECID_ERR_INVALID_INPUT);
  CHECK(m == NULL);
  necid_tag_list_t *tags = NULL;
  CHECK_OK(necid_list_tags(v, &tags));
  necid_tag_list_free(tags);
  CHECK_OK(necid_client_last_metadata(v, &m));
  CHECK(m->http_status == 200);
  CHECK(m->attempts == 2);
  CHECK(m->clock_skew_ms == 0);
  CHECK(m->request_id != NULL && strlen(m->request_id) == 36);
  necid_response_metadata_free(m);
  /* A unit result has metadata in C too. */
  CHECK_OK(necid_create_tag(v, "c-meta"));
  CHECK_OK(necid_client_last_metadata(v, &m));
  CHECK(m->http_status == 200 && m->attempts == 1);
  necid_response_metadata_free(m);
  necid_client_free(v);
  /* A plain client is not a view. */
  CHECK_STATUS(necid_client_last_metadata(client, &m), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "client");
  set_faults("{\"rules\":[]}");
}

static void test_max_attempts(void) {
  set_faults("{\"rules\":[{\"method\":\"GET\",\"path\":\"/v1.1/tags\",\"fault\":\"error\","
             "\"status\":503,\"count\":2}]}");
  necid_call_options_t o = options();
  o.max_attempts = 1;
  necid_client_t *once = view_with(&o);
  necid_tag_list_t *tags = NULL;
  CHECK_STATUS(necid_list_tags(once, &tags), NECID_ERR_SERVER);
  necid_client_free(once);
  o.max_attempts = 3;
  necid_client_t *three = view_with(&o);
  CHECK_OK(necid_list_tags(three, &tags));
  necid_tag_list_free(tags);
  necid_client_free(three);
  set_faults("{\"rules\":[]}");
}

static void test_headers(void) {
  necid_header_t h[1] = {{"X-Correlation-Id", "c-4711"}};
  necid_call_options_t o = options();
  o.headers = h;
  o.header_count = 1;
  necid_client_t *v = view_with(&o);
  /* The emulator verifies the signature over the signed header. */
  CHECK_OK(necid_create_tag(v, "c-traced"));
  necid_client_free(v);
  const char *reserved[] = {"Authorization", "host", "x-api-key", "X-Amz-Date"};
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
    necid_header_t bad[1] = {{reserved[i], "evil"}};
    o.headers = bad;
    necid_client_t *nope = (necid_client_t *)&nope;
    CHECK_STATUS(necid_client_with_options(client, &o, &nope), NECID_ERR_INVALID_INPUT);
    CHECK(nope == NULL);
    CHECK_STR(necid_last_error_field(), "headers");
  }
  /* A struct zeroed without struct_size is refused, not misread. */
  necid_call_options_t zero;
  memset(&zero, 0, sizeof zero);
  necid_client_t *nope = NULL;
  CHECK_STATUS(necid_client_with_options(client, &zero, &nope), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "struct_size");
}

static void test_deadline(void) {
  set_faults("{\"rules\":[{\"path\":\"/v1.1/tags\",\"fault\":\"latency\",\"delay\":{\"ms\":3000}}]}");
  necid_call_options_t o = options();
  o.deadline_ms = 300;
  o.max_attempts = 3;
  necid_client_t *v = view_with(&o);
  necid_tag_list_t *tags = NULL;
  long t = now_ms();
  CHECK_STATUS(necid_list_tags(v, &tags), NECID_ERR_TIMED_OUT);
  CHECK(tags == NULL);
  CHECK(h_contains(necid_last_error_message(), "deadline"));
  CHECK(now_ms() - t < 2500);
  necid_client_free(v);
  set_faults("{\"rules\":[]}");
}

static void *cancel_later(void *handle) {
  struct timespec d = {0, 200L * 1000L * 1000L};
  nanosleep(&d, NULL);
  necid_cancel((const necid_cancel_t *)handle);
  return NULL;
}

static void test_cancel(void) {
  set_faults("{\"rules\":[{\"path\":\"/v1.1/tags\",\"fault\":\"latency\",\"delay\":{\"ms\":3000}}]}");
  necid_cancel_t *cancel = necid_cancel_new();
  CHECK(cancel != NULL);
  CHECK(!necid_cancel_is_cancelled(cancel));
  necid_call_options_t o = options();
  o.cancel = cancel;
  o.max_attempts = 3;
  necid_client_t *v = view_with(&o);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, cancel_later, cancel) == 0);
  necid_tag_list_t *tags = NULL;
  long t = now_ms();
  CHECK_STATUS(necid_list_tags(v, &tags), NECID_ERR_CANCELLED);
  CHECK(tags == NULL);
  CHECK(now_ms() - t < 2500);
  pthread_join(th, NULL);
  CHECK(necid_cancel_is_cancelled(cancel));
  CHECK_STR(necid_status_name(NECID_ERR_CANCELLED), "Cancelled");
  /* Cancelled before the call: nothing is sent. */
  CHECK_STATUS(necid_list_tags(v, &tags), NECID_ERR_CANCELLED);
  /* The handle may be freed while the view lives; the view keeps its own reference. */
  necid_cancel_free(cancel);
  CHECK_STATUS(necid_list_tags(v, &tags), NECID_ERR_CANCELLED);
  necid_client_free(v);
  necid_cancel(NULL);
  necid_cancel_free(NULL);
  set_faults("{\"rules\":[]}");
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[65536];
static int log_max_level;
static int log_events;

static void on_log(int32_t level, const char *target, const char *message, void *user) {
  CHECK(user == (void *)&log_events);
  CHECK(target != NULL && *target != '\0');
  pthread_mutex_lock(&log_lock);
  log_events++;
  if (level > log_max_level) log_max_level = level;
  size_t used = strlen(log_text);
  snprintf(log_text + used, sizeof log_text - used, "%d %s\n", level, message);
  pthread_mutex_unlock(&log_lock);
}

static void test_logging(void) {
  set_faults("{\"rules\":[{\"method\":\"GET\",\"path\":\"/v1.1/tags\",\"fault\":\"error\","
             "\"status\":503,\"count\":1}]}");
  CHECK_OK(necid_set_log_callback(on_log, &log_events, 4));
  necid_call_options_t o = options();
  o.max_attempts = 3;
  necid_client_t *v = view_with(&o);
  necid_tag_list_t *tags = NULL;
  CHECK_OK(necid_list_tags(v, &tags));
  necid_tag_list_free(tags);
  necid_response_metadata_t *m = NULL;
  CHECK_OK(necid_client_last_metadata(v, &m));
  pthread_mutex_lock(&log_lock);
  CHECK(h_contains(log_text, "retrying"));
  CHECK(h_contains(log_text, m->request_id));
  CHECK(!h_contains(log_text, necid_emulator_secret_access_key(emu)));
  CHECK(!h_contains(log_text, necid_emulator_api_key(emu)));
  CHECK(log_max_level == 4);
  log_text[0] = '\0';
  log_max_level = 0;
  pthread_mutex_unlock(&log_lock);
  necid_response_metadata_free(m);
  /* Info and above only. */
  set_faults("{\"rules\":[{\"method\":\"GET\",\"path\":\"/v1.1/tags\",\"fault\":\"error\","
             "\"status\":503,\"count\":1}]}");
  CHECK_OK(necid_set_log_callback(on_log, &log_events, 3));
  CHECK_OK(necid_list_tags(v, &tags));
  necid_tag_list_free(tags);
  pthread_mutex_lock(&log_lock);
  CHECK(log_max_level == 3);
  pthread_mutex_unlock(&log_lock);
  /* Off. */
  CHECK_OK(necid_set_log_callback(NULL, NULL, 0));
  pthread_mutex_lock(&log_lock);
  int before = log_events;
  pthread_mutex_unlock(&log_lock);
  CHECK_OK(necid_list_tags(v, &tags));
  necid_tag_list_free(tags);
  pthread_mutex_lock(&log_lock);
  CHECK(log_events == before);
  pthread_mutex_unlock(&log_lock);
  CHECK_STATUS(necid_set_log_callback(on_log, NULL, 9), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "level");
  necid_client_free(v);
  set_faults("{\"rules\":[]}");
}

int main(void) {
  necid_emulator_options_t opts;
  memset(&opts, 0, sizeof opts);
  const char *bin = getenv("NECID_BIN");
  opts.binary = bin && *bin ? bin : NECID_DEFAULT_BIN;
  opts.startup_timeout_s = 120;
  char err[2048];
  if (necid_emulator_start(&opts, &emu, err, sizeof err) != 0) {
    fprintf(stderr, "cannot start the emulator: %s\n", err);
    return 1;
  }
  CHECK_OK(necid_emulator_client(emu, NULL, &client));
  RUN(test_metadata);
  RUN(test_max_attempts);
  RUN(test_headers);
  RUN(test_deadline);
  RUN(test_cancel);
  RUN(test_logging);
  necid_client_free(client);
  necid_emulator_stop(emu);
  return h_finish();
}
