#include "json.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *p;
  int ok;
} parser;

static void skip_ws(parser *ps) {
  while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t') ps->p++;
}

static void free_value(j_value *v) {
  size_t i;
  free(v->string);
  for (i = 0; i < v->count; i++) {
    free_value(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  int i;
  for (i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

static size_t put_utf8(char *out, unsigned cp) {
  if (cp < 0x80) { out[0] = (char)cp; return 1; }
  if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F)); return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static char *parse_string(parser *ps, size_t *len_out) {
  const char *p = ps->p + 1; /* after the quote */
  size_t cap = strlen(p) + 1, n = 0;
  char *out = (char *)malloc(cap);
  if (!out) { ps->ok = 0; return NULL; }
  while (*p && *p != '"') {
    if (*p == '\\') {
      p++;
      switch (*p) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
          unsigned cp, lo;
          if (!hex4(p + 1, &cp)) { ps->ok = 0; free(out); return NULL; }
          p += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF && p[1] == '\\' && p[2] == 'u' && hex4(p + 3, &lo)) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
          }
          n += put_utf8(out + n, cp);
          break;
        }
        default: ps->ok = 0; free(out); return NULL;
      }
      p++;
    } else {
      out[n++] = *p++;
    }
  }
  if (*p != '"') { ps->ok = 0; free(out); return NULL; }
  out[n] = '\0';
  ps->p = p + 1;
  *len_out = n;
  return out;
}

static void parse_value(parser *ps, j_value *v);

static void push(parser *ps, j_value *v, char *key, size_t *cap) {
  if (v->count == *cap) {
    size_t ncap = *cap ? *cap * 2 : 4;
    j_value *items = (j_value *)realloc(v->items, ncap * sizeof *items);
    if (!items) { ps->ok = 0; free(key); return; }
    v->items = items;
    if (v->type == J_OBJECT) {
      char **keys = (char **)realloc(v->keys, ncap * sizeof *keys);
      if (!keys) { ps->ok = 0; free(key); return; }
      v->keys = keys;
    }
    *cap = ncap;
  }
  memset(&v->items[v->count], 0, sizeof v->items[0]);
  if (v->type == J_OBJECT) v->keys[v->count] = key;
  v->count++;
  parse_value(ps, &v->items[v->count - 1]);
}

static void parse_value(parser *ps, j_value *v) {
  skip_ws(ps);
  if (!ps->ok) return;
  if (*ps->p == '{' || *ps->p == '[') {
    char close = *ps->p == '{' ? '}' : ']';
    size_t cap = 0;
    v->type = *ps->p == '{' ? J_OBJECT : J_ARRAY;
    ps->p++;
    skip_ws(ps);
    if (*ps->p == close) { ps->p++; return; }
    for (;;) {
      char *key = NULL;
      skip_ws(ps);
      if (v->type == J_OBJECT) {
        size_t klen;
        if (*ps->p != '"') { ps->ok = 0; return; }
        key = parse_string(ps, &klen);
        if (!ps->ok) return;
        skip_ws(ps);
        if (*ps->p != ':') { ps->ok = 0; free(key); return; }
        ps->p++;
      }
      push(ps, v, key, &cap);
      if (!ps->ok) return;
      skip_ws(ps);
      if (*ps->p == ',') { ps->p++; continue; }
      if (*ps->p == close) { ps->p++; return; }
      ps->ok = 0;
      return;
    }
  } else if (*ps->p == '"') {
    v->type = J_STRING;
    v->string = parse_string(ps, &v->string_len);
  } else if (strncmp(ps->p, "null", 4) == 0) {
    v->type = J_NULL; ps->p += 4;
  } else if (strncmp(ps->p, "true", 4) == 0) {
    v->type = J_BOOL; v->boolean = 1; ps->p += 4;
  } else if (strncmp(ps->p, "false", 5) == 0) {
    v->type = J_BOOL; ps->p += 5;
  } else {
    char *end;
    v->type = J_NUMBER;
    v->number = strtod(ps->p, &end);
    if (end == ps->p) ps->ok = 0;
    ps->p = end;
  }
}

j_value *j_parse(const char *text) {
  parser ps;
  j_value *v = (j_value *)calloc(1, sizeof *v);
  if (!v) return NULL;
  ps.p = text;
  ps.ok = 1;
  parse_value(&ps, v);
  skip_ws(&ps);
  if (!ps.ok || *ps.p) { j_free(v); return NULL; }
  return v;
}

void j_free(j_value *v) {
  if (!v) return;
  free_value(v);
  free(v);
}

const j_value *j_get(const j_value *obj, const char *key) {
  size_t i;
  if (!obj || obj->type != J_OBJECT) return NULL;
  for (i = 0; i < obj->count; i++)
    if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
  return NULL;
}

const char *j_str(const j_value *obj, const char *key) {
  const j_value *v = j_get(obj, key);
  return v && v->type == J_STRING ? v->string : NULL;
}
