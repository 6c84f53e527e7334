/*
 * Refreshable credentials: necid_config_t.credentials_provider (a function pointer) asked
 * before a request when the client holds none or they expire within 10 s; a rotation in
 * the middle of a bulk wait (the emulator accepts the old and the new key:
 * --extra-access-key; its first progress poll answers 503 once, so the wait is retrying
 * when the provider rotates), the new key being what signs afterwards, and a failing
 * provider.
 */
#define _XOPEN_SOURCE 700

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define ROTATED_ID "AKIDROTATEDEXAMPLE"
#define ROTATED_SECRET "rotated-secret-value-0123456789"

static h_emulator emu;
static char faults_dir[64];
static char faults_file[96];

typedef struct provider_state {
  int calls;
  int rotate_after; /* answers with the dev key before switching to `then` */
  const char *then_id;
  const char *then_secret;
  long valid_for_ms; /* -1: never expires */
  int rotated;
  int fail; /* answer NECID_ERR_AUTH without credentials */
} provider_state;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static necid_status_t provider(void *user_data, necid_credentials_sink_t *sink) {
  provider_state *st = (provider_state *)user_data;
  st->calls++;
  if (st->fail) return NECID_ERR_AUTH;
  const char *id = emu.access_key_id, *secret = emu.secret_access_key;
  if (st->calls > st->rotate_after) {
    st->rotated++;
    id = st->then_id;
    secret = st->then_secret;
  }
  int64_t expires = st->valid_for_ms < 0 ? 0 : now_ms() + st->valid_for_ms;
  if (st->valid_for_ms == 0) expires = 1; /* already expired: asked before every request */
  return necid_credentials_set(sink, id, secret, "session-token-value", expires);
}

static necid_client_t *client_with(provider_state *st, uint32_t attempts) {
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.endpoint = emu.endpoint;
  cfg.tenant_endpoint = emu.tenant_endpoint;
  cfg.api_key = emu.api_key;
  cfg.max_attempts = attempts;
  cfg.retry_base_delay_ms = 5;
  cfg.retry_max_delay_ms = 5;
  cfg.credentials_provider = provider;
  cfg.credentials_provider_user_data = st;
  necid_client_t *c = NULL;
  CHECK_OK(necid_client_new(&cfg, &c));
  REQUIRE(c != NULL);
  return c;
}

static void list_tags(necid_client_t *c, necid_status_t expected) {
  necid_tag_list_t *tags = NULL;
  CHECK_STATUS(necid_list_tags(c, &tags), expected);
  necid_tag_list_free(tags);
}

static void test_credentials_are_cached_until_shortly_before_expiry(void) {
  provider_state hour = {0, 1000000, NULL, NULL, 3600 * 1000L, 0, 0};
  necid_client_t *c = client_with(&hour, 1);
  for (int i = 0; i < 3; i++) list_tags(c, NECID_OK);
  CHECK(hour.calls == 1);
  necid_client_free(c);
  provider_state soon = {0, 1000000, NULL, NULL, 5000, 0, 0}; /* within the 10 s margin */
  c = client_with(&soon, 1);
  for (int i = 0; i < 3; i++) list_tags(c, NECID_OK);
  CHECK(soon.calls == 3);
  necid_client_free(c);
  provider_state never = {0, 1000000, NULL, NULL, -1, 0, 0};
  c = client_with(&never, 1);
  list_tags(c, NECID_OK);
  list_tags(c, NECID_OK);
  CHECK(never.calls == 1);
  necid_client_free(c);
}

/* bulk_register (provider answer 1) and the first, failing poll (answer 2) with the dev
   key; the poll's retry and everything after with `then`. */
static necid_status_t bulk_wait_rotating(provider_state *st) {
  /* Re-arm the one-shot 503 of the first progress poll: a fresh emulator per run. */
  const char *extra[] = {"--extra-access-key", ROTATED_ID ":" ROTATED_SECRET, "--faults",
                         faults_file, NULL};
  h_emulator_start_with(&emu, extra);
  h_image obama = h_face("obama.jpg"), biden = h_face("biden.jpg");
  h_put_bucket_file(&emu, "default", "obama.jpg", obama.data, obama.len);
  h_put_bucket_file(&emu, "default", "biden.jpg", biden.data, biden.len);
  h_image_free(&obama);
  h_image_free(&biden);
  necid_client_t *c = client_with(st, 3);
  necid_bulk_registration_t regs[2] = {{"obama.jpg", NULL, 0}, {"biden.jpg", NULL, 0}};
  char *batch = NULL;
  CHECK_OK(necid_bulk_register(c, regs, 2, &batch));
  REQUIRE(batch != NULL);
  necid_wait_options_t opts = {20, 100, 60000};
  necid_bulk_progress_t *done = NULL;
  necid_status_t st_wait = necid_wait_for_bulk_register(c, batch, &opts, NULL, NULL, &done);
  if (st_wait == NECID_OK) {
    CHECK(done != NULL && done->done);
    CHECK(done != NULL && done->succeeded == 2);
  }
  necid_bulk_progress_free(done);
  necid_string_free(batch);
  necid_client_free(c);
  h_emulator_stop(&emu);
  return st_wait;
}

static void test_a_rotation_in_the_middle_of_a_bulk_wait(void) {
  provider_state st = {0, 2, ROTATED_ID, ROTATED_SECRET, 0, 0, 0};
  CHECK_OK(bulk_wait_rotating(&st));
  CHECK(st.rotated >= 1);
}

static void test_after_the_rotation_the_new_key_signs(void) {
  provider_state st = {0, 2, "AKIDUNKNOWN", "unknown-secret", 0, 0, 0};
  CHECK_STATUS(bulk_wait_rotating(&st), NECID_ERR_AUTH);
  CHECK(st.rotated == 1);
  CHECK(!h_contains(necid_last_error_message(), "unknown-secret"));
}

static void test_a_failing_provider_fails_the_call(void) {
  const char *extra[] = {NULL};
  h_emulator_start_with(&emu, extra);
  provider_state st = {0, 1000000, NULL, NULL, -1, 0, 1};
  necid_client_t *c = client_with(&st, 3);
  list_tags(c, NECID_ERR_AUTH);
  CHECK(h_contains(necid_last_error_message(), "credentials provider returned"));
  list_tags(c, NECID_ERR_AUTH);
  CHECK(st.calls == 2); /* once per call, not per retry */
  necid_client_free(c);
  /* Static keys and a provider together: refused. */
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.endpoint = emu.endpoint;
  cfg.access_key_id = emu.access_key_id;
  cfg.secret_access_key = emu.secret_access_key;
  cfg.credentials_provider = provider;
  cfg.credentials_provider_user_data = &st;
  CHECK_STATUS(necid_client_new(&cfg, &c), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "credentials_provider");
  CHECK_STATUS(necid_credentials_set(NULL, "a", "b", NULL, 0), NECID_ERR_INVALID_INPUT);
  h_emulator_stop(&emu);
}

int main(void) {
  /* `necid serve --faults` reads the format from the extension: FILE.json. */
  snprintf(faults_dir, sizeof faults_dir, "/tmp/necid-c-faults-XXXXXX");
  REQUIRE(mkdtemp(faults_dir) != NULL);
  snprintf(faults_file, sizeof faults_file, "%s/faults.json", faults_dir);
  int fd = open(faults_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  const char *rules =
      "{\"rules\": [{\"method\": \"GET\", \"path\": \"/v1.1/jobs/bulkregister/**\", "
      "\"fault\": \"error\", \"status\": 503, \"retryAfter\": 0, \"count\": 1}]}";
  REQUIRE(write(fd, rules, strlen(rules)) == (ssize_t)strlen(rules));
  close(fd);
  const char *extra[] = {"--extra-access-key", ROTATED_ID ":" ROTATED_SECRET, NULL};
  h_emulator_start_with(&emu, extra);
  RUN(test_credentials_are_cached_until_shortly_before_expiry);
  h_emulator_stop(&emu);
  RUN(test_a_rotation_in_the_middle_of_a_bulk_wait);
  RUN(test_after_the_rotation_the_new_key_signs);
  RUN(test_a_failing_provider_fails_the_call);
  unlink(faults_file);
  rmdir(faults_dir);
  return h_finish();
}
