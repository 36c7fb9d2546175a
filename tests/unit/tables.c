/*
 * tables.c — the option table and the statistics table are the one
 * source of ctl and of strata_stats_print: every option is opt.<name> in
 * ctl, of its type, with the value the printer shows; every statistic row
 * is a ctl leaf at its row's MIB position, of its type, and (unless it is
 * ctl-only) a key of the printed JSON; docs/configuration.md and
 * docs/ctl.md list every option (the jemalloc column as the table says).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "stats_table.h"
#include "strata.h"

static void boot(void) { strata_free(strata_malloc(1)); }

TestSuite(tables, .init = boot, .timeout = 60);

static char out[1 << 20];
static size_t out_len;

static void collect(void *opaque, const char *text) {
	(void)opaque;
	size_t len = strlen(text);
	cr_assert_lt(out_len + len, sizeof(out));
	memcpy(out + out_len, text, len + 1);
	out_len += len;
}

static void print_json(void) {
	out_len = 0;
	strata_stats_print(collect, NULL, "J");
}

/* The JSON text of option o's value, as ctl reads it. */
static void opt_json_from_ctl(const conf_option_t *o, char *buf,
                              size_t cap) {
	char name[64];
	snprintf(name, sizeof(name), "opt.%s", o->name);
	union { bool b; unsigned u; size_t z; long l; const char *s; } v;
	size_t len;
	switch (o->type) {
	case CONF_BOOL: len = sizeof(bool); break;
	case CONF_UNSIGNED: len = sizeof(unsigned); break;
	case CONF_SIZE: len = sizeof(size_t); break;
	case CONF_LONG:
	case CONF_MS: len = sizeof(long); break;
	default: len = sizeof(const char *); break;
	}
	size_t want = len;
	cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s", name);
	cr_assert_eq(len, want);
	switch (o->type) {
	case CONF_BOOL: snprintf(buf, cap, "%s", v.b ? "true" : "false"); break;
	case CONF_UNSIGNED: snprintf(buf, cap, "%u", v.u); break;
	case CONF_SIZE: snprintf(buf, cap, "%zu", v.z); break;
	case CONF_LONG:
	case CONF_MS: snprintf(buf, cap, "%ld", v.l); break;
	default: snprintf(buf, cap, "\"%s\"", v.s); break;
	}
}

Test(tables, every_option_is_in_ctl_and_printed_with_the_same_value) {
	print_json();
	const char *section = strstr(out, "\"opt\": {");
	cr_assert_not_null(section);
	const char *end = strchr(section, '}');
	cr_assert_not_null(end);
	for (unsigned i = 0; i < CONF_NOPTIONS; i++) {
		const conf_option_t *o = &conf_options[i];
		char value[64], line[160];
		opt_json_from_ctl(o, value, sizeof(value));
		snprintf(line, sizeof(line), "\"%s\": %s", o->name, value);
		const char *at = strstr(section, line);
		cr_assert(at != NULL && at < end, "opt section lacks %s", line);
		cr_assert_not_null(o->doc);
		cr_assert_gt(strlen(o->doc), 8, "%s: no doc line", o->name);
	}
}

/* Each group below one ctl prefix; the prefix's last component is the
 * node the group's rows hang from. */
static const struct {
	const stats_group_t *group;
	const char *prefix;
} groups[] = {
	{ &stats_totals_group, "stats." },
	{ &stats_background_group, "stats.background_thread." },
	{ &stats_mem_limit_group, "stats.mem_limit." },
	{ &stats_mutex_group, "stats.mutexes.base." },
	{ &stats_arena_group, "stats.arenas.0." },
	{ &stats_small_group, "stats.arenas.0.small." },
	{ &stats_large_group, "stats.arenas.0.large." },
	{ &stats_purge_group, "stats.arenas.0.purge." },
	{ &stats_mutex_group, "stats.arenas.0.mutexes.extents." },
	{ &stats_bin_group, "stats.arenas.0.bins.0." },
	{ &stats_mutex_group, "stats.arenas.0.bins.0.mutex." },
	{ &stats_lextent_group, "stats.arenas.0.lextents.0." },
};

static size_t stat_bytes(enum stats_type t) {
	switch (t) {
	case STATS_SIZE: return sizeof(size_t);
	case STATS_U64: return sizeof(uint64_t);
	case STATS_UNSIGNED: return sizeof(unsigned);
	case STATS_BOOL: return sizeof(bool);
	}
	return 0;
}

Test(tables, every_statistic_is_a_ctl_leaf_at_its_row) {
	for (size_t g = 0; g < ARRAY_LEN(groups); g++) {
		const stats_group_t *gr = groups[g].group;
		cr_assert_gt(gr->nfields, 0);
		for (unsigned i = 0; i < gr->nfields; i++) {
			const stats_field_t *f = &gr->fields[i];
			char name[128];
			snprintf(name, sizeof(name), "%s%s", groups[g].prefix,
			         stats_field_ctl_name(f));
			size_t mib[8], miblen = 8;
			cr_assert_eq(strata_ctl_nametomib(name, mib, &miblen), 0,
			             "%s", name);
			cr_assert_eq(mib[miblen - 1], i, "%s is not row %u", name,
			             i);
			uint64_t v = 0;
			size_t len = stat_bytes(f->type);
			cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), 0, "%s",
			             name);
			len = stat_bytes(f->type) + 1;
			cr_assert_eq(strata_ctl(name, &v, &len, NULL, 0), EINVAL,
			             "%s takes another length", name);
		}
	}
}

Test(tables, every_printed_statistic_is_a_json_key) {
	void *volatile p = strata_malloc(4 << 20); /* a large class in use */
	print_json();
	for (size_t g = 0; g < ARRAY_LEN(groups); g++) {
		const stats_group_t *gr = groups[g].group;
		for (unsigned i = 0; i < gr->nfields; i++) {
			const stats_field_t *f = &gr->fields[i];
			if (f->out.key == NULL)
				continue;
			char key[80];
			snprintf(key, sizeof(key), "\"%s\": ", f->out.key);
			cr_assert_not_null(strstr(out, key), "no %s", key);
		}
	}
	strata_free(p);
}

/* The text of docs/NAME from the source tree, into buf. */
static void read_doc(const char *name, char *buf, size_t cap) {
	const char *root = getenv("STRATA_SOURCE_ROOT");
	cr_assert_not_null(root, "STRATA_SOURCE_ROOT not set (tests/meson.build)");
	char path[512];
	snprintf(path, sizeof(path), "%s/docs/%s", root, name);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static char doc[1 << 16];

Test(tables, the_docs_list_every_option_with_its_jemalloc_column) {
	read_doc("configuration.md", doc, sizeof(doc));
	for (unsigned i = 0; i < CONF_NOPTIONS; i++) {
		const conf_option_t *o = &conf_options[i];
		char row[80];
		snprintf(row, sizeof(row), "\n| `%s` |", o->name);
		const char *at = strstr(doc, row);
		cr_assert_not_null(at, "configuration.md has no row for %s",
		                   o->name);
		/* the fourth column: yes exactly when MALLOC_CONF may set it */
		const char *col = at + 1;
		for (unsigned bars = 1; bars < 4; bars++)
			col = strchr(col + 1, '|');
		bool says_yes = strncmp(col, "| yes |", 7) == 0;
		cr_assert_eq(says_yes, o->jemalloc == CONF_JEMALLOC_SAME,
		             "%s: jemalloc column disagrees with the table",
		             o->name);
	}
	read_doc("ctl.md", doc, sizeof(doc));
	for (unsigned i = 0; i < CONF_NOPTIONS; i++) {
		char name[80];
		snprintf(name, sizeof(name), "| `opt.%s` |", conf_options[i].name);
		cr_assert_not_null(strstr(doc, name), "ctl.md lacks %s", name);
	}
}
