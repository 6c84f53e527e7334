/*
 * with_emulator CMD [ARGS...]: starts a throwaway emulator, exports its endpoint and dev
 * credentials as NECID_* variables, runs CMD, stops the emulator and exits with CMD's
 * status. Used to run the example program (which reads its settings from the
 * environment) in ctest, plainly and under valgrind.
 */
#define _XOPEN_SOURCE 700

#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

extern char **environ;

int main(int argc, char **argv) {
  h_emulator emu;
  pid_t pid;
  int status = 0, rc;
  if (argc < 2) {
    fprintf(stderr, "usage: %s CMD [ARGS...]\n", argv[0]);
    return 2;
  }
  h_emulator_start(&emu);
  setenv("NECID_ENDPOINT", emu.endpoint, 1);
  setenv("NECID_TENANT_ENDPOINT", emu.tenant_endpoint, 1);
  setenv("NECID_REGION", emu.region, 1);
  setenv("NECID_ACCESS_KEY_ID", emu.access_key_id, 1);
  setenv("NECID_SECRET_ACCESS_KEY", emu.secret_access_key, 1);
  setenv("NECID_API_KEY", emu.api_key, 1);
  setenv("NECID_BUCKET_DIR", emu.bucket_dir, 1);
  /* No profile file may interfere with the test's settings. */
  setenv("NECID_CONFIG_FILE", "/nonexistent/necid-config", 1);
  unsetenv("NECID_PROFILE");
  rc = posix_spawnp(&pid, argv[1], NULL, NULL, argv + 1, environ);
  if (rc != 0) {
    fprintf(stderr, "cannot run %s: %s\n", argv[1], strerror(rc));
    h_emulator_stop(&emu);
    return 1;
  }
  waitpid(pid, &status, 0);
  h_emulator_stop(&emu);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 1;
}
