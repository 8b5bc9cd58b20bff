/* fws2/fixture.h: a fresh libwpu world for every CMocka test.
 *
 *   const struct CMUnitTest tests[] = {
 *     cmocka_unit_test_setup_teardown(my_test, fws2_world_setup,
 *                                     fws2_world_teardown),
 *   };
 *
 * fws2_world_setup creates a world with default options, makes it current and
 * stores it in *state. fws2_world_teardown destroys it; every handle still
 * open is printed through CMocka and fails the test (teardown returns -1),
 * as do DebugBreak calls and contract violations the checker
 * (fws2/checker.h) found as the world ended.
 * Include <cmocka.h> before this header. Not thread-safe: CMocka runs tests
 * one after another.
 */
#ifndef FWS2_FIXTURE_H
#define FWS2_FIXTURE_H

#include <wpu/world.h>

#ifdef __cplusplus
extern "C" {
#endif

int fws2_world_setup(void **state);
int fws2_world_teardown(void **state);

/* The same with chosen options (their report hook is replaced by one that
 * prints through CMocka). Returns 0, or -1 after printing why. */
int fws2_world_setup_with(void **state, const wpu_world_options *options);

#ifdef __cplusplus
}
#endif

#endif /* FWS2_FIXTURE_H */
