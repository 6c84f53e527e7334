/*
 * C runner of the cross-language scenarios (see tests/README.md).
 *
 * usage: scenario-runner-c READY_FILE FACES_DIR SCENARIO.json...
 *
 * Runs each scenario in a fresh gallery of the emulator described by READY_FILE, prints the
 * normalised transcript on stdout and expectation failures on stderr (exit 1 if any). The
 * format and normalisation rules mirror the Rust runner (tests/reliability/src/scenario.rs).
 * Built against include/necid.h and libnecid_c by scripts/suites/80-scenarios.sh. A small
 * JSON reader is included: the scenario files use objects, arrays, strings, integers,
 * booleans and null only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "necid.h"

/* ---------------------------------------------------------------- JSON (subset) */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
typedef struct json {
  enum jtype t;
  int b;
  long long n;
  char *s;
  struct json **items; /* array items or object values */
  char **keys;         /* object keys */
  size_t len;
} json;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("c runner: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

static void *xmalloc(size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (!p) die("out of memory");
  return p;
}

static char *xstrdup(const char *s) {
  char *d = xmalloc(strlen(s) + 1);
  strcpy(d, s);
  return d;
}

static void ws(const char **p) {
  while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t') (*p)++;
}

static json *parse(const char **p);

static char *parse_str(const char **p) {
  size_t cap = 16, n = 0;
  char *out = xmalloc(cap);
  if (**p != '"') die("expected string at '%.20s'", *p);
  (*p)++;
  while (**p && **p != '"') {
    char c = **p;
    if (c == '\\') {
      (*p)++;
      c = **p;
      if (c == 'n') c = '\n';
      else if (c == 't') c = '\t';
      else if (c == 'u') die("\\u escapes are not supported by the C runner");
    }
    if (n + 2 > cap) {
      cap *= 2;
      out = realloc(out, cap);
      if (!out) die("out of memory");
    }
    out[n++] = c;
    (*p)++;
  }
  if (**p != '"') die("unterminated string");
  (*p)++;
  out[n] = 0;
  return out;
}

static void push(json *j, char *key, json *v) {
  j->items = realloc(j->items, (j->len + 1) * sizeof *j->items);
  j->keys = realloc(j->keys, (j->len + 1) * sizeof *j->keys);
  if (!j->items || !j->keys) die("out of memory");
  j->items[j->len] = v;
  j->keys[j->len] = key;
  j->len++;
}

static json *parse(const char **p) {
  json *j = xmalloc(sizeof *j);
  ws(p);
  if (**p == '{' || **p == '[') {
    int obj = **p == '{';
    char close = obj ? '}' : ']';
    j->t = obj ? J_OBJ : J_ARR;
    (*p)++;
    ws(p);
    while (**p != close) {
      char *key = NULL;
      if (obj) {
        key = parse_str(p);
        ws(p);
        if (**p != ':') die("expected ':'");
        (*p)++;
      }
      push(j, key, parse(p));
      ws(p);
      if (**p == ',') (*p)++, ws(p);
      else if (**p != close) die("expected ',' at '%.20s'", *p);
    }
    (*p)++;
  } else if (**p == '"') {
    j->t = J_STR;
    j->s = parse_str(p);
  } else if (!strncmp(*p, "true", 4) || !strncmp(*p, "false", 5)) {
    j->t = J_BOOL;
    j->b = **p == 't';
    *p += j->b ? 4 : 5;
  } else if (!strncmp(*p, "null", 4)) {
    j->t = J_NULL;
    *p += 4;
  } else {
    char *end;
    j->t = J_NUM;
    j->n = strtoll(*p, &end, 10);
    if (end == *p) die("bad JSON at '%.20s'", *p);
    *p = end;
  }
  return j;
}

static json *get(const json *o, const char *key) {
  if (!o || o->t != J_OBJ) return NULL;
  for (size_t i = 0; i < o->len; i++)
    if (!strcmp(o->keys[i], key)) return o->items[i];
  return NULL;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) die("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = xmalloc((size_t)n + 1);
  if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) die("cannot read %s", path);
  fclose(f);
  buf[n] = 0;
  if (len) *len = (size_t)n;
  return buf;
}

/* ---------------------------------------------------------------- results */

/* A result entry: a scalar (is_list 0, one item) or a list of canonical strings. */
typedef struct {
  char key[32];
  int is_list;
  char **items;
  size_t len;
} entry;

typedef struct {
  int is_error;
  const char *kind;
  entry e[4];
  size_t n;
} outcome;

typedef struct {
  char *name[64];
  char *value[64];
  size_t n;
} vars_t;

static entry *add(outcome *o, const char *key, int is_list) {
  entry *e = &o->e[o->n++];
  snprintf(e->key, sizeof e->key, "%s", key);
  e->is_list = is_list;
  return e;
}

static void add_item(entry *e, const char *s) {
  e->items = realloc(e->items, (e->len + 1) * sizeof *e->items);
  if (!e->items) die("out of memory");
  e->items[e->len++] = xstrdup(s ? s : "null");
}

static void scalar(outcome *o, const char *key, const char *s) { add_item(add(o, key, 0), s); }

static void scalar_u(outcome *o, const char *key, int has, unsigned v) {
  char buf[32];
  if (has) snprintf(buf, sizeof buf, "%u", v);
  scalar(o, key, has ? buf : "null");
}

/* Replaces a captured value by ${name}; `v` is kept sorted by name, like the other runners. */
static char *normalise(const char *s, const vars_t *v) {
  for (size_t k = 0; k < v->n; k++) {
    const char *val = v->value[k];
    size_t vl = strlen(val);
    if (!strcmp(s, val) || (!strncmp(s, val, vl) && s[vl] == ':')) {
      char *out = xmalloc(strlen(v->name[k]) + strlen(s) + 4);
      sprintf(out, "${%s}%s", v->name[k], s + vl);
      return out;
    }
  }
  return xstrdup(s);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *fmt_entry(const entry *e) {
  size_t total = 3;
  for (size_t i = 0; i < e->len; i++) total += strlen(e->items[i]) + 1;
  char *out = xmalloc(total);
  if (!e->is_list) return strcpy(out, e->len ? e->items[0] : "null");
  strcat(out, "[");
  for (size_t i = 0; i < e->len; i++) {
    if (i) strcat(out, ",");
    strcat(out, e->items[i]);
  }
  strcat(out, "]");
  return out;
}

static char *fmt_json(const json *j) {
  char buf[64];
  switch (j->t) {
  case J_NULL: return xstrdup("null");
  case J_BOOL: return xstrdup(j->b ? "true" : "false");
  case J_NUM: snprintf(buf, sizeof buf, "%lld", j->n); return xstrdup(buf);
  case J_STR: return xstrdup(j->s);
  case J_ARR: {
    entry e = {"", 1, NULL, 0};
    for (size_t i = 0; i < j->len; i++) add_item(&e, fmt_json(j->items[i]));
    return fmt_entry(&e);
  }
  default: return xstrdup("<object>");
  }
}

/* ---------------------------------------------------------------- steps */

static const char *faces_dir;

static unsigned char *image(const json *step, const char *key, size_t *len) {
  json *v = get(step, key);
  if (!v || v->t != J_STR) die("step needs string field %s", key);
  if (!v->s[0]) {
    *len = 0;
    return xmalloc(1);
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", faces_dir, v->s);
  return (unsigned char *)read_file(path, len);
}

static const char *var(const json *step, const char *key, const vars_t *v) {
  json *x = get(step, key);
  if (!x || x->t != J_STR) die("step needs string field %s", key);
  size_t n = strlen(x->s);
  if (n > 3 && !strncmp(x->s, "${", 2) && x->s[n - 1] == '}') {
    for (size_t i = 0; i < v->n; i++)
      if (strlen(v->name[i]) == n - 3 && !strncmp(v->name[i], x->s + 2, n - 3)) return v->value[i];
    die("unknown variable %s", x->s);
  }
  return x->s;
}

static void run_step(const necid_client_t *c, const char *op, const json *s, const vars_t *v,
                     outcome *o) {
  const char *tags[16];
  size_t ntags = 0;
  json *t = get(s, "tags");
  for (size_t i = 0; t && i < t->len && i < 16; i++) tags[ntags++] = t->items[i]->s;
  size_t len = 0, len2 = 0;
  unsigned char *img = NULL, *img2 = NULL;
  necid_status_t st = NECID_OK;
  memset(o, 0, sizeof *o);

  if (!strcmp(op, "create_tag")) {
    st = necid_create_tag(c, var(s, "name", v));
  } else if (!strcmp(op, "rename_tag")) {
    st = necid_rename_tag(c, var(s, "name", v), var(s, "new_name", v));
  } else if (!strcmp(op, "delete_tag")) {
    st = necid_delete_tag(c, var(s, "name", v));
  } else if (!strcmp(op, "list_tags")) {
    necid_tag_list_t *r = NULL;
    if ((st = necid_list_tags(c, &r)) == NECID_OK) {
      entry *e = add(o, "tags", 1);
      for (size_t i = 0; i < r->tag_count; i++) add_item(e, r->tags[i].name);
      necid_tag_list_free(r);
    }
  } else if (!strcmp(op, "register_subject") || !strcmp(op, "register_event")) {
    necid_registered_face_t *r = NULL;
    img = image(s, "image", &len);
    int subject = !strcmp(op, "register_subject");
    st = subject ? necid_register_subject(c, img, len, tags, ntags, &r)
                 : necid_register_event(c, var(s, "subject", v), img, len, tags, ntags, &r);
    if (st == NECID_OK) {
      scalar(o, "eventId", r->event_id);
      if (subject) scalar(o, "subjectId", r->subject_id);
      necid_registered_face_free(r);
    }
  } else if (!strcmp(op, "list_events")) {
    necid_event_list_t *r = NULL;
    if ((st = necid_list_events(c, var(s, "subject", v), &r)) == NECID_OK) {
      entry *e = add(o, "events", 1);
      for (size_t i = 0; i < r->event_count; i++) add_item(e, r->events[i].event_id);
      necid_event_list_free(r);
    }
  } else if (!strcmp(op, "unregister_subject")) {
    st = necid_unregister_subject(c, var(s, "subject", v));
  } else if (!strcmp(op, "search")) {
    necid_search_result_t *r = NULL;
    json *th = get(s, "threshold");
    img = image(s, "image", &len);
    st = necid_search(c, img, len, th ? (int32_t)th->n : -1, -1, tags, ntags, &r);
    if (st == NECID_OK) {
      entry *e = add(o, "candidates", 1);
      for (size_t i = 0; i < r->candidate_count; i++) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s:%u", r->candidates[i].subject_id, r->candidates[i].score);
        add_item(e, buf);
      }
      necid_search_result_free(r);
    }
  } else if (!strcmp(op, "verify_subject")) {
    necid_verification_t *r = NULL;
    img = image(s, "image", &len);
    if ((st = necid_verify_subject(c, var(s, "subject", v), img, len, &r)) == NECID_OK) {
      scalar_u(o, "score", r->has_score, r->score);
      scalar(o, "verified", r->verified ? "true" : "false");
      necid_verification_free(r);
    }
  } else if (!strcmp(op, "verify_faces")) {
    necid_face_verification_t *r = NULL;
    img = image(s, "face", &len);
    img2 = image(s, "probe", &len2);
    if ((st = necid_verify_faces(c, img, len, img2, len2, &r)) == NECID_OK) {
      scalar_u(o, "score", r->has_score, r->score);
      scalar(o, "verified", r->verified ? "true" : "false");
      necid_face_verification_free(r);
    }
  } else if (!strcmp(op, "extract_faces")) {
    necid_face_list_t *r = NULL;
    img = image(s, "image", &len);
    if ((st = necid_extract_faces(c, img, len, -1, &r)) == NECID_OK) {
      scalar_u(o, "faces", 1, (unsigned)r->face_count);
      necid_face_list_free(r);
    }
  } else {
    die("unknown op %s", op);
  }
  free(img);
  free(img2);
  if (st != NECID_OK) {
    o->is_error = 1;
    o->kind = necid_status_name((int32_t)st);
  }
}

static int cmp_entry(const void *a, const void *b) {
  return strcmp(((const entry *)a)->key, ((const entry *)b)->key);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s READY_FILE FACES_DIR SCENARIO.json...\n", argv[0]);
    return 2;
  }
  faces_dir = argv[2];
  const char *text = read_file(argv[1], NULL);
  json *info = parse(&text);
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.endpoint = get(info, "endpoint")->s;
  cfg.tenant_endpoint = get(info, "tenantEndpoint")->s;
  cfg.region = get(info, "region")->s;
  cfg.access_key_id = get(info, "accessKeyId")->s;
  cfg.secret_access_key = get(info, "secretAccessKey")->s;
  necid_client_t *tenant = NULL;
  if (necid_client_new(&cfg, &tenant) != NECID_OK) die("tenant client: %s", necid_last_error_message());
  int failed = 0;

  for (int f = 3; f < argc; f++) {
    const char *stext = read_file(argv[f], NULL);
    json *scenario = parse(&stext);
    json *steps = get(scenario, "steps");
    json *name = get(scenario, "name");
    if (!steps || steps->t != J_ARR) die("%s: no steps", argv[f]);

    char gname[64];
    snprintf(gname, sizeof gname, "scenario-c-%ld", (long)getpid());
    necid_new_gallery_t ng;
    memset(&ng, 0, sizeof ng);
    ng.name = gname;
    ng.has_size = true;
    ng.size = 1000;
    necid_gallery_t *g = NULL;
    if (necid_create_gallery(tenant, &ng, &g) != NECID_OK || !g->api_key)
      die("create gallery: %s", necid_last_error_message());
    necid_config_t gcfg = cfg;
    gcfg.api_key = g->api_key;
    necid_client_t *c = NULL;
    if (necid_client_new(&gcfg, &c) != NECID_OK) die("gallery client: %s", necid_last_error_message());

    printf("# scenario %s\n", name && name->t == J_STR ? name->s : "");
    vars_t vars;
    memset(&vars, 0, sizeof vars);
    for (size_t i = 0; i < steps->len; i++) {
      json *s = steps->items[i];
      json *opj = get(s, "op");
      if (!opj || opj->t != J_STR) die("step %zu has no op", i + 1);
      const char *op = opj->s;
      outcome o;
      run_step(c, op, s, &vars, &o);
      if (!o.is_error) {
        json *cap = get(s, "capture");
        for (size_t k = 0; cap && k < cap->len; k++) {
          for (size_t e = 0; e < o.n; e++) {
            if (!strcmp(o.e[e].key, cap->items[k]->s) && o.e[e].len == 1 && vars.n < 64) {
              vars.name[vars.n] = cap->keys[k];
              vars.value[vars.n] = xstrdup(o.e[e].items[0]);
              vars.n++;
            }
          }
        }
        /* keep variables sorted by name: normalisation tries them in that order */
        for (size_t a = 1; a < vars.n; a++)
          for (size_t b = a; b > 0 && strcmp(vars.name[b - 1], vars.name[b]) > 0; b--) {
            char *tn = vars.name[b], *tv = vars.value[b];
            vars.name[b] = vars.name[b - 1], vars.value[b] = vars.value[b - 1];
            vars.name[b - 1] = tn, vars.value[b - 1] = tv;
          }
        for (size_t e = 0; e < o.n; e++) {
          for (size_t k = 0; k < o.e[e].len; k++) o.e[e].items[k] = normalise(o.e[e].items[k], &vars);
          if (o.e[e].is_list && strcmp(o.e[e].key, "candidates"))
            qsort(o.e[e].items, o.e[e].len, sizeof(char *), cmp_str);
        }
        qsort(o.e, o.n, sizeof(entry), cmp_entry);
      }

      /* the line */
      if (o.is_error) {
        printf("%02zu %s error %s\n", i + 1, op, o.kind);
      } else {
        printf("%02zu %s ok", i + 1, op);
        for (size_t e = 0; e < o.n; e++) printf(" %s=%s", o.e[e].key, fmt_entry(&o.e[e]));
        printf("\n");
      }

      /* the check */
      json *want_err = get(s, "error");
      json *expect = get(s, "expect");
      char why[512] = "";
      if (want_err) {
        if (!o.is_error || strcmp(o.kind, want_err->s))
          snprintf(why, sizeof why, "expected error %s, got %s", want_err->s, o.is_error ? o.kind : "success");
      } else if (o.is_error) {
        snprintf(why, sizeof why, "expected success, got error %s", o.kind);
      } else {
        for (size_t k = 0; expect && k < expect->len && !why[0]; k++) {
          char *want = fmt_json(expect->items[k]);
          const char *got = NULL;
          for (size_t e = 0; e < o.n; e++)
            if (!strcmp(o.e[e].key, expect->keys[k])) got = fmt_entry(&o.e[e]);
          if (!got || strcmp(got, want))
            snprintf(why, sizeof why, "%s: expected %s, got %s", expect->keys[k], want, got ? got : "(none)");
        }
      }
      if (why[0]) {
        fprintf(stderr, "c runner: %s: step %zu (%s): %s\n", argv[f], i + 1, op, why);
        failed = 1;
      }
    }
    necid_client_free(c);
    if (necid_delete_gallery(tenant, g->id) != NECID_OK) die("delete gallery: %s", necid_last_error_message());
    necid_gallery_free(g);
  }
  necid_client_free(tenant);
  fflush(stdout);
  return failed;
}
