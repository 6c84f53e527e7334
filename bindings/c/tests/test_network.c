/*
 * Network settings through a real forward proxy on loopback (necid-test-proxy, built by
 * the suite from tests/e2e): necid_config_t.proxy for http:// (absolute-form requests)
 * and https:// (a CONNECT tunnel, with the TLS emulator's generated CA), proxy credentials
 * that never show, and the pool fields seen from the proxy (one line per connection).
 */
#define _XOPEN_SOURCE 700

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static h_emulator plain;
static h_emulator tls;

static necid_config_t config_for(const h_emulator *emu, const char *proxy) {
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.endpoint = emu->endpoint;
  cfg.tenant_endpoint = emu->tenant_endpoint;
  cfg.region = emu->region;
  cfg.access_key_id = emu->access_key_id;
  cfg.secret_access_key = emu->secret_access_key;
  cfg.api_key = emu->api_key;
  cfg.max_attempts = 1;
  cfg.proxy = proxy;
  return cfg;
}

static necid_status_t health(const necid_config_t *cfg) {
  necid_client_t *c = NULL;
  necid_status_t st = necid_client_new(cfg, &c);
  if (st != NECID_OK) return st;
  necid_health_t *h = NULL;
  st = necid_health(c, &h);
  necid_health_free(h);
  necid_client_free(c);
  return st;
}

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void test_http_calls_go_through_the_explicit_proxy(void) {
  h_proxy *p = h_proxy_start(NULL);
  necid_config_t cfg = config_for(&plain, h_proxy_url(p));
  CHECK_OK(health(&cfg));
  int seen = h_proxy_wait_seen(p, 1);
  CHECK(seen >= 1);
  char origin[300];
  snprintf(origin, sizeof origin, " %s/", plain.endpoint);
  for (int i = 0; i < seen; i++) CHECK(h_contains(h_proxy_seen(p, i), origin));
  /* Without the field the client goes direct. */
  necid_config_t direct = config_for(&plain, NULL);
  CHECK_OK(health(&direct));
  CHECK(h_proxy_wait_seen(p, seen) == seen);
  h_proxy_stop(p);
}

static void test_https_calls_tunnel_through_the_proxy(void) {
  h_proxy *p = h_proxy_start(NULL);
  necid_config_t cfg = config_for(&tls, h_proxy_url(p));
  cfg.ca_bundle = tls.ca_file;
  /* Retries allowed: under valgrind a TLS connection through the tunnel is slow enough
     that the emulator may drop the first one. Every connection must be the tunnel. */
  cfg.max_attempts = 3;
  CHECK_OK(health(&cfg));
  char connect[300];
  snprintf(connect, sizeof connect, "CONNECT %s HTTP/1.1", tls.endpoint + strlen("https://"));
  int seen = h_proxy_wait_seen(p, 1);
  CHECK(seen >= 1);
  for (int i = 0; i < seen; i++) CHECK_STR(h_proxy_seen(p, i), connect);
  h_proxy_stop(p);
}

static void test_proxy_credentials_are_never_shown(void) {
  h_proxy *p = h_proxy_start("necid:pr0xy-pa55word");
  const char *authority = h_proxy_url(p) + strlen("http://");
  char good[256], bad[256];
  snprintf(good, sizeof good, "http://necid:pr0xy-pa55word@%s", authority);
  snprintf(bad, sizeof bad, "http://necid:wr0ng-pa55word@%s", authority);
  necid_config_t cfg = config_for(&plain, good);
  CHECK_OK(health(&cfg));
  cfg.proxy = bad;
  necid_client_t *c = NULL;
  CHECK_OK(necid_client_new(&cfg, &c));
  necid_tag_list_t *tags = NULL;
  CHECK_STATUS(necid_list_tags(c, &tags), NECID_ERR_INVALID_REQUEST);
  CHECK(necid_last_error_http_status() == 407);
  CHECK(!h_contains(necid_last_error_message(), "wr0ng-pa55word"));
  necid_client_free(c);
  h_proxy_stop(p);
  char closed[128], closed_proxy[256];
  h_closed_endpoint(closed, sizeof closed);
  snprintf(closed_proxy, sizeof closed_proxy, "http://necid:wr0ng-pa55word@%s",
           closed + strlen("http://"));
  cfg.proxy = closed_proxy;
  CHECK_STATUS(health(&cfg), NECID_ERR_NETWORK);
  CHECK(!h_contains(necid_last_error_message(), "wr0ng-pa55word"));
  cfg.proxy = "ftp://user:s3cret-value@host:21";
  CHECK_STATUS(health(&cfg), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "proxy");
  CHECK(!h_contains(necid_last_error_message(), "s3cret-value"));
}

/* Connections the proxy accepted for `calls` health calls `gap_ms` apart (waiting for
   `expected` of them: the proxy reports a connection before it forwards anything, so a
   late extra one still shows within the wait's last 100 ms). */
static int connections(int calls, long gap_ms, uint32_t max_idle, uint32_t idle_ms,
                       int expected) {
  h_proxy *p = h_proxy_start(NULL);
  necid_config_t cfg = config_for(&plain, h_proxy_url(p));
  cfg.pool_max_idle_per_host = max_idle;
  cfg.pool_idle_timeout_ms = idle_ms;
  necid_client_t *c = NULL;
  CHECK_OK(necid_client_new(&cfg, &c));
  for (int i = 0; i < calls; i++) {
    necid_health_t *h = NULL;
    CHECK_OK(necid_health(c, &h));
    necid_health_free(h);
    pause_ms(gap_ms);
  }
  necid_client_free(c);
  int seen = h_proxy_wait_seen(p, expected);
  h_proxy_stop(p);
  return seen;
}

static void test_the_pool_fields_decide_how_connections_are_reused(void) {
  CHECK(connections(3, 50, 0, 0, 1) == 1);    /* defaults: one kept-alive connection */
  CHECK(connections(3, 400, 0, 100, 3) == 3); /* idle 100 ms: calls 400 ms apart */
}

int main(void) {
  h_emulator_start(&plain);
  h_emulator_start_tls(&tls);
  RUN(test_http_calls_go_through_the_explicit_proxy);
  RUN(test_https_calls_tunnel_through_the_proxy);
  RUN(test_proxy_credentials_are_never_shown);
  RUN(test_the_pool_fields_decide_how_connections_are_reused);
  h_emulator_stop(&tls);
  h_emulator_stop(&plain);
  return h_finish();
}
