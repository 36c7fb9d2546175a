/*
 * memkind_tiers.c — the memkind backend, through libstrata.so: a PMEM
 * arena with a directory keeps its blocks in a file of that directory
 * (read through /proc/self/maps and /proc/self/map_files, since memkind
 * unlinks the file), the file's blocks grow with the arena and fall when
 * decay punches holes; a DRAM arena's blocks lie elsewhere; a bounded pool
 * runs out with NULL + ENOMEM and nothing else breaks; a tier memkind does
 * not find is refused at creation with ENOTSUP and a line naming it.
 * STRATA_CONF may set pmem_dir: then a PMEM arena without a directory of
 * its own takes that one.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <memkind.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strata.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

static char dir[64];

/* memkind unlinks its files at once: the empty directory can go. */
static void remove_dir(void) {
	if (dir[0] != '\0')
		rmdir(dir);
}

TestSuite(memkind_tiers, .fini = remove_dir, .timeout = 60);

/* A fresh directory on tmpfs for one test's PMEM files. */
static const char *make_dir(void) {
	snprintf(dir, sizeof(dir), "/dev/shm/strata-mk-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	return dir;
}

static unsigned pmem_arena(const char *d, size_t max_bytes, long decay_ms) {
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.tier = STRATA_TIER_PMEM;
	opts.pmem_dir = d;
	opts.pmem_max_bytes = max_bytes;
	opts.dirty_decay_ms = decay_ms;
	opts.muzzy_decay_ms = decay_ms;
	unsigned index = 0;
	int err = strata_arena_create(&opts, &index);
	cr_assert_eq(err, 0, "strata_arena_create(PMEM, %s): %s", d,
	             strerror(err));
	return index;
}

/* The mapping of /proc/self/maps that holds p: its range and path. */
static bool mapping_of(const void *p, uintptr_t *lo, uintptr_t *hi,
                       char *path, size_t path_bytes) {
	FILE *f = fopen("/proc/self/maps", "r");
	cr_assert_not_null(f);
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		unsigned long a, b;
		int at = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &a, &b, &at) < 2)
			continue;
		if ((uintptr_t)p < a || (uintptr_t)p >= b)
			continue;
		found = true;
		*lo = a;
		*hi = b;
		snprintf(path, path_bytes, "%s", at > 0 ? line + at : "");
		path[strcspn(path, "\n")] = '\0';
	}
	fclose(f);
	return found;
}

static bool lies_in_dir(const void *p, const char *d) {
	uintptr_t lo, hi;
	char path[4096];
	if (!mapping_of(p, &lo, &hi, path, sizeof(path)))
		return false;
	size_t n = strlen(d);
	return strncmp(path, d, n) == 0 && path[n] == '/';
}

/* Bytes the (unlinked) file behind p's mapping has allocated. */
static long long file_bytes(const void *p) {
	uintptr_t lo, hi;
	char path[4096], link[96];
	cr_assert(mapping_of(p, &lo, &hi, path, sizeof(path)));
	snprintf(link, sizeof(link), "/proc/self/map_files/%lx-%lx",
	         (unsigned long)lo, (unsigned long)hi);
	int fd = open(link, O_RDONLY);
	cr_assert_geq(fd, 0, "open %s: %s", link, strerror(errno));
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	close(fd);
	return (long long)st.st_blocks * 512;
}

#define NBLOCKS 64
#define BLOCK_BYTES (64 * KIB)

Test(memkind_tiers, pmem_arena_blocks_lie_in_a_file_that_grows_and_shrinks) {
	const char *d = make_dir();
	unsigned pm = pmem_arena(d, 0, 0);
	void *blocks[2 * NBLOCKS];
	blocks[0] = strata_mallocx(BLOCK_BYTES, STRATA_MALLOCX_ARENA(pm));
	cr_assert_not_null(blocks[0]);
	memset(blocks[0], 0x5a, BLOCK_BYTES);
	long long first = file_bytes(blocks[0]);
	for (int i = 1; i < 2 * NBLOCKS; i++) {
		blocks[i] = strata_mallocx(BLOCK_BYTES, STRATA_MALLOCX_ARENA(pm));
		cr_assert_not_null(blocks[i]);
		memset(blocks[i], 0x5a, BLOCK_BYTES);
		cr_assert(lies_in_dir(blocks[i], d), "block %d not in %s", i, d);
	}
	long long grown = file_bytes(blocks[0]);
	cr_log_info("PMEM file: %lld KiB after 1 block, %lld KiB after %d",
	            first / 1024, grown / 1024, 2 * NBLOCKS);
	cr_assert_geq(grown - first,
	              (long long)((2 * NBLOCKS - 1) * BLOCK_BYTES),
	              "the file grew by %lld bytes", grown - first);
	/* Decay 0: freeing purges at once, which punches holes. */
	for (int i = 1; i < 2 * NBLOCKS; i++)
		strata_dallocx(blocks[i], STRATA_MALLOCX_ARENA(pm));
	long long fallen = file_bytes(blocks[0]);
	cr_log_info("PMEM file: %lld KiB after freeing %d blocks",
	            fallen / 1024, 2 * NBLOCKS - 1);
	/* memkind fallocates whole extents of its own heap, a little more
	 * than strata's chunks: what falls is what strata freed. */
	cr_assert_geq(grown - fallen,
	              (long long)((2 * NBLOCKS - 1) * BLOCK_BYTES),
	              "holes punched: the file fell by %lld bytes of %lld",
	              grown - fallen, grown);
	cr_assert_eq(((volatile unsigned char *)blocks[0])[BLOCK_BYTES - 1],
	             0x5a, "the live block keeps its data");
	strata_dallocx(blocks[0], STRATA_MALLOCX_ARENA(pm));
}

Test(memkind_tiers, dram_arena_blocks_do_not_lie_in_the_pmem_file) {
	const char *d = make_dir();
	unsigned pm = pmem_arena(d, 0, -1);
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.tier = STRATA_TIER_DRAM;
	unsigned dram;
	cr_assert_eq(strata_arena_create(&opts, &dram), 0);
	size_t sizes[] = { 16, 512, 8 * KIB, 256 * KIB, 4 * MIB };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *p = strata_mallocx(sizes[i], STRATA_MALLOCX_ARENA(pm));
		char *q = strata_mallocx(sizes[i], STRATA_MALLOCX_ARENA(dram));
		cr_assert(p != NULL && q != NULL);
		memset(p, 1, sizes[i]);
		memset(q, 2, sizes[i]);
		cr_assert(lies_in_dir(p, d), "%zu-byte PMEM block", sizes[i]);
		cr_assert(!lies_in_dir(q, d), "%zu-byte DRAM block", sizes[i]);
		cr_assert_eq(p[sizes[i] - 1] + q[sizes[i] - 1], 3);
		strata_dallocx(p, STRATA_MALLOCX_ARENA(pm));
		strata_dallocx(q, STRATA_MALLOCX_ARENA(dram));
	}
}

Test(memkind_tiers, bounded_pool_runs_out_with_enomem_and_nothing_breaks) {
	const char *d = make_dir();
	unsigned pm = pmem_arena(d, 16 * MIB, -1);
	enum { MAX = 1024 };
	static void *blocks[MAX];
	int n = 0;
	errno = 0;
	while (n < MAX) {
		void *p = strata_mallocx(256 * KIB, STRATA_MALLOCX_ARENA(pm));
		if (p == NULL)
			break;
		memset(p, 0x77, 256 * KIB);
		cr_assert(lies_in_dir(p, d));
		blocks[n++] = p;
	}
	cr_assert_lt(n, MAX, "a 16 MiB pool served %d x 256 KiB", n);
	cr_assert_eq(errno, ENOMEM, "errno %d after %d blocks", errno, n);
	cr_log_info("16 MiB PMEM pool: %d x 256 KiB before ENOMEM", n);
	cr_assert_geq(n, 8, "the pool served only %d blocks", n);
	/* Other arenas and the live blocks are untouched. */
	char *volatile q = malloc(MIB);
	cr_assert_not_null(q);
	memset(q, 3, MIB);
	free(q);
	for (int i = 0; i < n; i++)
		cr_assert_eq(((unsigned char *)blocks[i])[256 * KIB - 1], 0x77);
	/* Freeing makes room again. */
	for (int i = 0; i < n; i++)
		strata_dallocx(blocks[i], STRATA_MALLOCX_ARENA(pm));
	void *again = strata_mallocx(256 * KIB, STRATA_MALLOCX_ARENA(pm));
	cr_assert_not_null(again);
	strata_dallocx(again, STRATA_MALLOCX_ARENA(pm));
}

/* stderr of one call, into buf. */
static int create_capturing_stderr(strata_tier tier, char *buf, size_t n) {
	char path[] = "/tmp/strata-mk-err-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	unlink(path);
	int saved = dup(2);
	dup2(fd, 2);
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.tier = tier;
	opts.policy = STRATA_POLICY_STRICT;
	unsigned index;
	int err = strata_arena_create(&opts, &index);
	dup2(saved, 2);
	close(saved);
	ssize_t got = pread(fd, buf, n - 1, 0);
	buf[got > 0 ? got : 0] = '\0';
	close(fd);
	return err;
}

Test(memkind_tiers, a_tier_memkind_lacks_is_refused_naming_it) {
	struct { strata_tier tier; memkind_t *kind; const char *name; } t[] = {
		{ STRATA_TIER_HBM, &MEMKIND_HBW, "tier HBM" },
		{ STRATA_TIER_PMEM, &MEMKIND_DAX_KMEM, "tier PMEM" },
	};
	const char *pmem_dir = NULL;
	size_t len = sizeof(pmem_dir);
	cr_assert_eq(strata_ctl("opt.pmem_dir", &pmem_dir, &len, NULL, 0), 0);
	int checked = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (memkind_check_available(*t[i].kind) == 0)
			continue; /* the machine (or MEMKIND_*_NODES) has it */
		if (t[i].tier == STRATA_TIER_PMEM && pmem_dir[0] != '\0')
			continue; /* served from the option's directory */
		char buf[512];
		cr_assert_eq(create_capturing_stderr(t[i].tier, buf, sizeof(buf)),
		             ENOTSUP);
		cr_assert_not_null(strstr(buf, t[i].name), "stderr: %s", buf);
		cr_assert_not_null(strchr(buf, '\n'));
		cr_assert_eq(strchr(buf, '\n')[1], '\0', "one line: %s", buf);
		checked++;
	}
	if (checked == 0)
		cr_skip_test("this machine has both HBW and DAX_KMEM nodes");
}

/* Run with STRATA_CONF=pmem_dir:DIR (meson does): a PMEM arena without a
 * directory of its own has its blocks in a file there. */
Test(memkind_tiers, pmem_dir_option_serves_pmem_arenas_without_their_own) {
	const char *d = NULL;
	size_t len = sizeof(d);
	cr_assert_eq(strata_ctl("opt.pmem_dir", &d, &len, NULL, 0), 0);
	if (d == NULL || d[0] == '\0')
		cr_skip_test("run without pmem_dir");
	strata_arena_opts opts;
	strata_arena_opts_init(&opts);
	opts.tier = STRATA_TIER_PMEM;
	unsigned pm;
	cr_assert_eq(strata_arena_create(&opts, &pm), 0);
	char *p = strata_mallocx(100 * KIB, STRATA_MALLOCX_ARENA(pm));
	cr_assert_not_null(p);
	memset(p, 9, 100 * KIB);
	cr_assert(lies_in_dir(p, d), "a block of the option's PMEM arena");
	strata_dallocx(p, STRATA_MALLOCX_ARENA(pm));
}

static char stats_buf[1 << 20];
static size_t stats_used;
static void to_buf(void *opaque, const char *s) {
	(void)opaque;
	size_t n = strlen(s);
	if (stats_used + n < sizeof(stats_buf)) {
		memcpy(stats_buf + stats_used, s, n);
		stats_used += n;
	}
}

/* The arena's tier labels its metrics: its mapped bytes under tier PMEM
 * cover what it holds, its file holds at least as much, and the JSON
 * gives its tier and kind. */
Test(memkind_tiers, a_pmem_arena_reports_its_bytes_under_tier_pmem) {
	const char *d = make_dir();
	unsigned pm = pmem_arena(d, 0, -1);
	enum { N = 16 };
	char *blocks[N];
	for (int i = 0; i < N; i++) {
		blocks[i] = strata_mallocx(256 * KIB, STRATA_MALLOCX_ARENA(pm));
		cr_assert_not_null(blocks[i]);
		memset(blocks[i], 0x31, 256 * KIB);
	}
	stats_used = 0;
	strata_stats_print(to_buf, NULL, "P");
	stats_buf[stats_used] = '\0';
	char key[128];
	snprintf(key, sizeof(key),
	         "strata_arena_mapped_bytes{arena=\"%u\",tier=\"PMEM\"} ", pm);
	const char *at = strstr(stats_buf, key);
	cr_assert_not_null(at, "no %s in the Prometheus output", key);
	unsigned long long mapped = strtoull(at + strlen(key), NULL, 10);
	cr_log_info("PMEM arena: %llu bytes mapped, file %lld bytes", mapped,
	            file_bytes(blocks[0]));
	cr_assert_geq(mapped, (unsigned long long)N * 256 * KIB);
	cr_assert_geq(file_bytes(blocks[0]), (long long)N * 256 * KIB);
	stats_used = 0;
	strata_stats_print(to_buf, NULL, "J");
	stats_buf[stats_used] = '\0';
	cr_assert_not_null(strstr(stats_buf, "\"tier\": \"PMEM\","));
	cr_assert_not_null(strstr(stats_buf,
	                          "\"provider\": \"memkind_create_pmem\""),
	                   "the JSON names the arena's kind");
	for (int i = 0; i < N; i++)
		strata_dallocx(blocks[i], STRATA_MALLOCX_ARENA(pm));
}
