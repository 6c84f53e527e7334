/* Every operation of the C API against a real emulator over loopback HTTP. */
#define _XOPEN_SOURCE 700

#include <stdlib.h>
#include <string.h>

#include "harness.h"

static h_emulator emu;
static necid_client_t *client;
static h_image obama, obama2, obama3, biden, astronaut;

static void test_version_and_health(void) {
  CHECK_STR(necid_version(), "0.1.0");
  necid_health_t *health = NULL;
  CHECK_OK(necid_health(client, &health));
  REQUIRE(health != NULL);
  CHECK(health->ok);
  CHECK_STR(health->status, "OK");
  necid_health_free(health);
  CHECK(necid_last_error_message() == NULL);
  CHECK(necid_last_error_status() == NECID_OK);
}

static void test_tags(void) {
  CHECK_OK(necid_create_tag(client, "staff"));
  CHECK_OK(necid_create_tag(client, "visitor"));
  CHECK_OK(necid_create_tag(client, "temp"));
  CHECK_OK(necid_rename_tag(client, "temp", "contractor"));
  necid_tag_list_t *tags = NULL;
  CHECK_OK(necid_list_tags(client, &tags));
  REQUIRE(tags != NULL);
  int staff = 0, visitor = 0, contractor = 0, temp = 0;
  for (size_t i = 0; i < tags->tag_count; i++) {
    staff += h_streq(tags->tags[i].name, "staff");
    visitor += h_streq(tags->tags[i].name, "visitor");
    contractor += h_streq(tags->tags[i].name, "contractor");
    temp += h_streq(tags->tags[i].name, "temp");
  }
  CHECK(tags->tag_count == 3);
  CHECK(staff == 1 && visitor == 1 && contractor == 1 && temp == 0);
  necid_tag_list_free(tags);
  CHECK_OK(necid_delete_tag(client, "contractor"));
  CHECK_OK(necid_list_tags(client, &tags));
  REQUIRE(tags != NULL);
  CHECK(tags->tag_count == 2);
  necid_tag_list_free(tags);
}

static void test_subjects_and_events(void) {
  const char *staff[] = {"staff"};
  necid_registered_face_t *reg = NULL;
  CHECK_OK(necid_register_subject(client, obama.data, obama.len, staff, 1, &reg));
  REQUIRE(reg != NULL);
  CHECK(reg->subject_id && strlen(reg->subject_id) > 0);
  CHECK(reg->event_id != NULL);
  CHECK(reg->has_attributes);
  CHECK(reg->attributes.has_face_area);
  CHECK(reg->attributes.face_area.right > reg->attributes.face_area.left);
  CHECK(reg->attributes.face_area.bottom > reg->attributes.face_area.top);
  CHECK(reg->attributes.has_face_quality_score);
  CHECK(reg->attributes.face_quality_score > 0.0 && reg->attributes.face_quality_score <= 1.0);
  CHECK(reg->attributes.has_right_eye_center && reg->attributes.has_left_eye_center);
  char *subject = strdup(reg->subject_id);
  char *first_event = strdup(reg->event_id ? reg->event_id : "");
  necid_registered_face_free(reg);

  /* Events: add one, list, update it, delete it. */
  necid_registered_face_t *ev = NULL;
  CHECK_OK(necid_register_event(client, subject, obama2.data, obama2.len, NULL, 0, &ev));
  REQUIRE(ev != NULL && ev->event_id != NULL);
  CHECK_STR(ev->subject_id, subject);
  char *second_event = strdup(ev->event_id);
  CHECK(strcmp(second_event, first_event) != 0);
  necid_registered_face_free(ev);

  necid_event_list_t *events = NULL;
  CHECK_OK(necid_list_events(client, subject, &events));
  REQUIRE(events != NULL);
  CHECK(events->event_count == 2);
  int found_first = 0, found_second = 0;
  for (size_t i = 0; i < events->event_count; i++) {
    found_first += h_streq(events->events[i].event_id, first_event);
    found_second += h_streq(events->events[i].event_id, second_event);
  }
  CHECK(found_first == 1 && found_second == 1);
  necid_event_list_free(events);

  necid_registered_face_t *up = NULL;
  CHECK_OK(necid_update_event(client, subject, second_event, obama3.data, obama3.len, staff, 1,
                              &up));
  REQUIRE(up != NULL);
  CHECK_STR(up->subject_id, subject);
  necid_registered_face_free(up);

  necid_verification_t *v = NULL;
  CHECK_OK(necid_verify_subject(client, subject, obama3.data, obama3.len, &v));
  REQUIRE(v != NULL);
  CHECK(v->verified);
  necid_verification_free(v);

  CHECK_OK(necid_unregister_event(client, subject, second_event));
  CHECK_OK(necid_list_events(client, subject, &events));
  REQUIRE(events != NULL);
  CHECK(events->event_count == 1);
  necid_event_list_free(events);

  /* Update the subject itself, then unregister it. */
  CHECK_OK(necid_update_subject(client, subject, astronaut.data, astronaut.len, NULL, 0, &up));
  REQUIRE(up != NULL);
  CHECK_STR(up->subject_id, subject);
  necid_registered_face_free(up);
  CHECK_OK(necid_unregister_subject(client, subject));
  CHECK_STATUS(necid_unregister_subject(client, subject), NECID_ERR_NOT_FOUND);
  CHECK(necid_last_error_http_status() == 404);

  free(subject);
  free(first_event);
  free(second_event);
}

static void test_search_verify_extract(void) {
  const char *staff[] = {"staff"};
  const char *visitor[] = {"visitor"};
  const char *both[] = {"staff", "visitor"};
  necid_registered_face_t *o = NULL, *b = NULL;
  CHECK_OK(necid_register_subject(client, obama.data, obama.len, staff, 1, &o));
  CHECK_OK(necid_register_subject(client, biden.data, biden.len, visitor, 1, &b));
  REQUIRE(o != NULL && b != NULL);

  necid_search_result_t *r = NULL;
  CHECK_OK(necid_search(client, obama.data, obama.len, -1, -1, NULL, 0, &r));
  REQUIRE(r != NULL);
  CHECK(r->candidate_count == 1);
  if (r->candidate_count == 1) {
    CHECK_STR(r->candidates[0].subject_id, o->subject_id);
    CHECK(r->candidates[0].score >= 7000 && r->candidates[0].score <= 9999);
  }
  CHECK(r->has_attributes && r->attributes.has_face_area);
  necid_search_result_free(r);

  /* No candidate: OK with an empty list (NULL array, count 0). */
  CHECK_OK(necid_search(client, astronaut.data, astronaut.len, -1, -1, NULL, 0, &r));
  REQUIRE(r != NULL);
  CHECK(r->candidate_count == 0 && r->candidates == NULL);
  necid_search_result_free(r);

  /* Threshold 0: everyone, best first. */
  CHECK_OK(necid_search(client, biden.data, biden.len, 0, 50, NULL, 0, &r));
  REQUIRE(r != NULL);
  CHECK(r->candidate_count == 2);
  if (r->candidate_count == 2) {
    CHECK_STR(r->candidates[0].subject_id, b->subject_id);
    CHECK(r->candidates[0].score >= r->candidates[1].score);
  }
  necid_search_result_free(r);
  /* Tags filter (OR) and limit. */
  CHECK_OK(necid_search(client, biden.data, biden.len, 0, -1, staff, 1, &r));
  REQUIRE(r != NULL);
  CHECK(r->candidate_count == 1);
  if (r->candidate_count == 1) CHECK_STR(r->candidates[0].subject_id, o->subject_id);
  necid_search_result_free(r);
  CHECK_OK(necid_search(client, biden.data, biden.len, 0, -1, both, 2, &r));
  REQUIRE(r != NULL);
  CHECK(r->candidate_count == 2);
  necid_search_result_free(r);
  CHECK_OK(necid_search(client, biden.data, biden.len, 0, 1, NULL, 0, &r));
  REQUIRE(r != NULL);
  CHECK(r->candidate_count == 1);
  necid_search_result_free(r);

  /* Verify against a subject: match and no match (not an error). */
  necid_verification_t *v = NULL;
  CHECK_OK(necid_verify_subject(client, o->subject_id, obama.data, obama.len, &v));
  REQUIRE(v != NULL);
  CHECK(v->verified);
  CHECK(v->has_score && v->score >= 7000);
  CHECK_STR(v->subject_id, o->subject_id);
  necid_verification_free(v);
  CHECK_OK(necid_verify_subject(client, o->subject_id, biden.data, biden.len, &v));
  REQUIRE(v != NULL);
  CHECK(!v->verified);
  necid_verification_free(v);

  /* Face to face. */
  necid_face_verification_t *fv = NULL;
  CHECK_OK(necid_verify_faces(client, obama.data, obama.len, obama.data, obama.len, &fv));
  REQUIRE(fv != NULL);
  CHECK(fv->verified && fv->has_score && fv->score >= 9000);
  necid_face_verification_free(fv);
  CHECK_OK(necid_verify_faces(client, obama.data, obama.len, astronaut.data, astronaut.len, &fv));
  REQUIRE(fv != NULL);
  /* The emulator answers face-to-face verify with a bare {score}. */
  CHECK(fv->has_score && fv->score < 7000);
  necid_face_verification_free(fv);

  /* Extract. */
  necid_face_list_t *faces = NULL;
  CHECK_OK(necid_extract_faces(client, astronaut.data, astronaut.len, 5, &faces));
  REQUIRE(faces != NULL);
  CHECK(faces->face_count >= 1 && faces->face_count <= 5);
  if (faces->face_count >= 1) {
    CHECK(faces->faces[0].has_face_area);
    CHECK(faces->faces[0].has_face_score);
  }
  necid_face_list_free(faces);
  h_image strip = h_data("strip.png");
  CHECK_OK(necid_extract_faces(client, strip.data, strip.len, -1, &faces));
  REQUIRE(faces != NULL);
  CHECK(faces->face_count == 2);
  necid_face_list_free(faces);
  CHECK_OK(necid_extract_faces(client, strip.data, strip.len, 1, &faces));
  REQUIRE(faces != NULL);
  CHECK(faces->face_count == 1);
  necid_face_list_free(faces);
  h_image_free(&strip);

  CHECK_OK(necid_unregister_subject(client, o->subject_id));
  CHECK_OK(necid_unregister_subject(client, b->subject_id));
  necid_registered_face_free(o);
  necid_registered_face_free(b);
}

static void test_list_subjects_and_paginator(void) {
  /* A gallery of its own, so the counts are exact. */
  necid_new_gallery_t g;
  memset(&g, 0, sizeof g);
  g.name = "paging";
  necid_gallery_t *gallery = NULL;
  CHECK_OK(necid_create_gallery(client, &g, &gallery));
  REQUIRE(gallery != NULL && gallery->api_key != NULL);
  necid_client_t *c = h_client(&emu, gallery->api_key);

  char *ids[5];
  h_image *imgs[5] = {&obama, &obama2, &obama3, &biden, &astronaut};
  for (int i = 0; i < 5; i++) {
    necid_registered_face_t *r = NULL;
    CHECK_OK(necid_register_subject(c, imgs[i]->data, imgs[i]->len, NULL, 0, &r));
    REQUIRE(r != NULL);
    ids[i] = strdup(r->subject_id);
    necid_registered_face_free(r);
  }
  necid_subject_page_t *page = NULL;
  CHECK_OK(necid_list_subjects(c, 0, 2, NECID_SORT_ASC, &page));
  REQUIRE(page != NULL);
  CHECK(page->subject_count == 2);
  CHECK(page->total == 5);
  for (size_t i = 0; i < page->subject_count; i++) {
    CHECK_STR(page->subjects[i].status, "A");
    CHECK(page->subjects[i].active);
    CHECK(page->subjects[i].event_id != NULL);
  }
  necid_subject_page_free(page);
  CHECK_OK(necid_list_subjects(c, 0, 1000, NECID_SORT_DESC, &page));
  REQUIRE(page != NULL);
  CHECK(page->subject_count == 5);
  necid_subject_page_free(page);

  /* The paginator visits every row exactly once, 2 at a time: 3 pages. */
  necid_subjects_paginator_t *p = NULL;
  CHECK_OK(necid_subjects_paginator_new(c, 2, NECID_SORT_ASC, &p));
  REQUIRE(p != NULL);
  int pages = 0, seen[5] = {0, 0, 0, 0, 0};
  for (;;) {
    necid_subject_page_t *pg = NULL;
    necid_status_t st = necid_subjects_paginator_next(p, &pg);
    CHECK_OK(st);
    if (st != NECID_OK || pg == NULL) break;
    pages++;
    for (size_t i = 0; i < pg->subject_count; i++)
      for (int k = 0; k < 5; k++) seen[k] += h_streq(pg->subjects[i].subject_id, ids[k]);
    necid_subject_page_free(pg);
  }
  CHECK(pages == 3);
  for (int k = 0; k < 5; k++) CHECK(seen[k] == 1);
  /* Exhausted: stays at the end. */
  necid_subject_page_t *after = NULL;
  CHECK_OK(necid_subjects_paginator_next(p, &after));
  CHECK(after == NULL);
  necid_subjects_paginator_free(p);

  /* A deleted subject stays listed with status D. */
  CHECK_OK(necid_unregister_subject(c, ids[0]));
  CHECK_OK(necid_list_subjects(c, 0, 1000, NECID_SORT_ASC, &page));
  REQUIRE(page != NULL);
  int deleted = 0;
  for (size_t i = 0; i < page->subject_count; i++)
    if (h_streq(page->subjects[i].subject_id, ids[0])) {
      deleted++;
      CHECK_STR(page->subjects[i].status, "D");
      CHECK(!page->subjects[i].active);
    }
  CHECK(deleted == 1);
  necid_subject_page_free(page);

  for (int i = 0; i < 5; i++) free(ids[i]);
  necid_client_free(c);
  char *gid = strdup(gallery->id);
  necid_gallery_free(gallery);
  CHECK_OK(necid_delete_gallery(client, gid));
  free(gid);
}

typedef struct progress_log {
  int calls;
  int batch_id_matches;
  size_t last_total;
  char batch_id[128];
  int nested_call_ok;
} progress_log;

static void on_progress(const necid_bulk_progress_t *p, void *user_data) {
  progress_log *log = (progress_log *)user_data;
  log->calls++;
  log->batch_id_matches += h_streq(p->batch_id, log->batch_id);
  log->last_total = p->record_count;
  /* The callback runs on the caller's thread: calling the library from it works. */
  necid_health_t *h = NULL;
  if (necid_health(client, &h) == NECID_OK && h && h->ok) log->nested_call_ok++;
  necid_health_free(h);
}

static void test_bulk_register(void) {
  h_put_bucket_file(&emu, "default", "obama.jpg", obama.data, obama.len);
  h_put_bucket_file(&emu, "default", "biden.jpg", biden.data, biden.len);
  h_put_bucket_file(&emu, "default", "notes.txt", (const uint8_t *)"not an image", 12);
  CHECK_OK(necid_create_tag(client, "bulk"));
  const char *bulk_tags[] = {"bulk"};
  necid_bulk_registration_t regs[4] = {
      {"obama.jpg", bulk_tags, 1},
      {"biden.jpg", NULL, 0},
      {"notes.txt", NULL, 0},
      {"missing.jpg", NULL, 0},
  };
  char *batch = NULL;
  CHECK_OK(necid_bulk_register(client, regs, 4, &batch));
  REQUIRE(batch != NULL && strlen(batch) > 0);

  progress_log log;
  memset(&log, 0, sizeof log);
  snprintf(log.batch_id, sizeof log.batch_id, "%s", batch);
  necid_wait_options_t opts = {20, 200, 120000};
  necid_bulk_progress_t *done = NULL;
  CHECK_OK(necid_wait_for_bulk_register(client, batch, &opts, on_progress, &log, &done));
  REQUIRE(done != NULL);
  CHECK(log.calls >= 1);
  CHECK(log.batch_id_matches == log.calls);
  CHECK(log.nested_call_ok == log.calls);
  CHECK(log.last_total == 4);
  CHECK(done->done);
  CHECK_STR(done->batch_id, batch);
  CHECK(done->record_count == 4);
  CHECK(done->processed == 4);
  CHECK(done->succeeded == 2);
  CHECK(done->failed == 2);
  for (size_t i = 0; i < done->record_count; i++) {
    const necid_job_status_t *rec = &done->records[i];
    CHECK(rec->processed);
    CHECK_STR(rec->status, "Processed");
    if (h_streq(rec->filename, "obama.jpg") || h_streq(rec->filename, "biden.jpg")) {
      CHECK(rec->succeeded);
      CHECK(rec->subject_id != NULL && rec->event_id != NULL);
      CHECK_STR(rec->register_status, "Success");
    } else {
      CHECK(!rec->succeeded);
      CHECK(rec->reason != NULL && strlen(rec->reason) > 0);
    }
  }
  necid_bulk_progress_free(done);

  /* Registered subjects carry their tags. */
  necid_search_result_t *r = NULL;
  CHECK_OK(necid_search(client, obama.data, obama.len, -1, -1, bulk_tags, 1, &r));
  REQUIRE(r != NULL);
  CHECK(r->candidate_count == 1);
  necid_search_result_free(r);

  /* One progress page, and the paginator over all pages. */
  necid_bulk_progress_page_t *page = NULL;
  CHECK_OK(necid_bulk_register_progress(client, batch, NULL, &page));
  REQUIRE(page != NULL);
  CHECK_STR(page->batch_id, batch);
  CHECK(page->record_count == 4);
  CHECK(page->last_evaluated_key == NULL);
  necid_bulk_progress_page_free(page);

  necid_bulk_progress_paginator_t *p = NULL;
  CHECK_OK(necid_bulk_progress_paginator_new(client, batch, &p));
  REQUIRE(p != NULL);
  size_t records = 0;
  int pages = 0;
  for (;;) {
    necid_bulk_progress_page_t *pg = NULL;
    necid_status_t st = necid_bulk_progress_paginator_next(p, &pg);
    CHECK_OK(st);
    if (st != NECID_OK || !pg) break;
    pages++;
    records += pg->record_count;
    necid_bulk_progress_page_free(pg);
  }
  CHECK(pages == 1);
  CHECK(records == 4);
  necid_bulk_progress_paginator_free(p);

  /* A callback is optional; options may be NULL (defaults). Already done: one poll. */
  CHECK_OK(necid_wait_for_bulk_register(client, batch, NULL, NULL, NULL, &done));
  REQUIRE(done != NULL);
  CHECK(done->done && done->record_count == 4);
  necid_bulk_progress_free(done);

  necid_string_free(batch);
}

static void test_tenant(void) {
  necid_gallery_list_t *gl = NULL;
  CHECK_OK(necid_list_galleries(client, &gl));
  REQUIRE(gl != NULL);
  size_t before = gl->gallery_count;
  int has_default = 0;
  for (size_t i = 0; i < gl->gallery_count; i++) has_default += h_streq(gl->galleries[i].id, "default");
  CHECK(has_default == 1);
  necid_gallery_list_free(gl);

  necid_new_gallery_t ng;
  memset(&ng, 0, sizeof ng);
  ng.name = "Y10";
  ng.description = "Year 10";
  ng.has_face_minimum_quality_score = true;
  ng.face_minimum_quality_score = 0.6;
  ng.has_size = true;
  ng.size = 1000;
  necid_gallery_t *g = NULL;
  CHECK_OK(necid_create_gallery(client, &ng, &g));
  REQUIRE(g != NULL);
  CHECK_STR(g->name, "Y10");
  CHECK_STR(g->description, "Year 10");
  CHECK(g->has_size && g->size == 1000);
  CHECK(g->api_key != NULL);
  char *gid = strdup(g->id);

  /* The new gallery's key opens an empty, separate gallery. */
  necid_client_t *gc = h_client(&emu, g->api_key);
  necid_subject_page_t *page = NULL;
  CHECK_OK(necid_list_subjects(gc, 0, 10, NECID_SORT_ASC, &page));
  REQUIRE(page != NULL);
  CHECK(page->subject_count == 0);
  necid_subject_page_free(page);
  necid_client_free(gc);
  necid_gallery_free(g);

  necid_gallery_update_t gu;
  memset(&gu, 0, sizeof gu);
  gu.name = "Year10";
  gu.has_size = true;
  gu.size = 2000;
  CHECK_OK(necid_update_gallery(client, gid, &gu, &g));
  REQUIRE(g != NULL);
  CHECK_STR(g->name, "Year10");
  CHECK(g->has_size && g->size == 2000);
  CHECK_STR(g->description, "Year 10");
  necid_gallery_free(g);

  necid_gallery_details_t *d = NULL;
  CHECK_OK(necid_get_gallery(client, gid, &d));
  REQUIRE(d != NULL);
  CHECK_STR(d->gallery.id, gid);
  CHECK_STR(d->gallery.name, "Year10");
  CHECK(d->application_count >= 1);
  necid_gallery_details_free(d);

  CHECK_OK(necid_list_galleries(client, &gl));
  REQUIRE(gl != NULL);
  CHECK(gl->gallery_count == before + 1);
  necid_gallery_list_free(gl);

  /* Applications. */
  necid_new_application_t na;
  memset(&na, 0, sizeof na);
  na.name = "Building";
  na.description = "Doors";
  na.gallery_id = gid;
  na.has_face_minimum_quality_score = true;
  na.face_minimum_quality_score = 0.7;
  necid_application_t *app = NULL;
  CHECK_OK(necid_create_application(client, &na, &app));
  REQUIRE(app != NULL);
  CHECK_STR(app->name, "Building");
  CHECK(app->api_key != NULL);
  CHECK(app->has_face_minimum_quality_score);
  char *aid = strdup(app->id);
  necid_application_free(app);

  CHECK_OK(necid_get_application(client, aid, &app));
  REQUIRE(app != NULL);
  CHECK_STR(app->id, aid);
  CHECK_STR(app->description, "Doors");
  necid_application_free(app);

  necid_application_update_t au;
  memset(&au, 0, sizeof au);
  au.name = "Gate";
  CHECK_OK(necid_update_application(client, aid, &au, &app));
  REQUIRE(app != NULL);
  CHECK_STR(app->name, "Gate");
  necid_application_free(app);

  necid_application_list_t *al = NULL;
  CHECK_OK(necid_list_applications(client, &al));
  REQUIRE(al != NULL);
  int found = 0;
  for (size_t i = 0; i < al->application_count; i++) found += h_streq(al->applications[i].id, aid);
  CHECK(found == 1);
  necid_application_list_free(al);

  CHECK_OK(necid_delete_application(client, aid));
  CHECK_STATUS(necid_get_application(client, aid, &app), NECID_ERR_NOT_FOUND);
  CHECK(app == NULL);
  CHECK_OK(necid_delete_gallery(client, gid));
  CHECK_STATUS(necid_get_gallery(client, gid, &d), NECID_ERR_NOT_FOUND);
  CHECK(d == NULL);
  free(aid);
  free(gid);
}

static void test_client_from_env(void) {
  setenv("NECID_ENDPOINT", emu.endpoint, 1);
  setenv("NECID_TENANT_ENDPOINT", emu.tenant_endpoint, 1);
  setenv("NECID_ACCESS_KEY_ID", emu.access_key_id, 1);
  setenv("NECID_SECRET_ACCESS_KEY", emu.secret_access_key, 1);
  setenv("NECID_API_KEY", emu.api_key, 1);
  setenv("NECID_REGION", emu.region, 1);
  setenv("NECID_CONFIG_FILE", "/nonexistent/necid-config", 1);
  unsetenv("NECID_PROFILE");
  necid_client_t *c = NULL;
  CHECK_OK(necid_client_from_env(&c));
  REQUIRE(c != NULL);
  necid_tag_list_t *tags = NULL;
  CHECK_OK(necid_list_tags(c, &tags));
  CHECK(tags != NULL);
  necid_tag_list_free(tags);
  necid_client_free(c);

  /* A bad value in the environment is an InvalidInput naming the variable's setting. */
  setenv("NECID_ENDPOINT", "ftp://nope", 1);
  c = NULL;
  CHECK_STATUS(necid_client_from_env(&c), NECID_ERR_INVALID_INPUT);
  CHECK(c == NULL);
  CHECK_STR(necid_last_error_field(), "endpoint");
  unsetenv("NECID_ENDPOINT");
}

static void test_client_from_profile(void) {
  char path[] = "/tmp/necid-c-profile-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  FILE *f = fdopen(fd, "w");
  REQUIRE(f != NULL);
  fprintf(f,
          "[default]\nendpoint = https://example.invalid\n\n[profile emu]\nendpoint = %s\n"
          "tenant_endpoint = %s\naccess_key_id = %s\nsecret_access_key = %s\napi_key = %s\n"
          "region = %s\nmax_retry_after = 2\n",
          emu.endpoint, emu.tenant_endpoint, emu.access_key_id, emu.secret_access_key,
          emu.api_key, emu.region);
  fclose(f);
  setenv("NECID_CONFIG_FILE", path, 1);
  unsetenv("NECID_PROFILE");
  /* The environment is not read by from_profile (only the file and profile names). */
  setenv("NECID_ENDPOINT", "ftp://not-read", 1);
  necid_client_t *c = NULL;
  CHECK_OK(necid_client_from_profile("emu", &c));
  REQUIRE(c != NULL);
  necid_tag_list_t *tags = NULL;
  CHECK_OK(necid_list_tags(c, &tags));
  CHECK(tags != NULL);
  necid_tag_list_free(tags);
  necid_client_free(c);

  /* NULL: NECID_PROFILE, else "default". */
  setenv("NECID_PROFILE", "emu", 1);
  c = NULL;
  CHECK_OK(necid_client_from_profile(NULL, &c));
  CHECK(c != NULL);
  necid_client_free(c);
  unsetenv("NECID_PROFILE");

  c = NULL;
  CHECK_STATUS(necid_client_from_profile("nope", &c), NECID_ERR_INVALID_INPUT);
  CHECK(c == NULL);
  CHECK_STR(necid_last_error_field(), "profile");
  CHECK(h_contains(necid_last_error_message(), "no profile [nope]"));
  unsetenv("NECID_ENDPOINT");
  setenv("NECID_CONFIG_FILE", "/nonexistent/necid-config", 1);
  remove(path);
}

static void test_sign_request_against_emulator(void) {
  /* Headers from necid_sign_request authenticate a hand-made request: we check them
     structurally here; test_signing.c checks exact signatures. */
  necid_header_t in[] = {{"content-type", "application/json"}};
  necid_header_list_t *out = NULL;
  char url[512];
  snprintf(url, sizeof url, "%s/v1.1/tags", emu.endpoint);
  CHECK_OK(necid_sign_request(client, "GET", url, in, 1, NULL, 0, &out));
  REQUIRE(out != NULL);
  int auth = 0, date = 0, key = 0;
  for (size_t i = 0; i < out->header_count; i++) {
    if (h_streq(out->headers[i].name, "authorization")) {
      auth++;
      CHECK(h_contains(out->headers[i].value, "AWS4-HMAC-SHA256 Credential="));
      CHECK(h_contains(out->headers[i].value, emu.access_key_id));
      CHECK(!h_contains(out->headers[i].value, emu.secret_access_key));
    }
    date += h_streq(out->headers[i].name, "x-amz-date");
    if (h_streq(out->headers[i].name, "x-api-key")) {
      key++;
      CHECK_STR(out->headers[i].value, emu.api_key);
    }
  }
  CHECK(auth == 1 && date == 1 && key == 1);
  necid_header_list_free(out);
}

int main(void) {
  h_emulator_start(&emu);
  client = h_client(&emu, NULL);
  obama = h_face("obama.jpg");
  obama2 = h_face("obama2.jpg");
  obama3 = h_face("obama3.jpg");
  biden = h_face("biden.jpg");
  astronaut = h_face("astronaut.png");

  RUN(test_version_and_health);
  RUN(test_tags);
  RUN(test_subjects_and_events);
  RUN(test_search_verify_extract);
  RUN(test_list_subjects_and_paginator);
  RUN(test_bulk_register);
  RUN(test_tenant);
  RUN(test_client_from_env);
  RUN(test_client_from_profile);
  RUN(test_sign_request_against_emulator);

  h_image_free(&obama);
  h_image_free(&obama2);
  h_image_free(&obama3);
  h_image_free(&biden);
  h_image_free(&astronaut);
  necid_client_free(client);
  h_emulator_stop(&emu);
  return h_finish();
}
