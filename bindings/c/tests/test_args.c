/*
 * NULL and invalid arguments: every entry point answers NECID_ERR_INVALID_INPUT (naming
 * the argument), sets its out-pointer to NULL and sends nothing. The client points at a
 * closed port, so a request that slipped through would show up as NECID_ERR_NETWORK.
 */
#define _XOPEN_SOURCE 700

#include <string.h>

#include "harness.h"

static necid_client_t *client;
static h_image img;
static const char bad_utf8[] = {(char)0xC3, (char)0x28, 0}; /* invalid 2-byte sequence */

#define CHECK_INVALID(call, field)                                                   \
  do {                                                                               \
    CHECK_STATUS(call, NECID_ERR_INVALID_INPUT);                                     \
    CHECK_STR(necid_last_error_field(), field);                                      \
    CHECK(necid_last_error_message() != NULL);                                       \
  } while (0)

/* A non-NULL garbage value, to check out-pointers are reset to NULL on failure. */
#define POISON(p) ((p) = (void *)&poison)
static int poison;

static void test_config(void) {
  necid_client_t *c = NULL;
  CHECK_INVALID(necid_client_new(NULL, &c), "config");
  CHECK(c == NULL);
  necid_config_t cfg;
  necid_config_init(&cfg);
  CHECK_INVALID(necid_client_new(&cfg, NULL), "out_client");

  cfg.endpoint = bad_utf8;
  POISON(c);
  CHECK_INVALID(necid_client_new(&cfg, &c), "endpoint");
  CHECK(c == NULL);
  cfg.endpoint = "not a url";
  CHECK_INVALID(necid_client_new(&cfg, &c), "endpoint");
  cfg.endpoint = "http://127.0.0.1:1";
  cfg.access_key_id = "AKID";
  CHECK_INVALID(necid_client_new(&cfg, &c), "secret_access_key");
  cfg.secret_access_key = bad_utf8;
  CHECK_INVALID(necid_client_new(&cfg, &c), "secret_access_key");
  cfg.secret_access_key = "secret\n";
  CHECK_INVALID(necid_client_new(&cfg, &c), "secret_access_key");
  CHECK(!h_contains(necid_last_error_message(), "secret\n"));
  cfg.secret_access_key = "secret";
  cfg.api_key = bad_utf8;
  CHECK_INVALID(necid_client_new(&cfg, &c), "api_key");
  cfg.api_key = NULL;
  cfg.region = bad_utf8;
  CHECK_INVALID(necid_client_new(&cfg, &c), "region");
  cfg.region = "";
  CHECK_INVALID(necid_client_new(&cfg, &c), "region");
  cfg.region = NULL;
  cfg.user_agent_suffix = "bad\r\nheader";
  CHECK_INVALID(necid_client_new(&cfg, &c), "user_agent_suffix");
  cfg.user_agent_suffix = NULL;
  /* Defaults fill the rest: a valid client, no I/O. */
  CHECK_OK(necid_client_new(&cfg, &c));
  CHECK(c != NULL);
  necid_client_free(c);

  CHECK_INVALID(necid_client_from_env(NULL), "out_client");
  CHECK_INVALID(necid_client_from_profile("default", NULL), "out_client");
  /* The Retry-After cap is a field like the others (0: the default). */
  cfg.max_retry_after_ms = 1500;
  CHECK_OK(necid_client_new(&cfg, &c));
  necid_client_free(c);
  cfg.max_retry_after_ms = 0;
}

static void test_null_client(void) {
  void *out;
  POISON(out);
  CHECK_INVALID(necid_health(NULL, (necid_health_t **)&out), "client");
  CHECK(out == NULL);
  CHECK_INVALID(necid_list_tags(NULL, (necid_tag_list_t **)&out), "client");
  CHECK_INVALID(necid_create_tag(NULL, "x"), "client");
  CHECK_INVALID(necid_rename_tag(NULL, "x", "y"), "client");
  CHECK_INVALID(necid_delete_tag(NULL, "x"), "client");
  CHECK_INVALID(necid_list_subjects(NULL, 0, 10, NECID_SORT_ASC, (necid_subject_page_t **)&out),
                "client");
  CHECK_INVALID(necid_subjects_paginator_new(NULL, 10, NECID_SORT_ASC,
                                             (necid_subjects_paginator_t **)&out),
                "client");
  CHECK_INVALID(necid_register_subject(NULL, img.data, img.len, NULL, 0,
                                       (necid_registered_face_t **)&out),
                "client");
  CHECK_INVALID(necid_update_subject(NULL, "s", img.data, img.len, NULL, 0,
                                     (necid_registered_face_t **)&out),
                "client");
  CHECK_INVALID(necid_unregister_subject(NULL, "s"), "client");
  CHECK_INVALID(necid_list_events(NULL, "s", (necid_event_list_t **)&out), "client");
  CHECK_INVALID(necid_register_event(NULL, "s", img.data, img.len, NULL, 0,
                                     (necid_registered_face_t **)&out),
                "client");
  CHECK_INVALID(necid_update_event(NULL, "s", "e", img.data, img.len, NULL, 0,
                                   (necid_registered_face_t **)&out),
                "client");
  CHECK_INVALID(necid_unregister_event(NULL, "s", "e"), "client");
  CHECK_INVALID(necid_extract_faces(NULL, img.data, img.len, -1, (necid_face_list_t **)&out),
                "client");
  CHECK_INVALID(necid_search(NULL, img.data, img.len, -1, -1, NULL, 0,
                             (necid_search_result_t **)&out),
                "client");
  CHECK_INVALID(necid_verify_subject(NULL, "s", img.data, img.len,
                                     (necid_verification_t **)&out),
                "client");
  CHECK_INVALID(necid_verify_faces(NULL, img.data, img.len, img.data, img.len,
                                   (necid_face_verification_t **)&out),
                "client");
  necid_bulk_registration_t reg = {"a.jpg", NULL, 0};
  CHECK_INVALID(necid_bulk_register(NULL, &reg, 1, (char **)&out), "client");
  CHECK_INVALID(necid_bulk_register_progress(NULL, "b", NULL,
                                             (necid_bulk_progress_page_t **)&out),
                "client");
  CHECK_INVALID(necid_bulk_progress_paginator_new(NULL, "b",
                                                  (necid_bulk_progress_paginator_t **)&out),
                "client");
  CHECK_INVALID(necid_wait_for_bulk_register(NULL, "b", NULL, NULL, NULL,
                                             (necid_bulk_progress_t **)&out),
                "client");
  CHECK_INVALID(necid_sign_request(NULL, "GET", "https://example.invalid/", NULL, 0, NULL, 0,
                                   (necid_header_list_t **)&out),
                "client");
  CHECK_INVALID(necid_sign_request_at(NULL, "GET", "https://example.invalid/", NULL, 0, NULL, 0,
                                      0, (necid_header_list_t **)&out),
                "client");
  CHECK_INVALID(necid_list_galleries(NULL, (necid_gallery_list_t **)&out), "client");
  CHECK_INVALID(necid_get_gallery(NULL, "g", (necid_gallery_details_t **)&out), "client");
  necid_new_gallery_t ng;
  memset(&ng, 0, sizeof ng);
  ng.name = "g";
  CHECK_INVALID(necid_create_gallery(NULL, &ng, (necid_gallery_t **)&out), "client");
  necid_gallery_update_t gu;
  memset(&gu, 0, sizeof gu);
  CHECK_INVALID(necid_update_gallery(NULL, "g", &gu, (necid_gallery_t **)&out), "client");
  CHECK_INVALID(necid_delete_gallery(NULL, "g"), "client");
  CHECK_INVALID(necid_list_applications(NULL, (necid_application_list_t **)&out), "client");
  CHECK_INVALID(necid_get_application(NULL, "a", (necid_application_t **)&out), "client");
  necid_new_application_t na;
  memset(&na, 0, sizeof na);
  na.name = "a";
  na.gallery_id = "g";
  CHECK_INVALID(necid_create_application(NULL, &na, (necid_application_t **)&out), "client");
  necid_application_update_t au;
  memset(&au, 0, sizeof au);
  CHECK_INVALID(necid_update_application(NULL, "a", &au, (necid_application_t **)&out),
                "client");
  CHECK_INVALID(necid_delete_application(NULL, "a"), "client");
  CHECK(out == NULL);
}

static void test_null_out(void) {
  CHECK_INVALID(necid_health(client, NULL), "out_health");
  CHECK_INVALID(necid_list_tags(client, NULL), "out_tags");
  CHECK_INVALID(necid_list_subjects(client, 0, 10, NECID_SORT_ASC, NULL), "out_page");
  CHECK_INVALID(necid_subjects_paginator_new(client, 10, NECID_SORT_ASC, NULL), "out_paginator");
  CHECK_INVALID(necid_subjects_paginator_next(NULL, NULL), "out_page");
  CHECK_INVALID(necid_register_subject(client, img.data, img.len, NULL, 0, NULL), "out_face");
  CHECK_INVALID(necid_update_subject(client, "s", img.data, img.len, NULL, 0, NULL), "out_face");
  CHECK_INVALID(necid_list_events(client, "s", NULL), "out_events");
  CHECK_INVALID(necid_register_event(client, "s", img.data, img.len, NULL, 0, NULL), "out_face");
  CHECK_INVALID(necid_update_event(client, "s", "e", img.data, img.len, NULL, 0, NULL),
                "out_face");
  CHECK_INVALID(necid_extract_faces(client, img.data, img.len, -1, NULL), "out_faces");
  CHECK_INVALID(necid_search(client, img.data, img.len, -1, -1, NULL, 0, NULL), "out_result");
  CHECK_INVALID(necid_verify_subject(client, "s", img.data, img.len, NULL), "out_verification");
  CHECK_INVALID(necid_verify_faces(client, img.data, img.len, img.data, img.len, NULL),
                "out_verification");
  necid_bulk_registration_t reg = {"a.jpg", NULL, 0};
  CHECK_INVALID(necid_bulk_register(client, &reg, 1, NULL), "out_batch_id");
  CHECK_INVALID(necid_bulk_register_progress(client, "b", NULL, NULL), "out_page");
  CHECK_INVALID(necid_bulk_progress_paginator_new(client, "b", NULL), "out_paginator");
  CHECK_INVALID(necid_bulk_progress_paginator_next(NULL, NULL), "out_page");
  CHECK_INVALID(necid_wait_for_bulk_register(client, "b", NULL, NULL, NULL, NULL),
                "out_progress");
  CHECK_INVALID(necid_sign_request(client, "GET", "https://x.invalid/", NULL, 0, NULL, 0, NULL),
                "out_headers");
  CHECK_INVALID(necid_list_galleries(client, NULL), "out_galleries");
  CHECK_INVALID(necid_get_gallery(client, "g", NULL), "out_gallery");
  CHECK_INVALID(necid_list_applications(client, NULL), "out_applications");
  CHECK_INVALID(necid_get_application(client, "a", NULL), "out_application");
}

static void test_strings(void) {
  void *out;
  CHECK_INVALID(necid_create_tag(client, NULL), "name");
  CHECK_INVALID(necid_create_tag(client, bad_utf8), "name");
  CHECK_INVALID(necid_create_tag(client, ""), "name"); /* the core's own validation */
  CHECK_INVALID(necid_rename_tag(client, NULL, "y"), "old_name");
  CHECK_INVALID(necid_rename_tag(client, "x", bad_utf8), "new_name");
  CHECK_INVALID(necid_delete_tag(client, bad_utf8), "name");
  CHECK_INVALID(necid_unregister_subject(client, NULL), "subject_id");
  CHECK_INVALID(necid_unregister_subject(client, bad_utf8), "subject_id");
  POISON(out);
  CHECK_INVALID(necid_list_events(client, NULL, (necid_event_list_t **)&out), "subject_id");
  CHECK(out == NULL);
  CHECK_INVALID(necid_update_subject(client, NULL, img.data, img.len, NULL, 0,
                                     (necid_registered_face_t **)&out),
                "subject_id");
  CHECK_INVALID(necid_update_event(client, "s", NULL, img.data, img.len, NULL, 0,
                                   (necid_registered_face_t **)&out),
                "event_id");
  CHECK_INVALID(necid_unregister_event(client, "s", bad_utf8), "event_id");
  CHECK_INVALID(necid_verify_subject(client, bad_utf8, img.data, img.len,
                                     (necid_verification_t **)&out),
                "subject_id");
  CHECK_INVALID(necid_bulk_register_progress(client, NULL, NULL,
                                             (necid_bulk_progress_page_t **)&out),
                "batch_id");
  CHECK_INVALID(necid_bulk_register_progress(client, "b", bad_utf8,
                                             (necid_bulk_progress_page_t **)&out),
                "paging_id");
  CHECK_INVALID(necid_wait_for_bulk_register(client, NULL, NULL, NULL, NULL,
                                             (necid_bulk_progress_t **)&out),
                "batch_id");
  CHECK_INVALID(necid_get_gallery(client, NULL, (necid_gallery_details_t **)&out), "gallery_id");
  CHECK_INVALID(necid_delete_gallery(client, bad_utf8), "gallery_id");
  CHECK_INVALID(necid_get_application(client, bad_utf8, (necid_application_t **)&out),
                "application_id");
  CHECK_INVALID(necid_delete_application(client, NULL), "application_id");
}

static void test_images(void) {
  void *out;
  POISON(out);
  CHECK_INVALID(necid_register_subject(client, NULL, 10, NULL, 0,
                                       (necid_registered_face_t **)&out),
                "face");
  CHECK(out == NULL);
  CHECK_INVALID(necid_register_subject(client, NULL, 0, NULL, 0,
                                       (necid_registered_face_t **)&out),
                "face");
  CHECK_INVALID(necid_register_subject(client, img.data, 0, NULL, 0,
                                       (necid_registered_face_t **)&out),
                "face");
  CHECK(h_contains(necid_last_error_message(), "empty"));
  CHECK_INVALID(necid_extract_faces(client, img.data, 0, -1, (necid_face_list_t **)&out),
                "image");
  CHECK_INVALID(necid_search(client, NULL, 0, -1, -1, NULL, 0, (necid_search_result_t **)&out),
                "probe");
  CHECK_INVALID(necid_verify_subject(client, "s", img.data, 0, (necid_verification_t **)&out),
                "probe");
  CHECK_INVALID(necid_verify_faces(client, NULL, 0, img.data, img.len,
                                   (necid_face_verification_t **)&out),
                "face");
  CHECK_INVALID(necid_verify_faces(client, img.data, img.len, img.data, 0,
                                   (necid_face_verification_t **)&out),
                "probe");
  CHECK_INVALID(necid_register_event(client, "s", img.data, 0, NULL, 0,
                                     (necid_registered_face_t **)&out),
                "face");
  CHECK_INVALID(necid_update_event(client, "s", "e", NULL, 5, NULL, 0,
                                   (necid_registered_face_t **)&out),
                "face");
  /* Unrecognised bytes are refused by the core before sending. */
  const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8};
  CHECK_INVALID(necid_register_subject(client, junk, sizeof junk, NULL, 0,
                                       (necid_registered_face_t **)&out),
                "face");
}

static void test_arrays_and_ranges(void) {
  void *out;
  POISON(out);
  CHECK_INVALID(necid_register_subject(client, img.data, img.len, NULL, 2,
                                       (necid_registered_face_t **)&out),
                "tags");
  CHECK(out == NULL);
  const char *tags_with_null[] = {"ok", NULL};
  CHECK_INVALID(necid_register_subject(client, img.data, img.len, tags_with_null, 2,
                                       (necid_registered_face_t **)&out),
                "tags[1]");
  const char *tags_bad[] = {bad_utf8};
  CHECK_INVALID(necid_search(client, img.data, img.len, -1, -1, tags_bad, 1,
                             (necid_search_result_t **)&out),
                "tags[0]");
  CHECK_INVALID(necid_list_subjects(client, 0, 10, 2, (necid_subject_page_t **)&out), "dir");
  CHECK_INVALID(necid_list_subjects(client, 0, 10, -1, (necid_subject_page_t **)&out), "dir");
  CHECK_INVALID(necid_subjects_paginator_new(client, 10, 7, (necid_subjects_paginator_t **)&out),
                "dir");
  CHECK_INVALID(necid_list_subjects(client, 0, 0, NECID_SORT_ASC, (necid_subject_page_t **)&out),
                "length");
  CHECK_INVALID(necid_list_subjects(client, 0, 1001, NECID_SORT_ASC,
                                    (necid_subject_page_t **)&out),
                "length");
  CHECK_INVALID(necid_search(client, img.data, img.len, -1, 51, NULL, 0,
                             (necid_search_result_t **)&out),
                "limit");
  CHECK_INVALID(necid_search(client, img.data, img.len, -1, 0, NULL, 0,
                             (necid_search_result_t **)&out),
                "limit");
  CHECK_INVALID(necid_extract_faces(client, img.data, img.len, 21, (necid_face_list_t **)&out),
                "limit");

  CHECK_INVALID(necid_bulk_register(client, NULL, 3, (char **)&out), "registrations");
  necid_bulk_registration_t regs[2] = {{"a.jpg", NULL, 0}, {NULL, NULL, 0}};
  CHECK_INVALID(necid_bulk_register(client, regs, 2, (char **)&out), "registrations[1].filename");
  necid_bulk_registration_t regs2[1] = {{"a.jpg", NULL, 1}};
  CHECK_INVALID(necid_bulk_register(client, regs2, 1, (char **)&out), "registrations[0].tags");
  CHECK(out == NULL);

  /* Paginator handles. */
  CHECK_INVALID(necid_subjects_paginator_next(NULL, (necid_subject_page_t **)&out), "paginator");
  CHECK_INVALID(necid_bulk_progress_paginator_next(NULL, (necid_bulk_progress_page_t **)&out),
                "paginator");

  /* Tenant bodies. */
  CHECK_INVALID(necid_create_gallery(client, NULL, (necid_gallery_t **)&out), "gallery");
  necid_new_gallery_t ng;
  memset(&ng, 0, sizeof ng);
  CHECK_INVALID(necid_create_gallery(client, &ng, (necid_gallery_t **)&out), "gallery.name");
  ng.name = "g";
  ng.description = bad_utf8;
  CHECK_INVALID(necid_create_gallery(client, &ng, (necid_gallery_t **)&out),
                "gallery.description");
  CHECK_INVALID(necid_update_gallery(client, "g", NULL, (necid_gallery_t **)&out), "update");
  necid_new_application_t na;
  memset(&na, 0, sizeof na);
  na.name = "a";
  CHECK_INVALID(necid_create_application(client, &na, (necid_application_t **)&out),
                "application.gallery_id");
  CHECK_INVALID(necid_create_application(client, NULL, (necid_application_t **)&out),
                "application");
  CHECK_INVALID(necid_update_application(client, "a", NULL, (necid_application_t **)&out),
                "update");
}

static void test_signing_args(void) {
  void *out;
  POISON(out);
  CHECK_INVALID(necid_sign_request(client, NULL, "https://x.invalid/", NULL, 0, NULL, 0,
                                   (necid_header_list_t **)&out),
                "method");
  CHECK(out == NULL);
  CHECK_INVALID(necid_sign_request(client, "GET", NULL, NULL, 0, NULL, 0,
                                   (necid_header_list_t **)&out),
                "url");
  CHECK_INVALID(necid_sign_request(client, "GET", "not a url", NULL, 0, NULL, 0,
                                   (necid_header_list_t **)&out),
                "url");
  CHECK_INVALID(necid_sign_request(client, "G E T", "https://x.invalid/", NULL, 0, NULL, 0,
                                   (necid_header_list_t **)&out),
                "method");
  CHECK_INVALID(necid_sign_request(client, "GET", "https://x.invalid/", NULL, 1, NULL, 0,
                                   (necid_header_list_t **)&out),
                "headers");
  necid_header_t h[1] = {{"x-a", NULL}};
  CHECK_INVALID(necid_sign_request(client, "GET", "https://x.invalid/", h, 1, NULL, 0,
                                   (necid_header_list_t **)&out),
                "headers[0].value");
  CHECK_INVALID(necid_sign_request(client, "POST", "https://x.invalid/", NULL, 0, NULL, 4,
                                   (necid_header_list_t **)&out),
                "body");
  CHECK_INVALID(necid_sign_request_at(client, "GET", "https://x.invalid/", NULL, 0, NULL, 0, -1,
                                      (necid_header_list_t **)&out),
                "unix_time_secs");

  /* No credentials: signing is impossible, and says so. */
  necid_config_t cfg;
  necid_config_init(&cfg);
  necid_client_t *anon = NULL;
  CHECK_OK(necid_client_new(&cfg, &anon));
  CHECK_INVALID(necid_sign_request(anon, "GET", "https://x.invalid/", NULL, 0, NULL, 0,
                                   (necid_header_list_t **)&out),
                "credentials");
  necid_client_free(anon);
}

static void test_free_null_and_accessors(void) {
  /* Every free function accepts NULL. */
  necid_client_free(NULL);
  necid_subjects_paginator_free(NULL);
  necid_bulk_progress_paginator_free(NULL);
  necid_registered_face_free(NULL);
  necid_subject_page_free(NULL);
  necid_event_list_free(NULL);
  necid_face_list_free(NULL);
  necid_search_result_free(NULL);
  necid_verification_free(NULL);
  necid_face_verification_free(NULL);
  necid_tag_list_free(NULL);
  necid_bulk_progress_page_free(NULL);
  necid_bulk_progress_free(NULL);
  necid_health_free(NULL);
  necid_header_list_free(NULL);
  necid_gallery_free(NULL);
  necid_gallery_list_free(NULL);
  necid_gallery_details_free(NULL);
  necid_application_free(NULL);
  necid_application_list_free(NULL);
  necid_string_free(NULL);
  /* necid_last_error_code tolerates NULL too. */
  CHECK_STATUS(necid_create_tag(client, NULL), NECID_ERR_INVALID_INPUT);
  CHECK(!necid_last_error_code(NULL));
  /* Free functions and accessors do not clear the last error. */
  CHECK(necid_last_error_status() == NECID_ERR_INVALID_INPUT);
}

int main(void) {
  char endpoint[64];
  h_closed_endpoint(endpoint, sizeof endpoint);
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.endpoint = endpoint;
  cfg.access_key_id = "AKIDARGS";
  cfg.secret_access_key = "args-secret";
  cfg.api_key = "args-api-key";
  cfg.max_attempts = 1;
  if (necid_client_new(&cfg, &client) != NECID_OK) h_abort();
  img = h_face("obama.jpg");

  RUN(test_config);
  RUN(test_null_client);
  RUN(test_null_out);
  RUN(test_strings);
  RUN(test_images);
  RUN(test_arrays_and_ranges);
  RUN(test_signing_args);
  RUN(test_free_null_and_accessors);

  h_image_free(&img);
  necid_client_free(client);
  return h_finish();
}
