/*
 * TLS trust roots against `necid serve --tls` (real HTTPS on loopback, certificate signed
 * by a CA the emulator generated at start), and a panic inside a request (the library is
 * built with the core's `test-hooks` feature) returning NECID_ERR_SERVER instead of
 * aborting the program.
 */
#define _XOPEN_SOURCE 700

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static h_emulator tls;
static h_emulator plain;
/* Two emulators requiring client certificates (--tls-client-auth), each with its own CA:
   one's client certificate is not trusted by the other. */
static h_emulator mtls;
static h_emulator other_mtls;

static necid_config_t tls_config(void) {
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.endpoint = tls.endpoint;
  cfg.tenant_endpoint = tls.tenant_endpoint;
  cfg.region = tls.region;
  cfg.access_key_id = tls.access_key_id;
  cfg.secret_access_key = tls.secret_access_key;
  cfg.api_key = tls.api_key;
  cfg.max_attempts = 1;
  return cfg;
}

/* necid_client_new + necid_health for cfg: the first failing status (or NECID_OK). */
static necid_status_t health(const necid_config_t *cfg) {
  necid_client_t *c = NULL;
  necid_status_t st = necid_client_new(cfg, &c);
  if (st != NECID_OK) return st;
  necid_health_t *h = NULL;
  st = necid_health(c, &h);
  if (st == NECID_OK) {
    h_checks++;
    if (!h->ok) h_fail(__FILE__, __LINE__, "h->ok", NULL);
  }
  necid_health_free(h);
  necid_client_free(c);
  return st;
}

static void test_https_with_the_emulator_ca_as_custom_bundle(void) {
  CHECK(strncmp(tls.endpoint, "https://", 8) == 0);
  necid_config_t cfg = tls_config();
  cfg.ca_bundle = tls.ca_file;
  CHECK_OK(health(&cfg));
  /* A signed call with a body, over TLS. */
  necid_client_t *c = NULL;
  CHECK_OK(necid_client_new(&cfg, &c));
  h_image face = h_face("obama.jpg");
  necid_registered_face_t *reg = NULL;
  CHECK_OK(necid_register_subject(c, face.data, face.len, NULL, 0, &reg));
  CHECK(reg != NULL && reg->subject_id && *reg->subject_id);
  necid_registered_face_free(reg);
  h_image_free(&face);
  necid_client_free(c);
  /* The PEM bytes instead of a path. */
  char *pem = h_read_text(tls.ca_file);
  REQUIRE(pem != NULL);
  necid_config_t bytes = tls_config();
  bytes.ca_bundle_pem = (const uint8_t *)pem;
  bytes.ca_bundle_pem_len = strlen(pem);
  CHECK_OK(health(&bytes));
  free(pem);
}

static void test_without_the_ca_the_certificate_error_is_clear(void) {
  necid_config_t cfg = tls_config();
  CHECK_STATUS(health(&cfg), NECID_ERR_NETWORK);
  CHECK(h_contains(necid_last_error_message(), "TLS certificate verification failed"));
  CHECK(h_contains(necid_last_error_message(), "UnknownIssuer"));
  CHECK(h_contains(necid_last_error_message(), "ca_bundle"));
}

static void test_bundled_roots_reject_the_self_signed_emulator(void) {
  necid_config_t cfg = tls_config();
  cfg.tls_roots = "bundled";
  CHECK_STATUS(health(&cfg), NECID_ERR_NETWORK);
  CHECK(h_contains(necid_last_error_message(), "bundled Mozilla roots"));
  cfg.ca_bundle = tls.ca_file; /* bundled roots + the emulator's CA: trusted */
  CHECK_OK(health(&cfg));
}

static void test_bad_tls_settings_name_the_setting(void) {
  necid_config_t cfg = tls_config();
  cfg.ca_bundle = "/nonexistent/ca.pem";
  CHECK_STATUS(health(&cfg), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "ca_bundle");
  cfg = tls_config();
  cfg.tls_roots = "system";
  CHECK_STATUS(health(&cfg), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "tls_roots");
  cfg = tls_config();
  cfg.ca_bundle_pem = NULL;
  cfg.ca_bundle_pem_len = 5; /* NULL with a length */
  CHECK_STATUS(health(&cfg), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "ca_bundle_pem");
}

static necid_config_t mtls_config(void) {
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.endpoint = mtls.endpoint;
  cfg.tenant_endpoint = mtls.tenant_endpoint;
  cfg.region = mtls.region;
  cfg.access_key_id = mtls.access_key_id;
  cfg.secret_access_key = mtls.secret_access_key;
  cfg.api_key = mtls.api_key;
  cfg.ca_bundle = mtls.ca_file;
  cfg.max_attempts = 1;
  return cfg;
}

/* The whole of a small file (NUL-terminated), or abort. */
static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  REQUIRE(f != NULL);
  char *buf = calloc(1, 65536);
  REQUIRE(buf != NULL);
  *len = fread(buf, 1, 65535, f);
  fclose(f);
  return buf;
}

static void test_client_certificate_calls_succeed(void) {
  CHECK(mtls.client_cert_file[0] && mtls.client_key_file[0]);
  necid_config_t cfg = mtls_config();
  cfg.client_cert = mtls.client_cert_file;
  cfg.client_key = mtls.client_key_file;
  CHECK_OK(health(&cfg));
  /* The PEM bytes instead of the files. */
  size_t cert_len = 0, key_len = 0;
  char *cert = slurp(mtls.client_cert_file, &cert_len);
  char *key = slurp(mtls.client_key_file, &key_len);
  cfg = mtls_config();
  cfg.client_cert_pem = (const uint8_t *)cert;
  cfg.client_cert_pem_len = cert_len;
  cfg.client_key_pem = (const uint8_t *)key;
  cfg.client_key_pem_len = key_len;
  CHECK_OK(health(&cfg));
  free(cert);
  free(key);
}

static void test_client_certificate_refused_without_or_from_another_ca(void) {
  necid_config_t cfg = mtls_config();
  CHECK_STATUS(health(&cfg), NECID_ERR_NETWORK);
  CHECK(h_contains(necid_last_error_message(), "requires a client certificate"));
  cfg.client_cert = other_mtls.client_cert_file;
  cfg.client_key = other_mtls.client_key_file;
  CHECK_STATUS(health(&cfg), NECID_ERR_NETWORK);
  CHECK(h_contains(necid_last_error_message(), "does not accept the client certificate"));
}

static void test_bad_client_certificate_settings_name_the_setting(void) {
  size_t key_len = 0;
  char *key = slurp(mtls.client_key_file, &key_len);
  /* The first base64 line of the key: never in a message. */
  char line[80] = {0};
  const char *nl = strchr(key, '\n');
  REQUIRE(nl != NULL);
  snprintf(line, sizeof line, "%.64s", nl + 1);
  necid_config_t cfg = mtls_config();
  cfg.client_cert = mtls.client_cert_file; /* without its key */
  CHECK_STATUS(health(&cfg), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "client_key");
  cfg = mtls_config();
  cfg.client_cert = "/nonexistent/client.pem";
  cfg.client_key = mtls.client_key_file;
  CHECK_STATUS(health(&cfg), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "client_cert");
  CHECK(h_contains(necid_last_error_message(), "/nonexistent/client.pem"));
  cfg = mtls_config();
  cfg.client_cert = mtls.client_cert_file;
  cfg.client_key = other_mtls.client_key_file; /* another certificate's key */
  CHECK_STATUS(health(&cfg), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "client_key");
  CHECK(!h_contains(necid_last_error_message(), line));
  cfg = mtls_config();
  cfg.client_cert = mtls.client_cert_file;
  cfg.client_key_pem = NULL;
  cfg.client_key_pem_len = 5; /* NULL with a length */
  CHECK_STATUS(health(&cfg), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "client_key_pem");
  free(key);
}

static void test_a_panic_inside_a_request_is_a_server_error(void) {
  necid_client_t *c = h_client(&plain, NULL);
  CHECK_STATUS(necid_unregister_subject(c, "necid-test-panic"), NECID_ERR_SERVER);
  CHECK(h_contains(necid_last_error_message(), "deliberate panic inside a request"));
  /* The program and the client carry on. */
  necid_health_t *h = NULL;
  CHECK_OK(necid_health(c, &h));
  necid_health_free(h);
  necid_client_free(c);
}

static void test_no_system_store_http_works_https_explains(void) {
  /* SSL_CERT_FILE / SSL_CERT_DIR replace the system store (the Linux platform verifier
     reads only them when set): an empty directory is a machine without ca-certificates. */
  char dir[] = "/tmp/necid-empty-XXXXXX", file[64];
  REQUIRE(mkdtemp(dir) != NULL);
  snprintf(file, sizeof file, "%s/none.pem", dir);
  setenv("SSL_CERT_FILE", file, 1);
  setenv("SSL_CERT_DIR", dir, 1);
  necid_client_t *c = h_client(&plain, NULL); /* http:// builds and works */
  necid_health_t *h = NULL;
  CHECK_OK(necid_health(c, &h));
  necid_health_free(h);
  necid_client_free(c);
  necid_config_t cfg = tls_config();
  CHECK_STATUS(health(&cfg), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "tls_roots");
  CHECK(h_contains(necid_last_error_message(), "no CA certificates found in the system store"));
  CHECK(h_contains(necid_last_error_message(), "tls_roots = bundled"));
  cfg.tls_roots = "bundled"; /* builds, and verifies with the bundled roots */
  CHECK_STATUS(health(&cfg), NECID_ERR_NETWORK);
  CHECK(h_contains(necid_last_error_message(), "bundled Mozilla roots"));
  unsetenv("SSL_CERT_FILE");
  unsetenv("SSL_CERT_DIR");
  rmdir(dir);
}

int main(void) {
  h_emulator_start_tls(&tls);
  h_emulator_start(&plain);
  h_emulator_start_mtls(&mtls);
  h_emulator_start_mtls(&other_mtls);
  RUN(test_https_with_the_emulator_ca_as_custom_bundle);
  RUN(test_without_the_ca_the_certificate_error_is_clear);
  RUN(test_bundled_roots_reject_the_self_signed_emulator);
  RUN(test_bad_tls_settings_name_the_setting);
  RUN(test_a_panic_inside_a_request_is_a_server_error);
  RUN(test_no_system_store_http_works_https_explains);
  RUN(test_client_certificate_calls_succeed);
  RUN(test_client_certificate_refused_without_or_from_another_ca);
  RUN(test_bad_client_certificate_settings_name_the_setting);
  h_emulator_stop(&other_mtls);
  h_emulator_stop(&mtls);
  h_emulator_stop(&plain);
  h_emulator_stop(&tls);
  return h_finish();
}
