/* providers_impl.h: the world's started providers (internal). */
#ifndef WPU_PROVIDERS_IMPL_H
#define WPU_PROVIDERS_IMPL_H

typedef struct wpu_providers wpu_providers;
struct wpu_world;

/* Cleans up what is still started (reporting it) and frees the list.
 * world.c calls it through wpu__providers_free_fn, which providers.c sets
 * when it first starts a provider. */
void wpu__providers_free(struct wpu_world *w);
extern void (*wpu__providers_free_fn)(struct wpu_world *w);

#ifdef _WIN32
#include <winsock2.h>
/* Windows: modules registered with wpu_module_register first (modules_win.c),
 * then the real loader. */
HMODULE wpu__module_load(const WCHAR *path);
FARPROC wpu__module_proc(HMODULE m, const char *name);
void wpu__module_free(HMODULE m);
#endif

#endif /* WPU_PROVIDERS_IMPL_H */
