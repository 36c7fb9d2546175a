/*
 * probe — report which shared object provides malloc and free.
 *
 * Run under LD_PRELOAD to check that an allocator really interposes:
 *   LD_PRELOAD=libfoo.so probe    ->  malloc=/path/libfoo.so free=/path/libfoo.so
 * The symbols are looked up in the global scope (as every other object of
 * the process binds them), and one allocation is made through them.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static const char *owner(const char *sym)
{
    Dl_info info;
    void *p = dlsym(RTLD_DEFAULT, sym);
    if (!p || !dladdr(p, &info) || !info.dli_fname)
        return "?";
    return info.dli_fname;
}

int main(void)
{
    void *p = malloc(100);
    if (!p)
        return 1;
    printf("malloc=%s free=%s\n", owner("malloc"), owner("free"));
    free(p);
    return 0;
}
