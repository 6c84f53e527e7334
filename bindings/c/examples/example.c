/*
 * necid C example: register a face, search for it, verify it.
 *
 *   export NECID_ENDPOINT=... NECID_ACCESS_KEY_ID=... NECID_SECRET_ACCESS_KEY=... NECID_API_KEY=...
 *   necid_example face.jpg [other.jpg]
 *
 * With `other.jpg`, also verifies that a different face does not match.
 * Exit status: 0 on success, 1 on any error (the message is printed).
 */
#include <stdio.h>
#include <stdlib.h>

#include "necid.h"

/* Prints the thread-local details of the last error and returns 1. */
static int report(const char *what, necid_status_t status) {
  int64_t code = 0;
  fprintf(stderr, "%s failed: %s: %s\n", what, necid_status_name((int32_t)status),
          necid_last_error_message() ? necid_last_error_message() : "(no message)");
  if (necid_last_error_http_status() != 0)
    fprintf(stderr, "  HTTP status %u\n", (unsigned)necid_last_error_http_status());
  if (necid_last_error_code(&code))
    fprintf(stderr, "  errorCode %lld (%s)\n", (long long)code,
            necid_last_error_type() ? necid_last_error_type() : "?");
  if (necid_last_error_request_id())
    fprintf(stderr, "  request id %s\n", necid_last_error_request_id());
  return 1;
}

static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf = NULL;
  long size;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
    buf = (unsigned char *)malloc((size_t)size);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
      free(buf);
      buf = NULL;
    }
    *len = (size_t)size;
  }
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  necid_client_t *client = NULL;
  necid_registered_face_t *registered = NULL;
  necid_search_result_t *hits = NULL;
  necid_verification_t *verification = NULL;
  necid_status_t st;
  unsigned char *face = NULL, *other = NULL;
  size_t face_len = 0, other_len = 0, i;
  int rc = 1;

  if (argc < 2) {
    fprintf(stderr, "usage: %s FACE_IMAGE [OTHER_FACE_IMAGE]\n", argv[0]);
    return 2;
  }
  face = read_file(argv[1], &face_len);
  if (!face) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  if (argc > 2 && !(other = read_file(argv[2], &other_len))) {
    fprintf(stderr, "cannot read %s\n", argv[2]);
    free(face);
    return 1;
  }

  /* Configuration from NECID_* variables (or ~/.necid/config). */
  if ((st = necid_client_from_env(&client)) != NECID_OK) {
    rc = report("necid_client_from_env", st);
    goto out;
  }

  /* 1. Register the face as a new subject. */
  if ((st = necid_register_subject(client, face, face_len, NULL, 0, &registered)) != NECID_OK) {
    rc = report("register", st);
    goto out;
  }
  printf("registered subject %s (event %s)", registered->subject_id,
         registered->event_id ? registered->event_id : "?");
  if (registered->has_attributes && registered->attributes.has_face_quality_score)
    printf(", face quality %.3f", registered->attributes.face_quality_score);
  printf("\n");

  /* 2. Search the gallery with the same image (service default threshold and limit). */
  if ((st = necid_search(client, face, face_len, -1, -1, NULL, 0, &hits)) != NECID_OK) {
    rc = report("search", st);
    goto out;
  }
  printf("search: %zu candidate(s)\n", hits->candidate_count);
  for (i = 0; i < hits->candidate_count; i++)
    printf("  %s score %u\n", hits->candidates[i].subject_id, hits->candidates[i].score);

  /* 3. Verify the face against the registered subject (no match is not an error). */
  if ((st = necid_verify_subject(client, registered->subject_id, face, face_len,
                                 &verification)) != NECID_OK) {
    rc = report("verify", st);
    goto out;
  }
  printf("verify same face: %s", verification->verified ? "verified" : "not verified");
  if (verification->has_score) printf(" (score %u)", verification->score);
  printf("\n");
  if (!verification->verified) goto out;
  necid_verification_free(verification);
  verification = NULL;

  if (other) {
    if ((st = necid_verify_subject(client, registered->subject_id, other, other_len,
                                   &verification)) != NECID_OK) {
      rc = report("verify other", st);
      goto out;
    }
    printf("verify other face: %s\n", verification->verified ? "verified" : "not verified");
    if (verification->verified) goto out;
  }

  /* Clean up the subject again. */
  if ((st = necid_unregister_subject(client, registered->subject_id)) != NECID_OK) {
    rc = report("unregister", st);
    goto out;
  }
  printf("unregistered %s\n", registered->subject_id);
  rc = 0;

out:
  necid_verification_free(verification);
  necid_search_result_free(hits);
  necid_registered_face_free(registered);
  necid_client_free(client);
  free(face);
  free(other);
  return rc;
}
