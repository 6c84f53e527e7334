/*
 * Issue 16's spec gaps against the emulator: tags changed and cleared without a new face
 * (tags NULL = not sent, non-NULL with tag_count 0 = cleared; face NULL = no new face),
 * rename tag in both reference forms (`rename_tag_form`; the default falls back on a v1.1
 * deployment, `necid serve --rename-tag-routes`), and a bulk record's raw attributesJson
 * kept when it does not decode (a `rewrite` fault rule). The list length is the caller's
 * in C (no default to change).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static h_image obama;

/* How many candidates a search for obama.jpg finds with these tags (0 tags: any). */
static size_t found(necid_client_t *c, const char *const *tags, size_t n, const char *sid) {
  necid_search_result_t *r = NULL;
  CHECK_OK(necid_search(c, obama.data, obama.len, -1, -1, tags, n, &r));
  size_t hits = 0;
  for (size_t i = 0; r && i < r->candidate_count; i++)
    hits += h_streq(r->candidates[i].subject_id, sid);
  necid_search_result_free(r);
  return hits;
}

static void test_tags_change_and_clear_without_a_new_face(void) {
  h_emulator emu;
  h_emulator_start(&emu);
  necid_client_t *c = h_client(&emu, NULL);
  CHECK_OK(necid_create_tag(c, "staff"));
  CHECK_OK(necid_create_tag(c, "visitor"));
  const char *staff[] = {"staff"};
  const char *visitor[] = {"visitor"};
  const char *none[] = {NULL}; /* a non-NULL array of 0 tags: clears them */
  necid_registered_face_t *reg = NULL;
  CHECK_OK(necid_register_subject(c, obama.data, obama.len, staff, 1, &reg));
  REQUIRE(reg != NULL);
  char sid[128], eid[128];
  snprintf(sid, sizeof sid, "%s", reg->subject_id);
  snprintf(eid, sizeof eid, "%s", reg->event_id);
  necid_registered_face_free(reg);

  necid_registered_face_t *up = NULL;
  CHECK_OK(necid_update_subject(c, sid, NULL, 0, visitor, 1, &up));
  CHECK(up != NULL && h_streq(up->subject_id, sid) && h_streq(up->event_id, eid));
  necid_registered_face_free(up);
  CHECK(found(c, visitor, 1, sid) == 1);
  CHECK(found(c, staff, 1, sid) == 0);
  /* A new face with tags NULL: not sent, kept. */
  CHECK_OK(necid_update_subject(c, sid, obama.data, obama.len, NULL, 0, &up));
  necid_registered_face_free(up);
  CHECK(found(c, visitor, 1, sid) == 1);
  /* Cleared. */
  CHECK_OK(necid_update_subject(c, sid, NULL, 0, none, 0, &up));
  necid_registered_face_free(up);
  CHECK(found(c, visitor, 1, sid) == 0);
  CHECK(found(c, NULL, 0, sid) == 1);

  necid_event_list_t *events = NULL;
  CHECK_OK(necid_list_events(c, sid, &events));
  REQUIRE(events != NULL && events->event_count == 1);
  snprintf(eid, sizeof eid, "%s", events->events[0].event_id);
  necid_event_list_free(events);
  CHECK_OK(necid_update_event(c, sid, eid, NULL, 0, staff, 1, &up));
  necid_registered_face_free(up);
  CHECK(found(c, staff, 1, sid) == 1);
  CHECK_OK(necid_update_event(c, sid, eid, NULL, 0, none, 0, &up));
  necid_registered_face_free(up);
  CHECK(found(c, staff, 1, sid) == 0);

  /* Neither: refused before sending; NULL with a count is a bad argument. */
  up = (necid_registered_face_t *)(void *)&up;
  CHECK_STATUS(necid_update_subject(c, sid, NULL, 0, NULL, 0, &up), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "face");
  CHECK(up == NULL);
  CHECK_STATUS(necid_update_subject(c, sid, NULL, 0, NULL, 2, &up), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "tags");
  CHECK_STATUS(necid_update_subject(c, sid, NULL, 5, staff, 1, &up), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "face");
  necid_client_free(c);
  h_emulator_stop(&emu);
}

static int tags_are(necid_client_t *c, const char *only) {
  necid_tag_list_t *t = NULL;
  int ok = necid_list_tags(c, &t) == NECID_OK && t && t->tag_count == 1 &&
           h_streq(t->tags[0].name, only);
  necid_tag_list_free(t);
  return ok;
}

static necid_client_t *client_with_form(const h_emulator *emu, const char *form) {
  necid_config_t cfg;
  necid_emulator_config(emu->handle, NULL, &cfg);
  cfg.max_attempts = 1;
  cfg.rename_tag_form = form;
  necid_client_t *c = NULL;
  CHECK_OK(necid_client_new(&cfg, &c));
  return c;
}

static void rename_against(const char *routes) {
  printf("   --rename-tag-routes %s\n", routes);
  const char *extra[] = {"--rename-tag-routes", routes, NULL};
  h_emulator emu;
  h_emulator_start_with(&emu, extra);
  necid_client_t *c = h_client(&emu, NULL); /* rename_tag_form NULL: "auto" */
  CHECK_OK(necid_create_tag(c, "staff"));
  CHECK_OK(necid_rename_tag(c, "staff", "employees"));
  CHECK_OK(necid_rename_tag(c, "employees", "team a"));
  CHECK(tags_are(c, "team a"));
  const char *forms[2] = {"body", "path"};
  int served[2] = {strcmp(routes, "path") != 0, strcmp(routes, "body") != 0};
  for (int i = 0; i < 2; i++) {
    necid_client_t *fixed = client_with_form(&emu, forms[i]);
    if (served[i]) {
      CHECK_OK(necid_rename_tag(fixed, "team a", "team b"));
      CHECK_OK(necid_rename_tag(fixed, "team b", "team a"));
    } else {
      CHECK_STATUS(necid_rename_tag(fixed, "team a", "team b"), NECID_ERR_AUTH);
      CHECK(necid_last_error_http_status() == 403);
    }
    necid_client_free(fixed);
  }
  CHECK(tags_are(c, "team a"));
  CHECK_STATUS(necid_rename_tag(c, "ghost", "spirit"), NECID_ERR_NOT_FOUND);
  necid_client_free(c);
  h_emulator_stop(&emu);
}

static void test_rename_tag_against_either_reference_revision(void) {
  rename_against("both");
  rename_against("body");
  rename_against("path");
  necid_config_t cfg;
  necid_config_init(&cfg);
  cfg.rename_tag_form = "sideways";
  necid_client_t *c = NULL;
  CHECK_STATUS(necid_client_new(&cfg, &c), NECID_ERR_INVALID_INPUT);
  CHECK_STR(necid_last_error_field(), "rename_tag_form");
}

static void test_bulk_progress_keeps_an_unreadable_attributes_json(void) {
  h_emulator emu;
  h_emulator_start_faults(&emu,
                          "[{\"method\": \"GET\", \"path\": \"/v1.1/jobs/bulkregister/**\", "
                          "\"fault\": \"rewrite\", \"set\": {\"/processed/*/attributesJson\": "
                          "\"...\"}}]",
                          NULL);
  h_put_bucket_file(&emu, "default", "obama.jpg", obama.data, obama.len);
  necid_client_t *c = h_client(&emu, NULL);
  necid_bulk_registration_t reg = {"obama.jpg", NULL, 0};
  char *batch = NULL;
  CHECK_OK(necid_bulk_register(c, &reg, 1, &batch));
  REQUIRE(batch != NULL);
  necid_wait_options_t opts = {20, 100, 120000};
  necid_bulk_progress_t *done = NULL;
  CHECK_OK(necid_wait_for_bulk_register(c, batch, &opts, NULL, NULL, &done));
  REQUIRE(done != NULL && done->record_count == 1);
  CHECK(done->records[0].succeeded);
  CHECK(!done->records[0].has_attributes);
  CHECK_STR(done->records[0].attributes_json, "...");
  necid_bulk_progress_free(done);
  necid_string_free(batch);
  necid_client_free(c);
  h_emulator_stop(&emu);

  /* Without the rule: decoded, no raw text. */
  h_emulator_start(&emu);
  h_put_bucket_file(&emu, "default", "obama.jpg", obama.data, obama.len);
  c = h_client(&emu, NULL);
  CHECK_OK(necid_bulk_register(c, &reg, 1, &batch));
  CHECK_OK(necid_wait_for_bulk_register(c, batch, &opts, NULL, NULL, &done));
  REQUIRE(done != NULL && done->record_count == 1);
  CHECK(done->records[0].has_attributes);
  CHECK(done->records[0].attributes_json == NULL);
  necid_bulk_progress_free(done);
  necid_string_free(batch);
  necid_client_free(c);
  h_emulator_stop(&emu);
}

int main(void) {
  obama = h_face("obama.jpg");
  RUN(test_tags_change_and_clear_without_a_new_face);
  RUN(test_rename_tag_against_either_reference_revision);
  RUN(test_bulk_progress_keeps_an_unreadable_attributes_json);
  h_image_free(&obama);
  return h_finish();
}
