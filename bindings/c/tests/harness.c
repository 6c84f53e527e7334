#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE

#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int h_failures = 0;
int h_checks = 0;

void h_fail(const char *file, int line, const char *expr, const char *detail) {
  h_failures++;
  const char *msg = necid_last_error_message();
  fprintf(stderr, "FAIL %s:%d: %s%s%s\n", file, line, expr, detail ? " — " : "",
          detail ? detail : "");
  if (!detail && msg) fprintf(stderr, "     last necid error: %s\n", msg);
  fflush(stderr);
}

int h_streq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

int h_contains(const char *haystack, const char *needle) {
  return haystack && needle && strstr(haystack, needle) != NULL;
}

/* Proxies started and not yet stopped: a failed requirement stops them before exiting
   (emulators stop by themselves: necid_testing's --stop-on-stdin-eof). */
static h_proxy *running_proxy[4];

void h_abort(void) {
  fprintf(stderr, "stopping after a failed requirement\n");
  for (size_t i = 0; i < sizeof running_proxy / sizeof running_proxy[0]; i++)
    if (running_proxy[i]) h_proxy_stop(running_proxy[i]);
  exit(1);
}

int h_finish(void) {
  /* The plain closing line every runner understands. */
  printf("%d passed, %d failed\n", h_checks - h_failures, h_failures);
  return h_failures == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------------------------ */
/* Files */

static uint8_t *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = (uint8_t *)malloc(cap);
  if (!buf) {
    fclose(f);
    return NULL;
  }
  for (;;) {
    if (n == cap) {
      cap *= 2;
      uint8_t *nb = (uint8_t *)realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = nb;
    }
    size_t r = fread(buf + n, 1, cap - n, f);
    if (r == 0) break;
    n += r;
  }
  fclose(f);
  *len = n;
  return buf;
}

static h_image load(const char *dir, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  h_image img = {NULL, 0};
  img.data = read_all(path, &img.len);
  if (!img.data) {
    fprintf(stderr, "cannot read %s\n", path);
    h_abort();
  }
  return img;
}

h_image h_face(const char *name) { return load(NECID_FACES_DIR, name); }
h_image h_data(const char *name) { return load(NECID_TEST_DATA_DIR, name); }

void h_image_free(h_image *img) {
  free(img->data);
  img->data = NULL;
  img->len = 0;
}

char *h_read_text(const char *path) {
  size_t len = 0;
  uint8_t *data = read_all(path, &len);
  if (!data) return NULL;
  char *s = (char *)realloc(data, len + 1);
  if (!s) {
    free(data);
    return NULL;
  }
  s[len] = '\0';
  return s;
}

int h_json_string(const char *json, const char *key, char *out, size_t out_len) {
  char pattern[128];
  snprintf(pattern, sizeof pattern, "\"%s\"", key);
  const char *p = strstr(json, pattern);
  if (!p) return 0;
  p += strlen(pattern);
  while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
  if (*p != ':') return 0;
  p++;
  while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
  if (*p != '"') return 0;
  p++;
  size_t n = 0;
  while (*p && *p != '"') {
    char c = *p++;
    if (c == '\\' && *p) {
      c = *p++;
      if (c == 'n') c = '\n';
      else if (c == 't') c = '\t';
    }
    if (n + 1 < out_len) out[n++] = c;
  }
  out[n] = '\0';
  return *p == '"';
}

/* ------------------------------------------------------------------------------------ */
/* Emulator */

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Through necid_testing (the users' helper): the emulator stops with the test program
   even when it crashes or is killed. */
static void emulator_start(h_emulator *emu, int tls, const char *const *extra,
                           const char *faults_json);

void h_emulator_start(h_emulator *emu) { emulator_start(emu, 0, NULL, NULL); }

void h_emulator_start_tls(h_emulator *emu) { emulator_start(emu, 1, NULL, NULL); }

void h_emulator_start_mtls(h_emulator *emu) {
  static const char *const args[] = {"--tls-client-auth", NULL};
  emulator_start(emu, 1, args, NULL);
}

void h_emulator_start_with(h_emulator *emu, const char *const *extra) {
  emulator_start(emu, 0, extra, NULL);
}

void h_emulator_start_faults(h_emulator *emu, const char *faults_json,
                             const char *const *extra) {
  emulator_start(emu, 0, extra, faults_json);
}

static void emulator_start(h_emulator *emu, int tls, const char *const *extra,
                           const char *faults_json) {
  memset(emu, 0, sizeof *emu);
  necid_emulator_options_t opts;
  memset(&opts, 0, sizeof opts);
  opts.tls = tls;
  opts.extra_args = extra;
  opts.faults_json = faults_json;
  /* $NECID_BIN (the suite's), else the build's default. */
  const char *bin = getenv("NECID_BIN");
  opts.binary = bin && *bin ? bin : NECID_DEFAULT_BIN;
  /* A start-up wait, not a timed assertion: give a slow machine (valgrind) time. */
  opts.startup_timeout_s = 120;
  char err[2048];
  if (necid_emulator_start(&opts, &emu->handle, err, sizeof err) != 0) {
    fprintf(stderr, "cannot start the emulator: %s\n", err);
    h_abort();
  }
  emu->pid = (pid_t)necid_emulator_pid(emu->handle);
  snprintf(emu->endpoint, sizeof emu->endpoint, "%s", necid_emulator_endpoint(emu->handle));
  snprintf(emu->tenant_endpoint, sizeof emu->tenant_endpoint, "%s",
           necid_emulator_tenant_endpoint(emu->handle));
  snprintf(emu->region, sizeof emu->region, "%s", necid_emulator_region(emu->handle));
  snprintf(emu->access_key_id, sizeof emu->access_key_id, "%s",
           necid_emulator_access_key_id(emu->handle));
  snprintf(emu->secret_access_key, sizeof emu->secret_access_key, "%s",
           necid_emulator_secret_access_key(emu->handle));
  snprintf(emu->api_key, sizeof emu->api_key, "%s", necid_emulator_api_key(emu->handle));
  snprintf(emu->bucket_dir, sizeof emu->bucket_dir, "%s", necid_emulator_bucket_dir(emu->handle));
  snprintf(emu->ca_file, sizeof emu->ca_file, "%s", necid_emulator_ca_file(emu->handle));
  snprintf(emu->client_cert_file, sizeof emu->client_cert_file, "%s",
           necid_emulator_client_cert_file(emu->handle));
  snprintf(emu->client_key_file, sizeof emu->client_key_file, "%s",
           necid_emulator_client_key_file(emu->handle));
}

void h_emulator_stop(h_emulator *emu) {
  necid_emulator_stop(emu->handle);
  emu->handle = NULL;
  emu->pid = 0;
}

necid_client_t *h_client(const h_emulator *emu, const char *api_key) {
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.endpoint = emu->endpoint;
  cfg.tenant_endpoint = emu->tenant_endpoint;
  cfg.region = emu->region;
  cfg.access_key_id = emu->access_key_id;
  cfg.secret_access_key = emu->secret_access_key;
  cfg.api_key = api_key ? api_key : emu->api_key;
  cfg.user_agent_suffix = "necid-c-tests";
  necid_client_t *client = NULL;
  necid_status_t st = necid_client_new(&cfg, &client);
  if (st != NECID_OK || !client) {
    fprintf(stderr, "necid_client_new: %s\n", necid_last_error_message());
    h_abort();
  }
  return client;
}

void h_put_bucket_file(const h_emulator *emu, const char *gallery, const char *name,
                       const uint8_t *data, size_t len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", emu->bucket_dir, gallery);
  mkdir(path, 0700);
  snprintf(path, sizeof path, "%s/%s/%s", emu->bucket_dir, gallery, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len) {
    fprintf(stderr, "cannot write %s\n", path);
    h_abort();
  }
  fclose(f);
}

/* ------------------------------------------------------------------------------------ */
/* Fault-injecting server */

struct h_fault_server {
  int listen_fd;
  int wake[2];
  pthread_t thread;
  char endpoint[64];
  const char *response;
  int requests;
  pthread_mutex_t lock;
};

/* Reads one request (headers + Content-Length body) so the client sees a clean exchange. */
static int read_request(int fd) {
  char buf[65536];
  size_t n = 0;
  long body = -1;
  size_t header_end = 0;
  for (;;) {
    if (n == sizeof buf) return 0;
    ssize_t r = recv(fd, buf + n, sizeof buf - n, 0);
    if (r <= 0) return 0;
    n += (size_t)r;
    if (!header_end) {
      for (size_t i = 3; i < n; i++) {
        if (buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n') {
          header_end = i + 1;
          break;
        }
      }
      if (header_end) {
        body = 0;
        for (size_t i = 0; i + 15 < header_end; i++) {
          if (strncasecmp(buf + i, "content-length:", 15) == 0) {
            body = strtol(buf + i + 15, NULL, 10);
            break;
          }
        }
      }
    }
    if (header_end && n >= header_end + (size_t)body) return 1;
  }
}

static void *fault_main(void *arg) {
  h_fault_server *s = (h_fault_server *)arg;
  for (;;) {
    struct pollfd fds[2] = {{s->listen_fd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents) break;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) continue;
    /* Serve requests on this connection until the client closes it or we stop. */
    for (;;) {
      struct pollfd c[2] = {{fd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
      if (poll(c, 2, -1) < 0) break;
      if (c[1].revents) {
        close(fd);
        return NULL;
      }
      if (!read_request(fd)) break;
      pthread_mutex_lock(&s->lock);
      s->requests++;
      pthread_mutex_unlock(&s->lock);
      if (s->response) {
        size_t len = strlen(s->response), off = 0;
        while (off < len) {
          ssize_t w = send(fd, s->response + off, len - off, MSG_NOSIGNAL);
          if (w <= 0) break;
          off += (size_t)w;
        }
      }
      /* With no response the connection just stays open: the client times out. */
    }
    close(fd);
  }
  return NULL;
}

h_fault_server *h_fault_start(const char *raw_response) {
  h_fault_server *s = (h_fault_server *)calloc(1, sizeof *s);
  if (!s) h_abort();
  s->response = raw_response;
  pthread_mutex_init(&s->lock, NULL);
  s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t alen = sizeof addr;
  if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(s->listen_fd, 16) != 0 ||
      getsockname(s->listen_fd, (struct sockaddr *)&addr, &alen) != 0 || pipe(s->wake) != 0) {
    perror("fault server");
    h_abort();
  }
  snprintf(s->endpoint, sizeof s->endpoint, "http://127.0.0.1:%d", ntohs(addr.sin_port));
  if (pthread_create(&s->thread, NULL, fault_main, s) != 0) h_abort();
  return s;
}

const char *h_fault_endpoint(const h_fault_server *s) { return s->endpoint; }

int h_fault_requests(const h_fault_server *s) {
  pthread_mutex_lock((pthread_mutex_t *)&s->lock);
  int n = s->requests;
  pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
  return n;
}

void h_fault_stop(h_fault_server *s) {
  if (write(s->wake[1], "x", 1) != 1) perror("fault server wake");
  pthread_join(s->thread, NULL);
  close(s->listen_fd);
  close(s->wake[0]);
  close(s->wake[1]);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

void h_closed_endpoint(char *out, size_t out_len) {
  /* Bind an ephemeral port, then close it: nothing listens there afterwards. */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof addr;
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      getsockname(fd, (struct sockaddr *)&addr, &alen) != 0) {
    perror("closed endpoint");
    h_abort();
  }
  snprintf(out, out_len, "http://127.0.0.1:%d", ntohs(addr.sin_port));
  close(fd);
}

/* ------------------------------------------------------------------------------------ */
/* Forward proxy process */

#define H_PROXY_MAX_SEEN 64

struct h_proxy {
  pid_t pid;
  int to_child;   /* its stdin: closing it stops the proxy */
  int from_child; /* its stdout: READY / SEEN lines */
  char url[128];
  pthread_t reader;
  pthread_mutex_t lock;
  int seen_count;
  char *seen[H_PROXY_MAX_SEEN];
};

/* One line (without the newline) from fd, or 0 at EOF. */
static int read_line(int fd, char *buf, size_t cap) {
  size_t n = 0;
  for (;;) {
    char ch;
    ssize_t r = read(fd, &ch, 1);
    if (r <= 0) return 0;
    if (ch == '\n') break;
    if (n + 1 < cap) buf[n++] = ch;
  }
  buf[n] = '\0';
  return 1;
}

static void *proxy_reader(void *arg) {
  h_proxy *p = (h_proxy *)arg;
  char line[1024];
  while (read_line(p->from_child, line, sizeof line)) {
    if (strncmp(line, "SEEN ", 5) != 0) continue;
    pthread_mutex_lock(&p->lock);
    if (p->seen_count < H_PROXY_MAX_SEEN) {
      p->seen[p->seen_count] = (char *)malloc(strlen(line + 5) + 1);
      if (p->seen[p->seen_count]) {
        strcpy(p->seen[p->seen_count], line + 5);
        p->seen_count++;
      }
    }
    pthread_mutex_unlock(&p->lock);
  }
  return NULL;
}

h_proxy *h_proxy_start(const char *auth) {
  h_proxy *p = (h_proxy *)calloc(1, sizeof *p);
  int in[2], out[2];
  if (!p || pipe(in) != 0 || pipe(out) != 0) {
    perror("h_proxy_start");
    h_abort();
  }
  /* Our ends must not leak into later children (another proxy holding this stdin open
     would keep this proxy alive). */
  fcntl(in[1], F_SETFD, FD_CLOEXEC);
  fcntl(out[0], F_SETFD, FD_CLOEXEC);
  const char *bin = getenv("NECID_TEST_PROXY");
  if (!bin || !*bin) bin = NECID_DEFAULT_PROXY_BIN;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, in[1]);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  char *argv[] = {(char *)bin, auth ? (char *)"--auth" : NULL, (char *)auth, NULL};
  int rc = posix_spawn(&p->pid, bin, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    fprintf(stderr, "cannot start %s: %s\n", bin, strerror(rc));
    h_abort();
  }
  p->to_child = in[1];
  p->from_child = out[0];
  pthread_mutex_init(&p->lock, NULL);
  for (size_t i = 0; i < sizeof running_proxy / sizeof running_proxy[0]; i++)
    if (!running_proxy[i]) {
      running_proxy[i] = p;
      break;
    }
  char line[256];
  if (!read_line(p->from_child, line, sizeof line) || strncmp(line, "READY ", 6) != 0) {
    fprintf(stderr, "necid-test-proxy did not start (%s)\n", bin);
    h_abort();
  }
  snprintf(p->url, sizeof p->url, "%s", line + 6);
  pthread_create(&p->reader, NULL, proxy_reader, p);
  return p;
}

const char *h_proxy_url(const h_proxy *p) { return p->url; }

int h_proxy_wait_seen(h_proxy *p, int n) {
  for (int i = 0; i < 500; i++) {
    pthread_mutex_lock(&p->lock);
    int have = p->seen_count;
    pthread_mutex_unlock(&p->lock);
    if (have >= n) break;
    sleep_ms(20);
  }
  sleep_ms(100);
  pthread_mutex_lock(&p->lock);
  int have = p->seen_count;
  pthread_mutex_unlock(&p->lock);
  return have;
}

const char *h_proxy_seen(h_proxy *p, int i) {
  pthread_mutex_lock(&p->lock);
  const char *s = i < p->seen_count ? p->seen[i] : NULL;
  pthread_mutex_unlock(&p->lock);
  return s;
}

void h_proxy_stop(h_proxy *p) {
  if (!p) return;
  for (size_t i = 0; i < sizeof running_proxy / sizeof running_proxy[0]; i++)
    if (running_proxy[i] == p) running_proxy[i] = NULL;
  close(p->to_child); /* the proxy exits when its stdin closes */
  int status;
  int waited = 0;
  for (int i = 0; i < 500 && !waited; i++) {
    if (waitpid(p->pid, &status, WNOHANG) == p->pid) waited = 1;
    else sleep_ms(20);
  }
  if (!waited) {
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &status, 0);
  }
  pthread_join(p->reader, NULL); /* its stdout is closed now */
  close(p->from_child);
  for (int i = 0; i < p->seen_count; i++) free(p->seen[i]);
  pthread_mutex_destroy(&p->lock);
  free(p);
}
