/*
 * necid_config_t growth: a program compiled against an older necid.h (a smaller struct)
 * keeps working with this library, one compiled against a newer necid.h works while it
 * leaves the settings this library lacks at zero, and a missing or impossible struct_size
 * is a clear error instead of an out-of-bounds read.
 *
 * The old layout is written out here, as the older header declared it. It is placed at the
 * very end of a heap block of exactly its size, so a library reading past struct_size
 * would read outside the block (valgrind_test_abi fails on it).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static h_emulator emu;

/* necid_config_t of the first necid.h with struct_size (0.1). Never change it. */
typedef struct necid_config_v1 {
  size_t struct_size;
  const char *endpoint;
  const char *tenant_endpoint;
  const char *region;
  const char *service;
  const char *access_key_id;
  const char *secret_access_key;
  const char *session_token;
  const char *api_key;
  uint32_t connect_timeout_ms;
  uint32_t request_timeout_ms;
  uint32_t max_attempts;
  uint32_t retry_base_delay_ms;
  uint32_t retry_max_delay_ms;
  const char *user_agent_suffix;
  uint32_t max_retry_after_ms;
  const char *tls_roots;
  const char *ca_bundle;
  const uint8_t *ca_bundle_pem;
  size_t ca_bundle_pem_len;
} necid_config_v1;

/* necid_client_new + necid_list_tags (a signed call) on a config of `size` bytes copied
 * into a heap block of exactly that size. */
static necid_status_t client_and_call(const void *config, size_t size) {
  unsigned char *block = (unsigned char *)malloc(size);
  REQUIRE(block != NULL);
  memcpy(block, config, size);
  necid_client_t *c = NULL;
  necid_status_t st = necid_client_new((const necid_config_t *)(void *)block, &c);
  free(block);
  if (st != NECID_OK) return st;
  necid_tag_list_t *tags = NULL;
  st = necid_list_tags(c, &tags);
  necid_tag_list_free(tags);
  necid_client_free(c);
  return st;
}

static void test_a_program_built_against_the_first_layout_works(void) {
  CHECK(sizeof(necid_config_v1) <= sizeof(necid_config_t));
  necid_config_v1 old;
  memset(&old, 0, sizeof old);
  old.struct_size = sizeof old;
  old.endpoint = emu.endpoint;
  old.tenant_endpoint = emu.tenant_endpoint;
  old.region = emu.region;
  old.access_key_id = emu.access_key_id;
  old.secret_access_key = emu.secret_access_key;
  old.api_key = emu.api_key;
  old.max_attempts = 1;
  old.user_agent_suffix = "necid-c-abi-test";
  CHECK_OK(client_and_call(&old, sizeof old));
  /* Its fields are read at their old offsets: a wrong key is refused by the emulator. */
  old.secret_access_key = "not-the-secret";
  CHECK_STATUS(client_and_call(&old, sizeof old), NECID_ERR_AUTH);
}

/* This header's struct followed by `extra` bytes a newer header would have. */
static necid_status_t newer(const unsigned char *extra, size_t extra_len) {
  size_t size = sizeof(necid_config_t) + extra_len;
  unsigned char *block = (unsigned char *)calloc(1, size);
  REQUIRE(block != NULL);
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.struct_size = size;
  cfg.endpoint = emu.endpoint;
  cfg.tenant_endpoint = emu.tenant_endpoint;
  cfg.region = emu.region;
  cfg.access_key_id = emu.access_key_id;
  cfg.secret_access_key = emu.secret_access_key;
  cfg.api_key = emu.api_key;
  memcpy(block, &cfg, sizeof cfg);
  memcpy(block + sizeof cfg, extra, extra_len);
  necid_status_t st = client_and_call(block, size);
  free(block);
  return st;
}

static void test_a_newer_program_works_while_it_leaves_new_settings_unset(void) {
  unsigned char extra[16];
  memset(extra, 0, sizeof extra);
  CHECK_OK(newer(extra, sizeof extra));
  extra[9] = 1; /* a setting this library does not have */
  CHECK_STATUS(newer(extra, sizeof extra), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "struct_size");
  CHECK(h_contains(necid_last_error_message(), "newer necid.h"));
}

static void test_a_missing_or_impossible_size_is_refused(void) {
  necid_config_t cfg;
  necid_client_t *c = NULL;
  memset(&cfg, 0, sizeof cfg); /* forgot necid_config_init */
  cfg.endpoint = emu.endpoint;
  CHECK_STATUS(necid_client_new(&cfg, &c), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "struct_size");
  CHECK(h_contains(necid_last_error_message(), "necid_config_init"));
  CHECK(c == NULL);
  /* A program built before struct_size existed passes a string pointer first. */
  cfg.struct_size = (size_t)(uintptr_t)emu.endpoint;
  CHECK_STATUS(necid_client_new(&cfg, &c), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "struct_size");
  cfg.struct_size = sizeof(size_t); /* smaller than any layout */
  CHECK_STATUS(necid_client_new(&cfg, &c), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "struct_size");
  necid_config_init(&cfg);
  CHECK(cfg.struct_size == sizeof(necid_config_t));
  CHECK_OK(necid_client_new(&cfg, &c));
  necid_client_free(c);
}

int main(void) {
  h_emulator_start(&emu);
  RUN(test_a_program_built_against_the_first_layout_works);
  RUN(test_a_newer_program_works_while_it_leaves_new_settings_unset);
  RUN(test_a_missing_or_impossible_size_is_refused);
  h_emulator_stop(&emu);
  return h_finish();
}
