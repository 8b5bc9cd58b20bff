/* fixture.c: the CMocka setup/teardown pair that gives a test its world. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fws2/checker.h>
#include <fws2/fixture.h>
#include <wpu/hooks.h>

/* check/hub.c: forgets the calls this thread was in. */
void fws2__hub_reset(void);

static void report_to_cmocka(const char *line, void *user) {
  (void)user;
  print_error("%s\n", line);
}

int fws2_world_setup_with(void **state, const wpu_world_options *options) {
  wpu_world_options o = {0};
  if (options != NULL)
    o = *options;
  o.report = report_to_cmocka;
  o.report_user = NULL;
  wpu_world *w = NULL;
  int rc = wpu_world_create(&o, &w);
  if (rc != 0) {
    print_error("fws2_world_setup: wpu_world_create failed with %d\n", rc);
    return -1;
  }
  /* A test that failed inside a call (CMocka's longjmp) left this thread
   * inside it: the new world starts outside any call and any hook. */
  fws2__hub_reset();
  wpu_world_set_hooks(w, NULL);
  *state = w;
  return 0;
}

int fws2_world_setup(void **state) {
  return fws2_world_setup_with(state, NULL);
}

int fws2_world_teardown(void **state) {
  size_t breaks = wpu_world_debug_breaks(*state);
  if (breaks != 0)
    print_error("fws2_world_teardown: DebugBreak was called %lu time(s)\n",
                (unsigned long)breaks);
  size_t leaks = wpu_world_destroy(*state);
  *state = NULL;
  fws2__hub_reset();
  /* Contract violations found as the world ended (fws2/checker.h; the
   * messages were printed). */
  size_t broken = fws2_checker_teardown_violations();
  return leaks == 0 && breaks == 0 && broken == 0 ? 0 : -1;
}
