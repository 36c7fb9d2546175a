/*
 * topology.c — probing /sys for hugepage size, memory nodes and tiers.
 *
 * Tiers come from the kernel's memory tiering (Linux 6.1+):
 * /sys/devices/virtual/memory_tiering/memory_tierN/nodelist.  A tier's id
 * is its abstract distance divided by the kernel's chunk size; the kernel
 * puts ordinary DRAM at id 4 (MEMTIER_ADISTANCE_DRAM), so lower ids are
 * faster memory (HBM) and higher ids slower (PMEM, CXL, dax kmem).  Without
 * that directory every memory node is DRAM.
 */
#define _GNU_SOURCE
#include "topology.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SYS_NODE_DIR "/sys/devices/system/node/"
#define SYS_THP_SIZE "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"
#define SYS_TIER_DIR "/sys/devices/virtual/memory_tiering/"
#define TIER_PREFIX "memory_tier"
#define TIER_ID_DRAM 4u

/* Read a small text file into buf (NUL-terminated); bytes read or -1. */
static ssize_t read_text(const char *path, char *buf, size_t len) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Decimal number at *s; advances *s; false when there is none. */
static bool parse_uint(const char **s, unsigned long *out) {
	const char *p = *s;
	unsigned long v = 0;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > (1ul << 40))
			return false;
		p++;
	}
	*s = p;
	*out = v;
	return true;
}

bool topo_parse_list(const char *s, nodemask_t *m) {
	memset(m, 0, sizeof(*m));
	while (*s != '\0' && *s != '\n') {
		unsigned long lo, hi;
		if (!parse_uint(&s, &lo))
			return false;
		hi = lo;
		if (*s == '-') {
			s++;
			if (!parse_uint(&s, &hi) || hi < lo)
				return false;
		}
		for (unsigned long n = lo; n <= hi && n < TOPO_NODES_MAX; n++)
			nodemask_set(m, (unsigned)n);
		if (*s == ',')
			s++;
	}
	return true;
}

static bool read_list(const char *path, nodemask_t *m) {
	char buf[4096];
	return read_text(path, buf, sizeof(buf)) >= 0 && topo_parse_list(buf, m);
}

static size_t probe_hugepage_bytes(void) {
	char buf[64];
	const char *p = buf;
	unsigned long v;
	if (read_text(SYS_THP_SIZE, buf, sizeof(buf)) <= 0 || !parse_uint(&p, &v))
		return 0;
	return (v & (v - 1)) == 0 ? (size_t)v : 0;
}

static unsigned highest_node(const nodemask_t *m) {
	for (unsigned n = TOPO_NODES_MAX; n-- > 0;)
		if (nodemask_has(m, n))
			return n;
	return 0;
}

/* Tier of a kernel memory_tier id, by distance from the DRAM tier. */
static strata_tier tier_of_id(unsigned long id) {
	return id < TIER_ID_DRAM ? STRATA_TIER_HBM
	       : id == TIER_ID_DRAM ? STRATA_TIER_DRAM
	                            : STRATA_TIER_PMEM;
}

static void add_tier(topology_t *t, const char *name) {
	const char *p = name + strlen(TIER_PREFIX);
	unsigned long id;
	if (!parse_uint(&p, &id) || *p != '\0')
		return;
	char path[256] = SYS_TIER_DIR;
	size_t at = strlen(path), nlen = strlen(name);
	if (at + nlen + sizeof("/nodelist") > sizeof(path))
		return;
	memcpy(path + at, name, nlen);
	memcpy(path + at + nlen, "/nodelist", sizeof("/nodelist"));
	nodemask_t m;
	if (!read_list(path, &m))
		return;
	nodemask_t *tier = &t->tier_nodes[tier_of_id(id)];
	for (unsigned w = 0; w < TOPO_MASK_WORDS; w++)
		tier->bits[w] |= m.bits[w] & t->memory_nodes.bits[w];
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Every memory_tier* directory, with getdents64 (opendir would malloc). */
static bool probe_tiers(topology_t *t) {
	int fd = open(SYS_TIER_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[4096] __attribute__((aligned(8)));
	long n;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			if (strncmp(d->d_name, TIER_PREFIX,
			            strlen(TIER_PREFIX)) == 0)
				add_tier(t, d->d_name);
			off += d->d_reclen;
		}
	}
	close(fd);
	return true;
}

void topo_probe(topology_t *t) {
	memset(t, 0, sizeof(*t));
	t->hugepage_bytes = probe_hugepage_bytes();
	nodemask_t online;
	if (!read_list(SYS_NODE_DIR "online", &online) ||
	    nodemask_is_empty(&online))
		nodemask_set(&online, 0);
	t->node_count = highest_node(&online) + 1;
	if (!read_list(SYS_NODE_DIR "has_memory", &t->memory_nodes) ||
	    nodemask_is_empty(&t->memory_nodes))
		t->memory_nodes = online;
	t->tier_nodes[STRATA_TIER_DEFAULT] = t->memory_nodes;
	t->has_tiering_sysfs = probe_tiers(t);
	if (!t->has_tiering_sysfs ||
	    (nodemask_is_empty(&t->tier_nodes[STRATA_TIER_DRAM]) &&
	     nodemask_is_empty(&t->tier_nodes[STRATA_TIER_HBM]) &&
	     nodemask_is_empty(&t->tier_nodes[STRATA_TIER_PMEM])))
		t->tier_nodes[STRATA_TIER_DRAM] = t->memory_nodes;
	for (unsigned i = 0; i < BACKEND_TIER_COUNT; i++)
		if (!nodemask_is_empty(&t->tier_nodes[i]))
			t->tier_mask |= 1u << i;
}
