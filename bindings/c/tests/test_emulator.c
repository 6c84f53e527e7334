/* necid_testing (the users' test helper): options, clear errors, and no emulator left
   behind by a program that fails, aborts or is killed. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char *bin(void) {
  const char *b = getenv("NECID_BIN");
  return b && *b ? b : NECID_DEFAULT_BIN;
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Running = in the process table and not a zombie (an orphan PID 1 has not reaped yet has
   ended all the same). */
static int running(long pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *p = strrchr(buf, ')');
  return !(p && p[1] == ' ' && p[2] == 'Z');
}

static int gone_within(long pid, long ms) {
  long end = now_ms() + ms;
  while (running(pid)) {
    if (now_ms() > end) return 0;
    usleep(50000);
  }
  return 1;
}

static void test_defaults_and_a_client(void) {
  necid_emulator_options_t o;
  memset(&o, 0, sizeof o);
  o.binary = bin();
  o.storage = "sqlite";
  necid_emulator_t *emu = NULL;
  char err[1024];
  REQUIRE(necid_emulator_start(&o, &emu, err, sizeof err) == 0);
  CHECK(strncmp(necid_emulator_endpoint(emu), "http://127.0.0.1:", 17) == 0);
  CHECK(strstr(necid_emulator_admin_endpoint(emu), "/_admin/v1") != NULL);
  CHECK(necid_emulator_admin_token(emu)[0] != '\0');
  CHECK(necid_emulator_ca_file(emu)[0] == '\0');
  long pid = necid_emulator_pid(emu);
  CHECK(running(pid));
  necid_client_t *c = NULL;
  CHECK_OK(necid_emulator_client(emu, NULL, &c));
  necid_tag_list_t *tags = NULL;
  CHECK_OK(necid_list_tags(c, &tags));
  necid_tag_list_free(tags);
  necid_client_free(c);
  necid_emulator_stop(emu);
  CHECK(!running(pid));
}

static void test_bad_arguments_fail_fast(void) {
  necid_emulator_options_t o;
  necid_emulator_t *emu = NULL;
  char err[1024];
  memset(&o, 0, sizeof o);
  o.binary = bin();
  o.engine = "nope";
  CHECK(necid_emulator_start(&o, &emu, err, sizeof err) == -1 && emu == NULL);
  CHECK(h_contains(err, "unknown engine 'nope'"));
  o.engine = NULL;
  o.seed_dir = "/nonexistent/faces";
  CHECK(necid_emulator_start(&o, &emu, err, sizeof err) == -1);
  CHECK(h_contains(err, "the seed folder /nonexistent/faces does not exist"));
  o.seed_dir = NULL;

  /* A port in use: the emulator's own message, at once (not a start-up timeout). */
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(s, (struct sockaddr *)&a, sizeof a) == 0 && listen(s, 1) == 0);
  getsockname(s, (struct sockaddr *)&a, &alen);
  o.port = ntohs(a.sin_port);
  long t = now_ms();
  CHECK(necid_emulator_start(&o, &emu, err, sizeof err) == -1 && emu == NULL);
  CHECK(now_ms() - t < 20000);
  CHECK(h_contains(err, "exited"));
  char port[16];
  snprintf(port, sizeof port, "%u", (unsigned)o.port);
  CHECK(h_contains(err, port));
  close(s);
  o.port = 0;

  /* No necid anywhere: the error names the four places. */
  o.binary = NULL;
  char *saved_bin = getenv("NECID_BIN") ? strdup(getenv("NECID_BIN")) : NULL;
  char *saved_path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
  unsetenv("NECID_BIN");
  setenv("PATH", "/nonexistent", 1);
  CHECK(necid_emulator_start(&o, &emu, err, sizeof err) == -1);
  CHECK(h_contains(err, "options->binary") && h_contains(err, "NECID_BIN") &&
        h_contains(err, "packaged") && h_contains(err, "necid on PATH"));
  setenv("NECID_BIN", "/nonexistent/necid", 1);
  CHECK(necid_emulator_start(&o, &emu, err, sizeof err) == -1);
  CHECK(h_contains(err, "NECID_BIN is set to /nonexistent/necid"));
  if (saved_bin) setenv("NECID_BIN", saved_bin, 1);
  else unsetenv("NECID_BIN");
  if (saved_path) setenv("PATH", saved_path, 1);
  free(saved_bin);
  free(saved_path);
}

/* A child process starts an emulator, tells its pid, then ends without stopping it: by a
   failed test's exit(1), by abort(), or killed by SIGKILL. The emulator must go too. */
static void child_ends(int how) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(fds[0]);
    necid_emulator_options_t o;
    memset(&o, 0, sizeof o);
    o.binary = bin();
    necid_emulator_t *emu = NULL;
    char err[1024];
    long pid = necid_emulator_start(&o, &emu, err, sizeof err) == 0 ? necid_emulator_pid(emu) : -1;
    if (write(fds[1], &pid, sizeof pid) != (ssize_t)sizeof pid) _exit(3);
    close(fds[1]);
    if (how == 0) exit(1);  /* a failing test program */
    if (how == 1) abort();
    pause();  /* how == 2: killed by the parent */
    _exit(0);
  }
  close(fds[1]);
  long pid = -1;
  CHECK(read(fds[0], &pid, sizeof pid) == (ssize_t)sizeof pid);
  close(fds[0]);
  REQUIRE(pid > 0);
  if (how == 2) {
    CHECK(running(pid));
    kill(child, SIGKILL);
  }
  int status;
  waitpid(child, &status, 0);
  CHECK(gone_within(pid, 15000));
}

static void test_a_failing_program_leaves_no_emulator(void) { child_ends(0); }
static void test_an_aborted_program_leaves_no_emulator(void) { child_ends(1); }
static void test_a_killed_program_leaves_no_emulator(void) { child_ends(2); }

static void test_tls_seed_and_faults(void) {
  char seed[] = "/tmp/necid-c-seed-XXXXXX";
  REQUIRE(mkdtemp(seed) != NULL);
  h_image face = h_face("obama.jpg");
  char path[300];
  snprintf(path, sizeof path, "%s/obama.jpg", seed);
  FILE *f = fopen(path, "wb");
  REQUIRE(f && fwrite(face.data, 1, face.len, f) == face.len);
  fclose(f);
  necid_emulator_options_t o;
  memset(&o, 0, sizeof o);
  o.binary = bin();
  o.tls = 1;
  o.seed_dir = seed;
  o.faults_json =
      "[{\"method\": \"GET\", \"path\": \"/v1.1/tags\", \"fault\": \"error\", \"status\": 429, "
      "\"retryAfter\": 0, \"count\": 1}]";
  necid_emulator_t *emu = NULL;
  char err[2048];
  REQUIRE(necid_emulator_start(&o, &emu, err, sizeof err) == 0);
  CHECK(strncmp(necid_emulator_endpoint(emu), "https://", 8) == 0);
  CHECK(necid_emulator_ca_file(emu)[0] != '\0');
  necid_config_t cfg;
  necid_emulator_config(emu, NULL, &cfg);
  cfg.max_attempts = 1;
  necid_client_t *c = NULL;
  CHECK_OK(necid_client_new(&cfg, &c));
  necid_tag_list_t *tags = NULL;
  CHECK_STATUS(necid_list_tags(c, &tags), NECID_ERR_THROTTLED);
  necid_search_result_t *hits = NULL;
  CHECK_OK(necid_search(c, face.data, face.len, -1, -1, NULL, 0, &hits));
  CHECK(hits && hits->candidate_count == 1);
  necid_search_result_free(hits);
  necid_client_free(c);
  necid_emulator_stop(emu);
  h_image_free(&face);
  remove(path);
  rmdir(seed);
}

int main(void) {
  RUN(test_defaults_and_a_client);
  RUN(test_bad_arguments_fail_fast);
  RUN(test_a_failing_program_leaves_no_emulator);
  RUN(test_an_aborted_program_leaves_no_emulator);
  RUN(test_a_killed_program_leaves_no_emulator);
  RUN(test_tls_seed_and_faults);
  return h_finish();
}
