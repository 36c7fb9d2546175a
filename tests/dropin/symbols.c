/*
 * symbols.c — what libstrata.so exports in drop-in mode: the standard
 * allocation functions resolve into it (dlsym, then dladdr), calls this
 * program makes land in strata, and nothing but the public strata_* API,
 * the drop-in functions, glibc's aliases and extras, jemalloc's API and the
 * C++ operators is exported; strata_* carry the version of the release
 * that added them (STRATA_0.1, or STRATA_0.2 for the sized arena options
 * initializer), the other names none (as libjemalloc.so.2's).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "strata.h"

TestSuite(symbols, .timeout = 30);

static const char *const dropin_names[] = {
	"malloc", "free", "calloc", "realloc", "reallocarray",
	"posix_memalign", "aligned_alloc", "memalign", "valloc", "pvalloc",
	"malloc_usable_size", "free_sized", "free_aligned_sized",
};

/* Exported besides the drop-in names: glibc's internal aliases, which some
 * programs call, and cfree, the old name of free. */
static const char *const alias_names[] = {
	"cfree", "__posix_memalign", "__libc_malloc", "__libc_calloc",
	"__libc_realloc", "__libc_free", "__libc_memalign", "__libc_valloc",
	"__libc_pvalloc",
};

/* jemalloc's unprefixed API, glibc's functions beyond the standard, and the
 * C++ operators (Itanium ABI names). */
static const char *const extra_names[] = {
	"mallocx", "rallocx", "xallocx", "sallocx", "dallocx", "sdallocx",
	"nallocx", "mallctl", "mallctlnametomib", "mallctlbymib",
	"malloc_stats_print", "malloc_conf",
	"malloc_trim", "mallinfo", "mallinfo2", "malloc_stats", "malloc_info",
	"mallopt",
	"_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t",
	"_ZnwmSt11align_val_t", "_ZnamSt11align_val_t",
	"_ZnwmSt11align_val_tRKSt9nothrow_t",
	"_ZnamSt11align_val_tRKSt9nothrow_t",
	"_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm", "_ZdlPvRKSt9nothrow_t",
	"_ZdaPvRKSt9nothrow_t", "_ZdlPvSt11align_val_t",
	"_ZdaPvSt11align_val_t", "_ZdlPvmSt11align_val_t",
	"_ZdaPvmSt11align_val_t", "_ZdlPvSt11align_val_tRKSt9nothrow_t",
	"_ZdaPvSt11align_val_tRKSt9nothrow_t",
};

static const char *library_path(void) {
	static Dl_info info;
	cr_assert_neq(dladdr((void *)strata_malloc, &info), 0);
	cr_assert_not_null(info.dli_fname);
	cr_assert_not_null(strstr(info.dli_fname, "libstrata"),
	                   "strata_malloc lives in %s", info.dli_fname);
	return info.dli_fname;
}

static void expect_resolves_into_strata(const char *name) {
	void *sym = dlsym(RTLD_DEFAULT, name);
	cr_assert_not_null(sym, "%s does not resolve", name);
	Dl_info info;
	cr_assert_neq(dladdr(sym, &info), 0, "%s: no object", name);
	cr_assert(info.dli_fname != NULL &&
	          strstr(info.dli_fname, "libstrata") != NULL,
	          "%s resolves into %s", name,
	          info.dli_fname ? info.dli_fname : "(none)");
}

Test(symbols, every_dropin_function_resolves_into_libstrata) {
	for (size_t i = 0; i < sizeof(dropin_names) / sizeof(*dropin_names); i++)
		expect_resolves_into_strata(dropin_names[i]);
}

Test(symbols, glibc_aliases_resolve_into_libstrata) {
	for (size_t i = 0; i < sizeof(alias_names) / sizeof(*alias_names); i++)
		expect_resolves_into_strata(alias_names[i]);
}

Test(symbols, dropin_functions_are_the_strata_functions) {
	void *lib = dlopen(library_path(), RTLD_NOW | RTLD_NOLOAD);
	cr_assert_not_null(lib, "%s", dlerror());
	cr_assert_eq(dlsym(RTLD_DEFAULT, "malloc"), dlsym(lib, "strata_malloc"));
	cr_assert_eq(dlsym(RTLD_DEFAULT, "free"), dlsym(lib, "strata_free"));
	cr_assert_eq(dlsym(RTLD_DEFAULT, "realloc"),
	             dlsym(lib, "strata_realloc"));
	cr_assert_eq(dlsym(RTLD_DEFAULT, "calloc"), dlsym(lib, "strata_calloc"));
	dlclose(lib);
}

/* The program's own calls (and libc's, e.g. strdup) go to strata. */
Test(symbols, calls_of_this_program_are_served_by_strata) {
	/* Through a volatile pointer: the compiler turns realloc(NULL, n)
	 * into malloc(n) otherwise, and realloc would go untested. */
	void *(*volatile const realloc_v)(void *, size_t) = realloc;
	void *p = malloc(100);
	char *s = strdup("strata");
	void *q = realloc_v(NULL, 5000);
	cr_assert(p != NULL && s != NULL && q != NULL);
	cr_assert_geq(strata_malloc_usable_size(p), 100);
	cr_assert_geq(strata_malloc_usable_size(s), 7);
	cr_assert_geq(strata_malloc_usable_size(q), 5000);
	cr_assert_eq(malloc_usable_size(q), strata_malloc_usable_size(q));
	free(p);
	free(s);
	free(q);
}

static bool is_allowed(const char *name) {
	if (strncmp(name, "strata_", 7) == 0)
		return true;
	for (size_t i = 0; i < sizeof(dropin_names) / sizeof(*dropin_names); i++)
		if (strcmp(name, dropin_names[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(alias_names) / sizeof(*alias_names); i++)
		if (strcmp(name, alias_names[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(extra_names) / sizeof(*extra_names); i++)
		if (strcmp(name, extra_names[i]) == 0)
			return true;
	return false;
}

/* nm -D --defined-only lines: "<value> <type> <name>[@version]"; version
 * definitions (type A) are not code or data. */
Test(symbols, no_internal_symbol_is_exported) {
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s' 2>&1",
	         library_path());
	FILE *nm = popen(cmd, "r");
	cr_assert_not_null(nm, "cannot run nm");
	char line[1024], unexpected[4096] = "";
	unsigned nsymbols = 0, nbad = 0;
	while (fgets(line, sizeof(line), nm) != NULL) {
		char value[64], type[8], name[512];
		cr_assert_eq(sscanf(line, "%63s %7s %511s", value, type, name), 3,
		             "unexpected nm output: %s", line);
		if (strcmp(type, "A") == 0)
			continue;
		name[strcspn(name, "@")] = '\0';
		nsymbols++;
		if (!is_allowed(name)) {
			nbad++;
			strncat(unexpected, " ", sizeof(unexpected) -
			        strlen(unexpected) - 1);
			strncat(unexpected, name, sizeof(unexpected) -
			        strlen(unexpected) - 1);
		}
	}
	int status = pclose(nm);
	cr_assert_eq(status, 0, "nm failed (status %d)", status);
	cr_assert_gt(nsymbols, 30, "only %u symbols: is nm output parsed?",
	             nsymbols);
	cr_assert_eq(nbad, 0, "%u internal symbols exported:%s", nbad,
	             unexpected);
}

/* Every allowed name is really there: a lost alias would go unnoticed
 * by the check above. */
Test(symbols, every_public_strata_function_is_exported) {
	static const char *const names[] = {
		"strata_malloc", "strata_calloc", "strata_realloc",
		"strata_reallocarray", "strata_free", "strata_posix_memalign",
		"strata_aligned_alloc", "strata_malloc_usable_size",
		"strata_free_sized", "strata_free_aligned_sized",
		"strata_mallocx", "strata_rallocx", "strata_nallocx",
		"strata_sallocx", "strata_dallocx", "strata_sdallocx",
		"strata_arena_opts_init", "strata_arena_opts_init_sized",
		"strata_arena_create",
		"strata_arena_destroy", "strata_thread_arena_set",
		"strata_thread_arena_get", "strata_ctl", "strata_stats_print",
		"strata_ctl_nametomib", "strata_ctl_bymib", "strata_xallocx",
	};
	void *lib = dlopen(library_path(), RTLD_NOW | RTLD_NOLOAD);
	cr_assert_not_null(lib);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		cr_assert_not_null(dlsym(lib, names[i]), "%s missing", names[i]);
	dlclose(lib);
}

Test(symbols, jemalloc_glibc_and_cxx_names_resolve_into_libstrata) {
	for (size_t i = 0; i < sizeof(extra_names) / sizeof(*extra_names); i++)
		expect_resolves_into_strata(extra_names[i]);
}

/* The *allocx names are aliases (no extra jump), not wrappers. */
Test(symbols, jemalloc_allocx_names_are_the_strata_functions) {
	void *lib = dlopen(library_path(), RTLD_NOW | RTLD_NOLOAD);
	cr_assert_not_null(lib);
	static const char *const pairs[][2] = {
		{ "mallocx", "strata_mallocx" }, { "rallocx", "strata_rallocx" },
		{ "xallocx", "strata_xallocx" }, { "sallocx", "strata_sallocx" },
		{ "dallocx", "strata_dallocx" }, { "sdallocx", "strata_sdallocx" },
		{ "nallocx", "strata_nallocx" }, { "_ZdlPv", "strata_free" },
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(*pairs); i++)
		cr_assert_eq(dlsym(RTLD_DEFAULT, pairs[i][0]),
		             dlsym(lib, pairs[i][1]), "%s is not %s", pairs[i][0],
		             pairs[i][1]);
	dlclose(lib);
}

/* "nm -D" of the library, one defined symbol per call of fn. */
static void for_each_defined(void (*fn)(const char *name, const char *ver,
                                        void *arg), void *arg) {
	char cmd[4096], line[1024];
	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s'", library_path());
	FILE *nm = popen(cmd, "r");
	cr_assert_not_null(nm);
	while (fgets(line, sizeof(line), nm) != NULL) {
		char value[64], type[8], name[512];
		if (sscanf(line, "%63s %7s %511s", value, type, name) != 3 ||
		    strcmp(type, "A") == 0)
			continue;
		char *at = strchr(name, '@');
		const char *ver = "";
		if (at != NULL) {
			*at = '\0';
			ver = at + 1 + (at[1] == '@');
		}
		fn(name, ver, arg);
	}
	cr_assert_eq(pclose(nm), 0);
}

static void check_version(const char *name, const char *ver, void *arg) {
	unsigned *n = arg;
	if (strcmp(name, "strata_arena_opts_init_sized") == 0)
		cr_expect_str_eq(ver, "STRATA_0.2", "%s has version '%s'", name,
		                 ver);
	else if (strncmp(name, "strata_", 7) == 0)
		cr_expect_str_eq(ver, "STRATA_0.1", "%s has version '%s'", name,
		                 ver);
	else
		cr_expect_str_eq(ver, "", "%s is versioned (%s): unversioned "
		                 "references from programs linked with jemalloc "
		                 "and libc's own versioned ones must both bind",
		                 name, ver);
	n[strncmp(name, "strata_", 7) == 0]++;
}

Test(symbols, strata_names_carry_version_standard_names_none) {
	unsigned n[2] = { 0, 0 };
	for_each_defined(check_version, n);
	cr_assert_gt(n[0], 40, "%u unversioned names", n[0]);
	cr_assert_gt(n[1], 20, "%u strata_ names", n[1]);
}

Test(symbols, library_has_soname_libstrata_so_0) {
	char cmd[4096], line[512];
	snprintf(cmd, sizeof(cmd), "readelf -d '%s'", library_path());
	FILE *re = popen(cmd, "r");
	cr_assert_not_null(re);
	bool found = false;
	while (fgets(line, sizeof(line), re) != NULL)
		if (strstr(line, "(SONAME)") && strstr(line, "[libstrata.so.0]"))
			found = true;
	pclose(re);
	cr_assert(found, "no SONAME libstrata.so.0");
}
