/*
 * dump.c — the dump writers on synthetic tables: jemalloc's file names,
 * the exact heap_v2 and gperftools layouts, a profile.proto that decodes
 * to the right sample types, values, mappings and locations, the recent
 * ring's JSON, and a write error reported as errno.  Blocks of 1 GiB at
 * lg_sample 12 are sampled with probability 1, so their estimates are
 * exact and the expected text is known to the byte.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prof_dump.h"
#include "prof_table.h"
#include "strata.h"

#define GIB ((size_t)1 << 30)
static char maps_path[] = "/tmp/strata-prof-maps.XXXXXX";
static const char maps_text[] =
    "55d0c0000000-55d0c0001000 r--p 00000000 08:01 1234 /usr/bin/demo\n"
    "55d0c0001000-55d0c0005000 r-xp 00001000 08:01 1234 /usr/bin/demo\n"
    "7f0000000000-7f0000100000 rw-p 00000000 00:00 0 \n";
static prof_dump_opts_t opts = { .lg_sample = 12, .with_accum = true,
                                 .now_ns = 42 };

static void setup(void) {
	strata_free(strata_malloc(1));
	cr_assert_eq(prof_table_boot(6, 8), 0);
	int fd = mkstemp(maps_path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, maps_text, sizeof maps_text - 1),
	             (ssize_t)sizeof maps_text - 1);
	close(fd);
	opts.maps_path = maps_path;
}
static void teardown(void) { unlink(maps_path); }
TestSuite(prof_dump, .init = setup, .fini = teardown, .timeout = 60);

/* Two stacks: A with two live blocks, B with one freed and one live;
 * B's on a thread named (thread.prof.name) 'io "2"', freed on one named
 * "reaper". */
static void fill_tables(void) {
	void *fa[2] = { (void *)0x55d0c0001234, (void *)0x55d0c0002000 };
	void *fb[1] = { (void *)0x55d0c0003000 };
	prof_stack_t *a = prof_stack_intern(fa, 2), *b = prof_stack_intern(fb, 1);
	cr_assert(a && b);
	cr_assert_eq(prof_live_insert((void *)0x1000, GIB, 12, a, 1, 5, NULL), 0);
	cr_assert_eq(prof_live_insert((void *)0x2000, GIB, 12, a, 1, 6, NULL), 0);
	cr_assert_eq(prof_live_insert((void *)0x3000, 2 * GIB, 12, b, 2, 7,
	                              "io \"2\""), 0);
	cr_assert_eq(prof_live_insert((void *)0x4000, 2 * GIB, 12, b, 2, 8,
	                              "io \"2\""), 0);
	cr_assert_eq(prof_live_remove((void *)0x3000, 3, 9, "reaper"), 0);
}

/* Runs writer into a temporary file and returns its text (static). */
static const char *written(int (*writer)(int, const prof_dump_opts_t *),
                           size_t *len) {
	static char text[1 << 16];
	FILE *f = tmpfile();
	cr_assert_eq(writer(fileno(f), &opts), 0);
	rewind(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	if (len)
		*len = n;
	return text;
}

Test(prof_dump, file_names_follow_jemalloc) {
	char b[64];
	cr_assert_eq(prof_dump_filename(b, sizeof b, "/tmp/jeprof", 123, 4,
	                                'i', 2, "heap"), 0);
	cr_expect_str_eq(b, "/tmp/jeprof.123.4.i2.heap");
	cr_assert_eq(prof_dump_filename(b, sizeof b, "p", 9, 0, 'f',
	                                PROF_VSEQ_NONE, "heap"), 0);
	cr_expect_str_eq(b, "p.9.0.f.heap");
	cr_expect_eq(prof_dump_filename(b, 12, "p", 9, 0, 'f',
	                                PROF_VSEQ_NONE, "heap"), ENAMETOOLONG);
}

Test(prof_dump, heap_v2_layout_is_jemallocs) {
	fill_tables();
	char want[1024];
	snprintf(want, sizeof want,
	         "heap_v2/4096\n"
	         "  t*: 3: %zu [4: %zu]\n"
	         "@ 0x55d0c0003000\n"
	         "  t*: 1: %zu [2: %zu]\n"
	         "@ 0x55d0c0001234 0x55d0c0002000\n"
	         "  t*: 2: %zu [2: %zu]\n"
	         "\nMAPPED_LIBRARIES:\n%s",
	         4 * GIB, 6 * GIB, 2 * GIB, 4 * GIB, 2 * GIB, 2 * GIB,
	         maps_text);
	cr_expect_str_eq(written(prof_dump_heap_v2, NULL), want);
	opts.with_accum = false;
	cr_expect(strstr(written(prof_dump_heap_v2, NULL),
	                 "@ 0x55d0c0003000\n  t*: 1: 2147483648 [0: 0]\n"));
	opts.with_accum = true;
}

Test(prof_dump, gperftools_layout_is_google_pprofs) {
	fill_tables();
	char want[1024];
	snprintf(want, sizeof want,
	         "heap profile: 3: %zu [4: %zu] @ heap_v2/4096\n"
	         "1: %zu [2: %zu] @ 0x55d0c0003000\n"
	         "2: %zu [2: %zu] @ 0x55d0c0001234 0x55d0c0002000\n"
	         "\nMAPPED_LIBRARIES:\n%s",
	         4 * GIB, 6 * GIB, 2 * GIB, 4 * GIB, 2 * GIB, 2 * GIB,
	         maps_text);
	cr_expect_str_eq(written(prof_dump_gperftools, NULL), want);
}

/* A minimal protobuf reader: the fields of one message. */
typedef struct field {
	unsigned num, type;
	uint64_t v;            /* varint */
	const uint8_t *p;      /* length-delimited */
	size_t len;
} field_t;

static const uint8_t *varint(const uint8_t *p, uint64_t *v) {
	*v = 0;
	for (int s = 0;; s += 7) {
		*v |= (uint64_t)(*p & 0x7f) << s;
		if (!(*p++ & 0x80))
			return p;
	}
}
static const uint8_t *next_field(const uint8_t *p, const uint8_t *end,
                                 field_t *f) {
	if (p >= end)
		return NULL;
	uint64_t key;
	p = varint(p, &key);
	f->num = (unsigned)(key >> 3);
	f->type = (unsigned)(key & 7);
	cr_assert(f->type == 0 || f->type == 2, "wire type %u", f->type);
	if (f->type == 0)
		return varint(p, &f->v);
	p = varint(p, &f->v);
	f->p = p;
	f->len = (size_t)f->v;
	return p + f->len;
}
static uint64_t field_of(const field_t *m, unsigned num) {
	field_t f;
	const uint8_t *p = m->p;
	while ((p = next_field(p, m->p + m->len, &f)))
		if (f.num == num && f.type == 0)
			return f.v;
	return 0;
}

Test(prof_dump, pprof_profile_decodes_to_the_tables) {
	fill_tables();
	size_t len;
	const uint8_t *buf = (const uint8_t *)written(prof_dump_pprof, &len);
	const char *strings[32];
	size_t string_lens[32];
	unsigned nstrings = 0, ntypes = 0, nsamples = 0, nmaps = 0, nlocs = 0;
	uint64_t inuse_space = 0, alloc_space = 0, inuse_objs = 0;
	uint64_t map_file = 0, map_start = 0, loc_map[8] = { 0 };
	field_t f;
	const uint8_t *p = buf;
	while ((p = next_field(p, buf + len, &f))) {
		if (f.num == 6 && nstrings < 32) {
			strings[nstrings] = (const char *)f.p;
			string_lens[nstrings++] = f.len;
		} else if (f.num == 1) {
			ntypes++;
		} else if (f.num == 2) {
			nsamples++;
			field_t s;
			const uint8_t *q = f.p;
			while ((q = next_field(q, f.p + f.len, &s)))
				if (s.num == 2) {
					uint64_t v[4];
					const uint8_t *r = s.p;
					for (int i = 0; i < 4; i++)
						r = varint(r, &v[i]);
					alloc_space += v[1];
					inuse_objs += v[2];
					inuse_space += v[3];
				}
		} else if (f.num == 3) {
			nmaps++;
			map_start = field_of(&f, 2);
			map_file = field_of(&f, 5);
		} else if (f.num == 4 && nlocs < 8) {
			loc_map[nlocs++] = field_of(&f, 2);
		}
	}
	cr_expect_eq(ntypes, 4);
	cr_assert_geq(nstrings, 9);
	cr_expect(string_lens[0] == 0);
	cr_expect(string_lens[6] == 11 && !memcmp(strings[6], "inuse_space", 11));
	cr_expect_eq(nsamples, 2);
	cr_expect_eq(inuse_space, 4 * GIB);
	cr_expect_eq(alloc_space, 6 * GIB);
	cr_expect_eq(inuse_objs, 3);
	cr_expect_eq(nmaps, 1, "only the executable mapping");
	cr_expect_eq(map_start, 0x55d0c0001000);
	cr_assert_lt(map_file, nstrings);
	cr_expect(string_lens[map_file] == 13 &&
	          !memcmp(strings[map_file], "/usr/bin/demo", 13));
	cr_expect_eq(nlocs, 3);
	for (unsigned i = 0; i < nlocs; i++)
		cr_expect_eq(loc_map[i], 1, "location %u in the mapping", i);
}

Test(prof_dump, recent_ring_json_lists_newest_with_free_times_and_names) {
	cr_assert_eq(prof_recent_set_max(3), 0);
	fill_tables();
	const char *j = written(prof_dump_recent_json, NULL);
	cr_expect(strstr(j, "\"recent_alloc_max\": 3"));
	cr_expect(strstr(j, "\"alloc_time\": 5,") == NULL,
	          "the oldest entry left the ring: %s", j);
	cr_expect(strstr(j, "\"alloc_time\": 6,"), "%s", j);
	cr_expect(strstr(j, "{\"size\": 2147483648, \"released\": true, "
	                    "\"alloc_thread_uid\": 2, "
	                    "\"alloc_thread_name\": \"io \\\"2\\\"\", "
	                    "\"alloc_time\": 7, "
	                    "\"alloc_trace\": [\"0x55d0c0003000\"], "
	                    "\"free_thread_uid\": 3, "
	                    "\"free_thread_name\": \"reaper\", "
	                    "\"free_time\": 9}"), "%s", j);
	cr_expect(strstr(j, "\"alloc_thread_uid\": 1, \"alloc_time\": 6,"),
	          "an unnamed thread has no name key: %s", j);
}

Test(prof_dump, write_errors_come_back_as_errno) {
	fill_tables();
	int fd = open("/dev/null", O_RDONLY);
	cr_expect_eq(prof_dump_heap_v2(fd, &opts), EBADF);
	close(fd);
	cr_expect_eq(prof_dump_file("/nonexistent/dir/x.heap",
	                            prof_dump_heap_v2, &opts), ENOENT);
}

/* Dumps while two threads sample and free: every dump completes with
 * counts in range, and once the threads stop the heap_v2 header's live
 * count equals the sum of its stack lines. */
static atomic_bool churn_stop;
static void *churn(void *arg) {
	uintptr_t base = (uintptr_t)arg;
	void *f[1];
	for (unsigned i = 0; !atomic_load(&churn_stop); i++) {
		f[0] = (void *)(base + (i & 63));
		prof_stack_t *s = prof_stack_intern(f, 1);
		void *p = (void *)(base + 16 * (i & 1023));
		if (prof_live_insert(p, GIB, 12, s, base, i, NULL) == EEXIST)
			prof_live_remove(p, base, i, NULL);
	}
	return NULL;
}

static uint64_t sum_stack_lines(const char *text, uint64_t *header) {
	uint64_t sum = 0;
	const char *p = strstr(text, "  t*: ");
	*header = strtoull(p + 6, NULL, 10);
	while ((p = strstr(p + 1, "\n@ ")) != NULL) {
		const char *t = strstr(p, "  t*: ");
		sum += strtoull(t + 6, NULL, 10);
	}
	return sum;
}

Test(prof_dump, dumps_run_beside_sampling_threads) {
	pthread_t t[2];
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, churn, (void *)((i + 1) << 40));
	opts.with_accum = false;
	while (prof_live_count() < 100)
		sched_yield();
	for (int i = 0; i < 50; i++) {
		uint64_t header;
		const char *text = written(prof_dump_heap_v2, NULL);
		uint64_t sum = sum_stack_lines(text, &header);
		/* At most 2 x 1024 blocks are live: a lost update would show
		 * as a count wrapped below zero. */
		cr_expect_leq(header, 2048);
		cr_expect_leq(sum, 2048);
		cr_expect_gt(header, 0);
		size_t len;
		written(prof_dump_pprof, &len);
		cr_expect_gt(len, 100);
	}
	atomic_store(&churn_stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	uint64_t header;
	const char *text = written(prof_dump_heap_v2, NULL);
	cr_expect_eq(sum_stack_lines(text, &header), header,
	             "quiet tables: header and lines agree");
	opts.with_accum = true;
}
