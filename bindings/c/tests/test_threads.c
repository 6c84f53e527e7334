/*
 * 8 threads share one client: every thread registers, verifies, searches, lists and
 * unregisters its own subjects, and provokes its own errors, checking that the
 * thread-local last error is its own and not another thread's.
 */
#define _XOPEN_SOURCE 700

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define THREADS 8

/* Rounds per thread: 3, or NECID_TEST_ROUNDS (the valgrind run uses 1 to stay quick). */
static int rounds = 3;

static h_emulator emu;
static necid_client_t *shared_client;
static h_image images[5];

typedef struct worker {
  int index;
  int ok;       /* steps that went as expected */
  int failures; /* steps that did not */
  char first_failure[256];
} worker;

static void step(worker *w, int cond, const char *what) {
  if (cond) {
    w->ok++;
  } else {
    if (w->failures++ == 0) {
      const char *msg = necid_last_error_message();
      snprintf(w->first_failure, sizeof w->first_failure, "%s (%s)", what, msg ? msg : "-");
    }
  }
}

static void *run_worker(void *arg) {
  worker *w = (worker *)arg;
  const h_image *img = &images[w->index % 5];
  char missing[64];
  snprintf(missing, sizeof missing, "missing-subject-of-thread-%d", w->index);

  for (int round = 0; round < rounds; round++) {
    necid_registered_face_t *reg = NULL;
    step(w, necid_register_subject(shared_client, img->data, img->len, NULL, 0, &reg) == NECID_OK &&
                reg != NULL,
         "register");
    if (!reg) continue;

    necid_verification_t *v = NULL;
    step(w, necid_verify_subject(shared_client, reg->subject_id, img->data, img->len, &v) ==
                    NECID_OK &&
                v && v->verified && h_streq(v->subject_id, reg->subject_id),
         "verify");
    necid_verification_free(v);

    necid_event_list_t *ev = NULL;
    step(w, necid_list_events(shared_client, reg->subject_id, &ev) == NECID_OK && ev &&
                ev->event_count == 1,
         "list_events");
    necid_event_list_free(ev);

    necid_search_result_t *r = NULL;
    int found = 0;
    if (necid_search(shared_client, img->data, img->len, -1, 50, NULL, 0, &r) == NECID_OK && r) {
      for (size_t i = 0; i < r->candidate_count; i++)
        found += h_streq(r->candidates[i].subject_id, reg->subject_id);
    }
    step(w, found == 1, "search finds own subject");
    necid_search_result_free(r);

    /* An error of this thread's own: its message names this thread's subject id. */
    ev = NULL;
    step(w, necid_list_events(shared_client, missing, &ev) == NECID_ERR_NOT_FOUND && ev == NULL,
         "not found");
    step(w, necid_last_error_status() == NECID_ERR_NOT_FOUND &&
                necid_last_error_http_status() == 404 &&
                h_contains(necid_last_error_message(), missing),
         "own last error (NotFound)");

    /* A different kind on alternate threads, checked after other threads' calls. */
    if (w->index % 2 == 0) {
      step(w, necid_search(shared_client, img->data, img->len, 10000, -1, NULL, 0, &r) ==
                      NECID_ERR_INVALID_INPUT,
           "invalid threshold");
      step(w, h_streq(necid_last_error_field(), "threshold") &&
                  necid_last_error_http_status() == 0,
           "own last error (InvalidInput)");
    }

    step(w, necid_unregister_subject(shared_client, reg->subject_id) == NECID_OK, "unregister");
    step(w, necid_last_error_message() == NULL, "success clears own last error");
    necid_registered_face_free(reg);
  }
  return NULL;
}

static void test_eight_threads_share_one_client(void) {
  pthread_t threads[THREADS];
  worker workers[THREADS];
  for (int i = 0; i < THREADS; i++) {
    memset(&workers[i], 0, sizeof workers[i]);
    workers[i].index = i;
    REQUIRE(pthread_create(&threads[i], NULL, run_worker, &workers[i]) == 0);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  for (int i = 0; i < THREADS; i++) {
    int expected = rounds * (i % 2 == 0 ? 10 : 8);
    if (workers[i].failures)
      fprintf(stderr, "thread %d: %d failed step(s), first: %s\n", i, workers[i].failures,
              workers[i].first_failure);
    CHECK(workers[i].failures == 0);
    CHECK(workers[i].ok == expected);
  }
  /* The main thread's last error was untouched by the workers. */
  CHECK(necid_last_error_message() == NULL);
  /* Every subject was unregistered: only deleted rows remain. */
  necid_subject_page_t *page = NULL;
  CHECK_OK(necid_list_subjects(shared_client, 0, 1000, NECID_SORT_ASC, &page));
  REQUIRE(page != NULL);
  CHECK(page->subject_count == (size_t)(THREADS * rounds));
  for (size_t i = 0; i < page->subject_count; i++) CHECK(!page->subjects[i].active);
  necid_subject_page_free(page);
}

int main(void) {
  const char *r = getenv("NECID_TEST_ROUNDS");
  if (r && atoi(r) > 0) rounds = atoi(r);
  h_emulator_start(&emu);
  shared_client = h_client(&emu, NULL);
  const char *names[5] = {"obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg", "astronaut.png"};
  for (int i = 0; i < 5; i++) images[i] = h_face(names[i]);
  RUN(test_eight_threads_share_one_client);
  for (int i = 0; i < 5; i++) h_image_free(&images[i]);
  necid_client_free(shared_client);
  h_emulator_stop(&emu);
  return h_finish();
}
