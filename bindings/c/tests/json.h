/* A small JSON reader for the tests (signing vectors). Not part of the library. */
#ifndef NECID_TEST_JSON_H
#define NECID_TEST_JSON_H

#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } j_type;

typedef struct j_value {
  j_type type;
  int boolean;
  double number;
  char *string;            /* J_STRING (UTF-8, NUL-terminated; may contain no NUL) */
  size_t string_len;
  struct j_value *items;   /* J_ARRAY / J_OBJECT values */
  char **keys;             /* J_OBJECT keys */
  size_t count;
} j_value;

/* Parses `text`; returns NULL on a syntax error. Free with j_free. */
j_value *j_parse(const char *text);
void j_free(j_value *v);
/* Object member by key, or NULL. */
const j_value *j_get(const j_value *obj, const char *key);
/* String member by key, or NULL if absent / not a string. */
const char *j_str(const j_value *obj, const char *key);

#endif
