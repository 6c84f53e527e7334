/*
 * C side of bench/run: closed loops of necid_extract_faces (the blocking C API) from N
 * threads, against the emulator or the null server. Prints one JSON object on stdout in
 * the shape of the other languages' e2e output.
 *
 *   bench_c READY_FILE PROBE_JPEG SECS INFLIGHT[,INFLIGHT...]
 *
 * Built by bench/run with the system C compiler against the release libnecid_c.
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "necid.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This process's CPU time (user + system, every thread), seconds. */
static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long size;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
      free(buf);
      buf = NULL;
    }
    if (buf) buf[size] = 0;
    *len = (size_t)size;
  }
  fclose(f);
  return buf;
}

/* The string value of "key" in the (flat, trusted) ready file, copied; NULL if absent. */
static char *json_str(const char *json, const char *key) {
  char pat[64];
  const char *p, *end;
  char *out;
  snprintf(pat, sizeof pat, "\"%s\"", key);
  p = strstr(json, pat);
  if (!p) return NULL;
  p = strchr(p + strlen(pat), '"');
  if (!p) return NULL;
  end = strchr(p + 1, '"');
  if (!end) return NULL;
  out = malloc((size_t)(end - p));
  memcpy(out, p + 1, (size_t)(end - p - 1));
  out[end - p - 1] = 0;
  return out;
}

struct loop {
  const necid_client_t *client;
  const uint8_t *probe;
  size_t probe_len;
  double deadline;
  double *lat;
  size_t n, cap;
  unsigned long errors;
};

static int one(struct loop *l) {
  necid_face_list_t *faces = NULL;
  necid_status_t st = necid_extract_faces(l->client, l->probe, l->probe_len, -1, &faces);
  int ok = st == NECID_OK && faces && faces->face_count > 0;
  necid_face_list_free(faces);
  return ok;
}

static void *run_loop(void *arg) {
  struct loop *l = arg;
  while (now_s() < l->deadline) {
    double t = now_s();
    if (!one(l)) {
      l->errors++;
      continue;
    }
    if (l->n == l->cap) {
      l->cap = l->cap ? l->cap * 2 : 4096;
      l->lat = realloc(l->lat, l->cap * sizeof(double));
    }
    l->lat[l->n++] = now_s() - t;
  }
  return NULL;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p) {
  size_t i;
  if (!n) return 0;
  i = (size_t)ceil((double)n * p);
  if (i < 1) i = 1;
  if (i > n) i = n;
  return v[i - 1] * 1e3;
}

int main(int argc, char **argv) {
  size_t ready_len = 0, probe_len = 0;
  char *ready, *probe, *levels, *tok, *save = NULL;
  necid_config_t cfg;
  necid_config_init(&cfg);  /* sets struct_size: a zeroed config is refused */
  necid_client_t *client = NULL;
  double secs;
  int first = 1;

  if (argc != 5) {
    fprintf(stderr, "usage: %s READY_FILE PROBE_JPEG SECS INFLIGHT[,INFLIGHT...]\n", argv[0]);
    return 2;
  }
  ready = read_all(argv[1], &ready_len);
  probe = read_all(argv[2], &probe_len);
  if (!ready || !probe) {
    fprintf(stderr, "cannot read %s or %s\n", argv[1], argv[2]);
    return 1;
  }
  secs = atof(argv[3]);
  cfg.endpoint = json_str(ready, "endpoint");
  cfg.region = json_str(ready, "region");
  cfg.access_key_id = json_str(ready, "accessKeyId");
  cfg.secret_access_key = json_str(ready, "secretAccessKey");
  cfg.api_key = json_str(ready, "apiKey");
  if (necid_client_new(&cfg, &client) != NECID_OK) {
    fprintf(stderr, "necid_client_new: %s\n", necid_last_error_message());
    return 1;
  }

  printf("{\"lang\": \"c\", \"body_bytes\": %zu, \"e2e\": {\"necid C (threads)\": [",
         12 + 4 * ((probe_len + 2) / 3));
  levels = strdup(argv[4]);
  for (tok = strtok_r(levels, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    int n = atoi(tok), i;
    struct loop *loops = calloc((size_t)n, sizeof *loops);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    double start, elapsed, cpu0, cpu;
    double *all;
    size_t total = 0, k = 0;
    unsigned long errors = 0;
    for (i = 0; i < n; i++) {
      loops[i].client = client;
      loops[i].probe = (const uint8_t *)probe;
      loops[i].probe_len = probe_len;
      one(&loops[i]); /* warm-up: the connections */
    }
    cpu0 = cpu_s();
    start = now_s();
    for (i = 0; i < n; i++) {
      loops[i].deadline = start + secs;
      pthread_create(&th[i], NULL, run_loop, &loops[i]);
    }
    for (i = 0; i < n; i++) pthread_join(th[i], NULL);
    elapsed = now_s() - start;
    cpu = cpu_s() - cpu0;
    for (i = 0; i < n; i++) {
      total += loops[i].n;
      errors += loops[i].errors;
    }
    all = malloc((total ? total : 1) * sizeof(double));
    for (i = 0; i < n; i++) {
      memcpy(all + k, loops[i].lat, loops[i].n * sizeof(double));
      k += loops[i].n;
      free(loops[i].lat);
    }
    qsort(all, total, sizeof(double), cmp_d);
    printf("%s{\"inflight\": %d, \"requests\": %zu, \"errors\": %lu, \"rps\": %.3f, "
           "\"p50_ms\": %.6f, \"p99_ms\": %.6f, \"cpu_us_per_req\": %.3f}",
           first ? "" : ", ", n, total, errors, (double)total / elapsed, pct(all, total, 0.5),
           pct(all, total, 0.99), total ? cpu * 1e6 / (double)total : 0.0);
    first = 0;
    free(all);
    free(loops);
    free(th);
  }
  printf("]}}\n");
  necid_client_free(client);
  return 0;
}
