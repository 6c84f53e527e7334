/*
 * necid_testing: test your own C/C++ code offline against the NEC ID emulator
 * (`necid serve`). A small static library (libnecid_testing.a, CMake target
 * necid::testing) beside the SDK; POSIX (Linux, macOS).
 *
 *   necid_emulator_t *emu = NULL;
 *   char err[1024];
 *   if (necid_emulator_start(NULL, &emu, err, sizeof err) != 0) { fprintf(stderr, "%s\n", err); ... }
 *   necid_client_t *client = NULL;
 *   necid_emulator_client(emu, NULL, &client);      // endpoint + dev credentials
 *   ...
 *   necid_client_free(client);
 *   necid_emulator_stop(emu);                       // always; also frees emu
 *
 * The emulator never outlives the program: it runs with `--stop-on-stdin-eof` on a pipe
 * only this process holds, so it stops by itself when the program ends in any way (a
 * crash, abort(), SIGKILL), on top of necid_emulator_stop().
 *
 * The `necid` executable is looked up in this order: options->binary, $NECID_BIN, the
 * packaged one (none: the C bundle does not carry it; unpack the CLI archive
 * necid-VERSION-linux-ARCH-musl.tar.gz and set NECID_BIN or put it on PATH), then PATH.
 */
#ifndef NECID_TESTING_H
#define NECID_TESTING_H

#include <stddef.h>
#include <stdint.h>

#include "necid.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How to start the emulator; zero-initialise it (or pass NULL) for the defaults. */
typedef struct necid_emulator_options_t {
  /* "deterministic" (NULL: fast; the same picture matches) or "real" (the offline face
     engine: slower, loads its weights at the first picture). */
  const char *engine;
  /* "memory" (NULL) or "sqlite" (a file in a temporary folder, removed at stop). */
  const char *storage;
  /* A folder of pictures registered in the default gallery at start, or NULL. */
  const char *seed_dir;
  /* Fault rules from the start, as JSON: a list of rules or {"seed": n, "rules": [...]}
     (server/README.md, "Fault rules"), or NULL. */
  const char *faults_json;
  /* Non-zero: record every API request (`necid emulator requests`, the admin API). */
  int record;
  /* Non-zero: relax strict mode. */
  int lenient;
  /* Non-zero: serve HTTPS with a private CA (necid_emulator_ca_file; clients from
     necid_emulator_client trust it). */
  int tls;
  /* 0 picks a free port. */
  uint16_t port;
  /* The necid executable, or NULL (see the lookup order above). */
  const char *binary;
  /* Seconds to wait for readiness; 0 means 120. */
  int startup_timeout_s;
  /* More `necid serve` arguments, a NULL-terminated list (at most 16), or NULL; e.g.
     {"--extra-access-key", "ID:SECRET", NULL} for a credentials rotation test. */
  const char *const *extra_args;
} necid_emulator_options_t;

/* A running emulator. */
typedef struct necid_emulator_t necid_emulator_t;

/*
 * Starts an emulator and waits until it is ready (its ready file is written). Returns 0
 * and sets *out, or returns -1 with the reason in err (bad options, no necid found naming
 * the four places looked at, or the emulator's own message when it exited first, e.g. a
 * port in use). Nothing is left running on failure.
 */
int necid_emulator_start(const necid_emulator_options_t *options, necid_emulator_t **out,
                         char *err, size_t err_len);

/* Stops the emulator (stdin closed and SIGTERM, SIGKILL after 10 s), removes its
   temporary folder and frees emu. NULL is accepted. */
void necid_emulator_stop(necid_emulator_t *emu);

/* What the ready file says; valid until necid_emulator_stop. ca_file is "" without TLS. */
const char *necid_emulator_endpoint(const necid_emulator_t *emu);
const char *necid_emulator_tenant_endpoint(const necid_emulator_t *emu);
const char *necid_emulator_region(const necid_emulator_t *emu);
const char *necid_emulator_access_key_id(const necid_emulator_t *emu);
const char *necid_emulator_secret_access_key(const necid_emulator_t *emu);
const char *necid_emulator_api_key(const necid_emulator_t *emu);
const char *necid_emulator_bucket_dir(const necid_emulator_t *emu);
const char *necid_emulator_ca_file(const necid_emulator_t *emu);
/* With the extra argument --tls-client-auth: a client certificate (PEM file) the emulator
   requires, and its private key; "" otherwise. */
const char *necid_emulator_client_cert_file(const necid_emulator_t *emu);
const char *necid_emulator_client_key_file(const necid_emulator_t *emu);
/* The admin API (fault rules, recording, reset: server/README.md) and its bearer token. */
const char *necid_emulator_admin_endpoint(const necid_emulator_t *emu);
const char *necid_emulator_admin_token(const necid_emulator_t *emu);
/* The emulator's process id (0 once stopped). */
long necid_emulator_pid(const necid_emulator_t *emu);

/* Fills cfg (necid_config_init first) with the emulator's endpoints, region, dev credentials, the
   API key (api_key, or the default gallery's when NULL) and its CA with TLS; set more
   fields before necid_client_new. The strings belong to emu (and api_key to the caller). */
void necid_emulator_config(const necid_emulator_t *emu, const char *api_key,
                           necid_config_t *cfg);

/* necid_client_new with necid_emulator_config's settings. */
necid_status_t necid_emulator_client(const necid_emulator_t *emu, const char *api_key,
                                     necid_client_t **out);

#ifdef __cplusplus
}
#endif

#endif
