/* necid_testing: a throwaway emulator for tests (see necid_testing.h). */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE

#include "necid_testing.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct necid_emulator_t {
  pid_t pid;
  int stdin_fd; /* our end of the emulator's stdin: closing it stops the emulator */
  char dir[256];
  char endpoint[256];
  char tenant_endpoint[256];
  char region[64];
  char access_key_id[128];
  char secret_access_key[256];
  char api_key[256];
  char bucket_dir[512];
  char ca_file[512];
  char client_cert_file[512];
  char client_key_file[512];
  char admin_endpoint[300];
  char admin_token[256];
};

static void set_err(char *err, size_t len, const char *fmt, ...) {
  if (!err || !len) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, len, fmt, ap);
  va_end(ap);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (n + 1 == cap) {
      char *bigger = realloc(buf, cap *= 2);
      if (!bigger) {
        free(buf);
        buf = NULL;
      }
      buf = bigger;
    }
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  return buf;
}

/* A top-level string field of the ready file (flat JSON written by the emulator).
   Returns 0 when absent or null. */
static int json_string(const char *json, const char *key, char *out, size_t out_len) {
  char pat[128];
  snprintf(pat, sizeof pat, "\"%s\"", key);
  const char *p = strstr(json, pat);
  if (!p) return 0;
  p += strlen(pat);
  while (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t') p++;
  if (*p != '"') return 0;
  p++;
  size_t n = 0;
  for (; *p && *p != '"'; p++) {
    char c = *p;
    if (c == '\\' && p[1]) {
      c = *++p;
      if (c == 'n') c = '\n';
      else if (c == 't') c = '\t';
    }
    if (n + 1 < out_len) out[n++] = c;
  }
  out[n] = '\0';
  return *p == '"';
}

static int is_exe(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* options->binary, $NECID_BIN, (no packaged one in C), PATH. */
static int find_binary(const char *explicit_bin, char *out, size_t out_len, char *err,
                       size_t err_len) {
  if (explicit_bin && *explicit_bin) {
    if (!is_exe(explicit_bin)) {
      set_err(err, err_len, "the necid executable given (%s) does not exist or is not executable",
              explicit_bin);
      return -1;
    }
    snprintf(out, out_len, "%s", explicit_bin);
    return 0;
  }
  const char *env = getenv("NECID_BIN");
  if (env && *env) {
    if (!is_exe(env)) {
      set_err(err, err_len,
              "NECID_BIN is set to %s, which does not exist or is not executable (unset it to "
              "use the necid on PATH)",
              env);
      return -1;
    }
    snprintf(out, out_len, "%s", env);
    return 0;
  }
  const char *path = getenv("PATH");
  while (path && *path) {
    const char *end = strchr(path, ':');
    size_t len = end ? (size_t)(end - path) : strlen(path);
    if (len > 0 && len + 7 < out_len) {
      snprintf(out, out_len, "%.*s/necid", (int)len, path);
      if (is_exe(out)) return 0;
    }
    path = end ? end + 1 : NULL;
  }
  set_err(err, err_len,
          "no necid executable found; looked at, in order: (1) options->binary (not given), "
          "(2) the NECID_BIN environment variable (not set), (3) a packaged one (the C bundle "
          "does not carry necid: unpack the CLI archive necid-VERSION-linux-ARCH-musl.tar.gz), "
          "(4) necid on PATH (none). Set NECID_BIN or put necid on PATH (cargo install "
          "necid-cli, or the CLI archive).");
  return -1;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void necid_emulator_stop(necid_emulator_t *emu) {
  if (!emu) return;
  if (emu->stdin_fd >= 0) close(emu->stdin_fd);
  if (emu->pid > 0) {
    int status;
    kill(emu->pid, SIGTERM);
    for (int i = 0; i < 1000 && waitpid(emu->pid, &status, WNOHANG) == 0; i++) sleep_ms(10);
    if (waitpid(emu->pid, &status, WNOHANG) == 0) {
      kill(emu->pid, SIGKILL);
      waitpid(emu->pid, &status, 0);
    }
  }
  if (emu->dir[0]) nftw(emu->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(emu);
}

static void output_tail(const necid_emulator_t *emu, char *buf, size_t len) {
  char log[300];
  snprintf(log, sizeof log, "%s/serve.log", emu->dir);
  char *text = read_file(log);
  const char *t = text ? text : "";
  size_t n = strlen(t);
  snprintf(buf, len, "%s", n + 1 > len ? t + n - (len - 1) : t);
  free(text);
}

int necid_emulator_start(const necid_emulator_options_t *options, necid_emulator_t **out,
                         char *err, size_t err_len) {
  static const necid_emulator_options_t defaults;
  const necid_emulator_options_t *o = options ? options : &defaults;
  if (!out) {
    set_err(err, err_len, "out is NULL");
    return -1;
  }
  *out = NULL;
  const char *engine = o->engine ? o->engine : "deterministic";
  const char *storage = o->storage ? o->storage : "memory";
  if (strcmp(engine, "deterministic") != 0 && strcmp(engine, "real") != 0) {
    set_err(err, err_len,
            "unknown engine '%s': choose 'deterministic' (fast, the same picture matches) or "
            "'real' (the offline face engine)",
            engine);
    return -1;
  }
  if (strcmp(storage, "memory") != 0 && strcmp(storage, "sqlite") != 0) {
    set_err(err, err_len, "unknown storage '%s': choose 'memory' or 'sqlite'", storage);
    return -1;
  }
  struct stat st;
  if (o->seed_dir && (stat(o->seed_dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
    set_err(err, err_len, "the seed folder %s does not exist or is not a folder", o->seed_dir);
    return -1;
  }
  size_t n_extra = 0;
  while (o->extra_args && o->extra_args[n_extra]) n_extra++;
  if (n_extra > 16) {
    set_err(err, err_len, "too many extra_args (%zu): at most 16", n_extra);
    return -1;
  }
  char exe[1024];
  if (find_binary(o->binary, exe, sizeof exe, err, err_len) != 0) return -1;

  necid_emulator_t *emu = calloc(1, sizeof *emu);
  if (!emu) {
    set_err(err, err_len, "out of memory");
    return -1;
  }
  emu->stdin_fd = -1;
  const char *tmp = getenv("TMPDIR");
  snprintf(emu->dir, sizeof emu->dir, "%s/necid-emulator-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(emu->dir)) {
    set_err(err, err_len, "cannot make a temporary folder: %s", strerror(errno));
    emu->dir[0] = '\0';
    necid_emulator_stop(emu);
    return -1;
  }
  char ready[300], buckets[300], log[300], db[300], faults[300], record[300], ca[300], port[8];
  snprintf(ready, sizeof ready, "%s/ready.json", emu->dir);
  snprintf(buckets, sizeof buckets, "%s/buckets", emu->dir);
  snprintf(log, sizeof log, "%s/serve.log", emu->dir);
  snprintf(db, sizeof db, "%s/emulator.db", emu->dir);
  snprintf(faults, sizeof faults, "%s/faults.json", emu->dir);
  snprintf(record, sizeof record, "%s/record", emu->dir);
  snprintf(ca, sizeof ca, "%s/ca.pem", emu->dir);
  snprintf(port, sizeof port, "%u", (unsigned)o->port);

  const char *argv[48];
  int n = 0;
  argv[n++] = exe;
  argv[n++] = "serve";
  argv[n++] = "--engine";
  argv[n++] = engine;
  argv[n++] = "--port";
  argv[n++] = port;
  argv[n++] = "--ready-file";
  argv[n++] = ready;
  argv[n++] = "--bucket-dir";
  argv[n++] = buckets;
  argv[n++] = "--stop-on-stdin-eof";
  if (strcmp(storage, "memory") == 0) {
    argv[n++] = "--memory";
  } else {
    argv[n++] = "--db";
    argv[n++] = db;
  }
  if (o->seed_dir) {
    argv[n++] = "--seed";
    argv[n++] = o->seed_dir;
  }
  if (o->faults_json) {
    FILE *f = fopen(faults, "w");
    const char *lead = o->faults_json;
    while (*lead == ' ' || *lead == '\n' || *lead == '\t') lead++;
    int list = *lead == '[';
    if (!f || fprintf(f, "%s%s%s", list ? "{\"rules\": " : "", o->faults_json, list ? "}" : "") < 0) {
      set_err(err, err_len, "cannot write %s", faults);
      if (f) fclose(f);
      necid_emulator_stop(emu);
      return -1;
    }
    fclose(f);
    argv[n++] = "--faults";
    argv[n++] = faults;
  }
  if (o->record) {
    argv[n++] = "--record";
    argv[n++] = record;
  }
  if (o->lenient) argv[n++] = "--lenient";
  if (o->tls) {
    argv[n++] = "--tls";
    argv[n++] = "--tls-ca-file";
    argv[n++] = ca;
  }
  for (size_t i = 0; i < n_extra; i++) argv[n++] = o->extra_args[i];
  argv[n] = NULL;

  /* The emulator's stdin is a pipe whose write end only this process holds (close-on-exec,
     so other children do not inherit it): when it closes, the emulator stops. */
  int fds[2];
  if (pipe(fds) != 0) {
    set_err(err, err_len, "pipe: %s", strerror(errno));
    necid_emulator_stop(emu);
    return -1;
  }
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  emu->stdin_fd = fds[1];
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  int rc = posix_spawn(&emu->pid, exe, &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[0]);
  if (rc != 0) {
    emu->pid = 0;
    set_err(err, err_len, "could not run %s: %s", exe, strerror(rc));
    necid_emulator_stop(emu);
    return -1;
  }

  int timeout_ms = (o->startup_timeout_s > 0 ? o->startup_timeout_s : 120) * 1000;
  char *json = NULL;
  for (int waited = 0; !json; waited += 20) {
    int status;
    json = read_file(ready);
    if (json && !*json) {
      free(json);
      json = NULL;
    }
    if (json) break;
    if (waitpid(emu->pid, &status, WNOHANG) == emu->pid) {
      char tail[600];
      emu->pid = 0;
      output_tail(emu, tail, sizeof tail);
      set_err(err, err_len, "the emulator exited (status %d) before it was ready:\n%s",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail);
      necid_emulator_stop(emu);
      return -1;
    }
    if (waited > timeout_ms) {
      char tail[600];
      output_tail(emu, tail, sizeof tail);
      set_err(err, err_len, "the emulator was not ready after %d s:\n%s", timeout_ms / 1000, tail);
      necid_emulator_stop(emu);
      return -1;
    }
    sleep_ms(20);
  }
  int ok = json_string(json, "endpoint", emu->endpoint, sizeof emu->endpoint) &&
           json_string(json, "tenantEndpoint", emu->tenant_endpoint, sizeof emu->tenant_endpoint) &&
           json_string(json, "region", emu->region, sizeof emu->region) &&
           json_string(json, "accessKeyId", emu->access_key_id, sizeof emu->access_key_id) &&
           json_string(json, "secretAccessKey", emu->secret_access_key,
                       sizeof emu->secret_access_key) &&
           json_string(json, "apiKey", emu->api_key, sizeof emu->api_key) &&
           json_string(json, "adminEndpoint", emu->admin_endpoint, sizeof emu->admin_endpoint) &&
           json_string(json, "adminToken", emu->admin_token, sizeof emu->admin_token);
  if (o->tls) ok = ok && json_string(json, "caFile", emu->ca_file, sizeof emu->ca_file);
  /* Only with --tls-client-auth (null otherwise). */
  if (!json_string(json, "clientCertFile", emu->client_cert_file, sizeof emu->client_cert_file) ||
      !json_string(json, "clientKeyFile", emu->client_key_file, sizeof emu->client_key_file))
    emu->client_cert_file[0] = emu->client_key_file[0] = '\0';
  if (!json_string(json, "bucketDir", emu->bucket_dir, sizeof emu->bucket_dir))
    snprintf(emu->bucket_dir, sizeof emu->bucket_dir, "%s", buckets);
  free(json);
  if (!ok) {
    set_err(err, err_len, "unexpected ready file %s", ready);
    necid_emulator_stop(emu);
    return -1;
  }
  *out = emu;
  return 0;
}

const char *necid_emulator_endpoint(const necid_emulator_t *emu) { return emu->endpoint; }
const char *necid_emulator_tenant_endpoint(const necid_emulator_t *emu) {
  return emu->tenant_endpoint;
}
const char *necid_emulator_region(const necid_emulator_t *emu) { return emu->region; }
const char *necid_emulator_access_key_id(const necid_emulator_t *emu) {
  return emu->access_key_id;
}
const char *necid_emulator_secret_access_key(const necid_emulator_t *emu) {
  return emu->secret_access_key;
}
const char *necid_emulator_api_key(const necid_emulator_t *emu) { return emu->api_key; }
const char *necid_emulator_bucket_dir(const necid_emulator_t *emu) { return emu->bucket_dir; }
const char *necid_emulator_ca_file(const necid_emulator_t *emu) { return emu->ca_file; }
const char *necid_emulator_client_cert_file(const necid_emulator_t *emu) {
  return emu->client_cert_file;
}
const char *necid_emulator_client_key_file(const necid_emulator_t *emu) {
  return emu->client_key_file;
}
const char *necid_emulator_admin_endpoint(const necid_emulator_t *emu) {
  return emu->admin_endpoint;
}
const char *necid_emulator_admin_token(const necid_emulator_t *emu) { return emu->admin_token; }
long necid_emulator_pid(const necid_emulator_t *emu) { return (long)emu->pid; }

void necid_emulator_config(const necid_emulator_t *emu, const char *api_key,
                           necid_config_t *cfg) {
  necid_config_init(cfg);
  cfg->endpoint = emu->endpoint;
  cfg->tenant_endpoint = emu->tenant_endpoint;
  cfg->region = emu->region;
  cfg->access_key_id = emu->access_key_id;
  cfg->secret_access_key = emu->secret_access_key;
  cfg->api_key = api_key ? api_key : emu->api_key;
  if (emu->ca_file[0]) cfg->ca_bundle = emu->ca_file;
}

necid_status_t necid_emulator_client(const necid_emulator_t *emu, const char *api_key,
                                     necid_client_t **out) {
  necid_config_t cfg;
  necid_emulator_config(emu, api_key, &cfg);
  return necid_client_new(&cfg, out);
}
