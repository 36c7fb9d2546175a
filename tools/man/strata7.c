/*
 * strata7.c — prints the man page strata(7), every run-time option and
 * every ctl name, from the tables the library itself is built from:
 * CONF_OPTIONS (core/conf.h) for the options and the opt.* names, the
 * statistics groups (core/stats_table.h) for the stats.* names.  The ctl
 * names outside those two tables (version, epoch, arenas.*, arena.<i>.*,
 * thread.*, ...) are the rows of docs/ctl.md before its stats.* section,
 * so no name is described twice.  Built and run by meson at build time:
 *   strata7 DOCS_CTL_MD VERSION DATE > strata.7
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "stats_table.h"

static unsigned column; /* of the output line, to keep lines short */

static void put_char(char c) {
	putchar(c);
	column = c == '\n' ? 0 : column + 1;
}

static void put_str(const char *s) {
	while (*s != '\0')
		put_char(*s++);
}

/* Formatted output that keeps the column count (man source, unescaped). */
static void put_fmt(const char *fmt, ...) {
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_str(buf);
}

/* Writes s as man(7) text: backslashes and hyphens escaped, backticks
 * dropped, a control character at the start of a line neutralised, and
 * a line broken at a space past 64 columns. */
static void put_text(const char *s) {
	for (; *s != '\0'; s++) {
		if (*s == ' ' && column > 64) {
			put_char('\n');
			continue;
		}
		if (column == 0 && (*s == '.' || *s == '\''))
			put_str("\\&");
		switch (*s) {
		case '\\': put_str("\\e"); break;
		case '-': put_str("\\-"); break;
		case '`': break;
		default: put_char(*s); break;
		}
	}
}

static const char *type_name(const conf_option_t *o) {
	switch (o->type) {
	case CONF_BOOL: return "bool";
	case CONF_UNSIGNED: return "unsigned";
	case CONF_SIZE: return "size (k, m, g suffixes)";
	case CONF_LONG: return "long";
	case CONF_MS: return "milliseconds";
	case CONF_STRING: return "string";
	case CONF_PATH: return "file name";
	case CONF_ENUM: return "one of";
	}
	return "";
}

static void put_default(const conf_option_t *o) {
	const char *text = conf_option_text(o);
	if (o->type == CONF_BOOL) {
		put_str(conf_option_bool(o) ? "true" : "false");
	} else if (text != NULL) {
		put_str("\"");
		put_text(text);
		put_str("\"");
	} else {
		put_fmt("%lld", conf_option_number(o));
	}
}

static void put_option(const conf_option_t *o) {
	put_fmt(".TP\n.BI %s: value\n", o->name);
	put_text(o->doc);
	put_fmt(".\n.br\nType: %s", type_name(o));
	if (o->type == CONF_ENUM)
		for (unsigned i = 0; o->choices[i] != NULL; i++)
			put_fmt("%s %s", i == 0 ? "" : ",", o->choices[i]);
	if ((o->type == CONF_UNSIGNED || o->type == CONF_LONG ||
	     o->type == CONF_MS) && o->max != 0)
		put_fmt(", %lld to %lld", o->min, o->max);
	put_str(";\ndefault ");
	put_default(o);
	put_fmt(";\n%s.\n", o->jemalloc == CONF_JEMALLOC_SAME
	                      ? "read from MALLOC_CONF too"
	                      : "STRATA_CONF only");
}

static void put_options(void) {
	put_fmt(".SH OPTIONS\n");
	for (unsigned i = 0; i < CONF_NOPTIONS; i++)
		put_option(&conf_options[i]);
}

static void put_group(const char *prefix, const stats_group_t *g) {
	for (unsigned i = 0; i < g->nfields; i++) {
		const stats_field_t *f = &g->fields[i];
		put_fmt(".TP\n.B ");
		put_text(prefix);
		put_text(stats_field_ctl_name(f));
		put_fmt("\n");
		put_text(f->out.help != NULL ? f->out.help : "");
		put_fmt("\n");
	}
}

static void put_stats(void) {
	put_fmt(".SS stats.* (read\\-only; write epoch first)\n");
	put_group("stats.", &stats_totals_group);
	put_group("stats.background_thread.", &stats_background_group);
	put_group("stats.mem_limit.", &stats_mem_limit_group);
	put_group("stats.mutexes.<name>.", &stats_mutex_group);
	put_group("stats.arenas.<i>.", &stats_arena_group);
	put_group("stats.arenas.<i>.small.", &stats_small_group);
	put_group("stats.arenas.<i>.large.", &stats_large_group);
	put_group("stats.arenas.<i>.purge.", &stats_purge_group);
	put_group("stats.arenas.<i>.mutexes.extents.", &stats_mutex_group);
	put_group("stats.arenas.<i>.bins.<j>.", &stats_bin_group);
	put_group("stats.arenas.<i>.bins.<j>.mutex.", &stats_mutex_group);
	put_group("stats.arenas.<i>.lextents.<j>.", &stats_lextent_group);
}

/* One "| `name` | type | mode | meaning |" row of docs/ctl.md. */
static void put_doc_row(char *line) {
	char *col[5] = { 0 };
	unsigned n = 0;
	for (char *p = strtok(line + 1, "|"); p != NULL && n < 5;
	     p = strtok(NULL, "|")) {
		while (*p == ' ')
			p++;
		size_t len = strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\n'))
			p[--len] = '\0';
		col[n++] = p;
	}
	if (n < 4)
		return;
	put_fmt(".TP\n.B ");
	put_text(col[0]);
	put_fmt("\n");
	put_text(col[3]);
	put_text(" (");
	put_text(col[1]);
	put_text(strcmp(col[2], "r") == 0    ? ", read)"
	         : strcmp(col[2], "rw") == 0 ? ", read and write)"
	         : strcmp(col[2], "x") == 0  ? ", action)"
	                                     : ")");
	put_str("\n");
}

static int put_other_names(const char *md) {
	FILE *f = fopen(md, "r");
	if (f == NULL) {
		perror(md);
		return 1;
	}
	char line[1024];
	put_fmt(".SS Other names\n");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "### stats.", 10) == 0)
			break;
		if (strncmp(line, "| `", 3) != 0 || strncmp(line, "| `opt.", 7) == 0)
			continue;
		put_doc_row(line);
	}
	fclose(f);
	return 0;
}

static void put_opt_names(void) {
	put_fmt(".SS opt.* (read\\-only: the options in force)\n");
	put_fmt("Every option above reads as\n.BI opt. name\n");
	put_fmt("with the C type of its kind: bool, unsigned, size_t,\n"
	       "long (milliseconds and long), const char *\n"
	       "(strings, file names and choices).\n");
}

int main(int argc, char **argv) {
	if (argc != 4) {
		fprintf(stderr, "usage: strata7 CTL_MD VERSION DATE\n");
		return 2;
	}
	put_fmt(".\\\" strata(7), generated by tools/man/strata7.c from the\n"
	       ".\\\" option table (core/conf.h), the statistics table\n"
	       ".\\\" (core/stats_table.c) and docs/ctl.md: edit those.\n");
	put_fmt(".TH STRATA 7 %s \"strata %s\" \"Miscellaneous Information "
	       "Manual\"\n.nh\n", argv[3], argv[2]);
	put_fmt(".SH NAME\nstrata \\- run\\-time options and ctl names of the "
	       "strata allocator\n");
	put_fmt(".SH DESCRIPTION\nOptions are read once, at the first "
	       "allocation, from the compiled default, then\n.B MALLOC_CONF\n"
	       "(only the keys marked so below), then\n.BR STRATA_CONF ;\n"
	       "a later source overrides an earlier one.\nThe syntax is\n"
	       ".IR key : value , key : value .\n"
	       "A bad key or value is reported on standard error and the "
	       "previous value kept\n(with\n.B abort_conf:true\nit is fatal).\n"
	       ".PP\nThe ctl names are read and written with\n"
	       ".BR strata_ctl (3)\n(names with\n.I <i>\nor\n.I <j>\ntake an "
	       "arena or size class index).\n");
	put_options();
	put_fmt(".SH CTL NAMES\n");
	if (put_other_names(argv[1]) != 0)
		return 1;
	put_opt_names();
	put_stats();
	put_fmt(".SH ENVIRONMENT\n.TP\n.B STRATA_CONF\nstrata's options.\n"
	       ".TP\n.B MALLOC_CONF\njemalloc's options; only those that mean "
	       "the same in strata are read.\n");
	put_fmt(".SH SEE ALSO\n.BR strata (1),\n.BR strata (3)\n");
	return ferror(stdout) ? 1 : 0;
}
