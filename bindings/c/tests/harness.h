/*
 * Tiny test harness for the necid C API tests: checks that report and continue, a
 * throwaway emulator per test program (`necid serve --memory --port 0`), image loading
 * and a fault-injecting HTTP server for the error kinds the emulator cannot produce.
 */
#ifndef NECID_TEST_HARNESS_H
#define NECID_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "necid.h"
#include "necid_testing.h"

#ifdef __cplusplus
extern "C" {
#endif

extern int h_failures;
extern int h_checks;

void h_fail(const char *file, int line, const char *expr, const char *detail);

/* Checks a condition; on failure reports it (with the last necid error) and goes on. */
#define CHECK(cond)                                                                  \
  do {                                                                               \
    h_checks++;                                                                      \
    if (!(cond)) h_fail(__FILE__, __LINE__, #cond, NULL);                            \
  } while (0)

/* Checks that a necid call returned `expected`. */
#define CHECK_STATUS(call, expected)                                                 \
  do {                                                                               \
    necid_status_t h_st_ = (call);                                                   \
    h_checks++;                                                                      \
    if (h_st_ != (expected)) {                                                       \
      char h_buf_[512];                                                              \
      snprintf(h_buf_, sizeof h_buf_, "got %s, expected %s (%s)",                    \
               necid_status_name((int32_t)h_st_), necid_status_name((int32_t)(expected)), \
               necid_last_error_message() ? necid_last_error_message() : "no message"); \
      h_fail(__FILE__, __LINE__, #call, h_buf_);                                     \
    }                                                                                \
  } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, NECID_OK)

/* Checks two C strings are equal (NULL-safe). */
#define CHECK_STR(a, b)                                                              \
  do {                                                                               \
    const char *h_a_ = (a), *h_b_ = (b);                                             \
    h_checks++;                                                                      \
    if (!h_streq(h_a_, h_b_)) {                                                      \
      char h_buf_[512];                                                              \
      snprintf(h_buf_, sizeof h_buf_, "\"%s\" != \"%s\"", h_a_ ? h_a_ : "(null)",     \
               h_b_ ? h_b_ : "(null)");                                              \
      h_fail(__FILE__, __LINE__, #a " == " #b, h_buf_);                              \
    }                                                                                \
  } while (0)

/* Stops the test program if a check that later steps rely on failed. */
#define REQUIRE(cond)                                                                \
  do {                                                                               \
    h_checks++;                                                                      \
    if (!(cond)) {                                                                   \
      h_fail(__FILE__, __LINE__, #cond, "required; stopping");                       \
      h_abort();                                                                     \
    }                                                                                \
  } while (0)

int h_streq(const char *a, const char *b);
int h_contains(const char *haystack, const char *needle);
void h_abort(void);

/* Runs one test function, printing its name. */
#define RUN(fn)                                                                      \
  do {                                                                               \
    int h_before_ = h_failures;                                                      \
    printf("-- %s\n", #fn);                                                          \
    fflush(stdout);                                                                  \
    fn();                                                                            \
    printf("   %s\n", h_failures == h_before_ ? "ok" : "FAILED");                     \
    fflush(stdout);                                                                  \
  } while (0)

/* Prints the summary line and returns the exit status for main(). */
int h_finish(void);

/* An image from cli/assets/faces (e.g. "obama.jpg") or bindings/c/tests/data. */
typedef struct h_image {
  uint8_t *data;
  size_t len;
} h_image;
h_image h_face(const char *name);
h_image h_data(const char *name);
void h_image_free(h_image *img);

/* A running emulator. */
typedef struct h_emulator {
  necid_emulator_t *handle;
  pid_t pid;
  char endpoint[256];
  char tenant_endpoint[256];
  char region[64];
  char access_key_id[128];
  char secret_access_key[128];
  char api_key[128];
  char bucket_dir[512];
  char ca_file[512]; /* with TLS: the PEM file of the emulator's generated CA; else "" */
  /* With --tls-client-auth: a client certificate the emulator requires and its key. */
  char client_cert_file[512];
  char client_key_file[512];
} h_emulator;

/* Starts `necid serve --memory --port 0` through necid_testing (binary: $NECID_BIN or
   the build's default). */
void h_emulator_start(h_emulator *emu);
/* The same with `--tls`: HTTPS with a CA generated at start (emu->ca_file). */
void h_emulator_start_tls(h_emulator *emu);
/* `--tls --tls-client-auth`: HTTPS requiring a client certificate signed by the emulator's
   CA (emu->client_cert_file, emu->client_key_file). */
void h_emulator_start_mtls(h_emulator *emu);
/* The same with extra `necid serve` arguments (a NULL-terminated list, at most 16). */
void h_emulator_start_with(h_emulator *emu, const char *const *extra);
/* The same with fault rules from the start (JSON, as necid_emulator_options_t.faults_json)
   and extra arguments (or NULL). */
void h_emulator_start_faults(h_emulator *emu, const char *faults_json,
                             const char *const *extra);
void h_emulator_stop(h_emulator *emu);
/* A client for the emulator; api_key NULL means the default gallery's key. */
necid_client_t *h_client(const h_emulator *emu, const char *api_key);
/* Copies an asset face into <bucketDir>/<gallery>/<name>. */
void h_put_bucket_file(const h_emulator *emu, const char *gallery, const char *name,
                       const uint8_t *data, size_t len);

/* Reads a small JSON document's top-level string field (test-only parser). */
int h_json_string(const char *json, const char *key, char *out, size_t out_len);
char *h_read_text(const char *path);

/*
 * Fault injection (a mock on purpose: the emulator never answers 429, 5xx, Timeout
 * 1003, an unreadable body, or not at all). Serves `count` connections on 127.0.0.1
 * with one canned response each (or none: holds the connection open until the client
 * gives up). Runs on its own thread.
 */
typedef struct h_fault_server h_fault_server;
h_fault_server *h_fault_start(const char *raw_response /* NULL: never answer */);
/* http://127.0.0.1:PORT */
const char *h_fault_endpoint(const h_fault_server *s);
int h_fault_requests(const h_fault_server *s);
void h_fault_stop(h_fault_server *s);
/* An endpoint where nothing listens (connection refused). */
void h_closed_endpoint(char *out, size_t out_len);

/*
 * The forward proxy program `necid-test-proxy` (tests/e2e; $NECID_TEST_PROXY or the
 * cargo build's): CONNECT tunnels and absolute-form requests, forwarded for real. It
 * reports the first request line of every connection it accepts; `auth` is the
 * "user:password" it requires, or NULL. Stopped by h_proxy_stop (and by h_abort).
 */
typedef struct h_proxy h_proxy;
h_proxy *h_proxy_start(const char *auth);
/* http://127.0.0.1:PORT */
const char *h_proxy_url(const h_proxy *p);
/* Waits (up to 10 s) until at least `n` connections were reported, then 100 ms more for a
   late extra one; returns how many were. */
int h_proxy_wait_seen(h_proxy *p, int n);
/* The i-th reported request line (valid until h_proxy_stop). */
const char *h_proxy_seen(h_proxy *p, int i);
void h_proxy_stop(h_proxy *p);

#ifdef __cplusplus
}
#endif

#endif
