/*
 * junk.c — junk and zero write the bytes jemalloc writes.
 *   junk MODE ZERO   with STRATA_CONF=junk:MODE,zero:ZERO set by the test:
 *   opt.junk reads MODE and opt.zero ZERO through mallctl; a fresh block
 *   of each size reads 0xa5 (junk true/alloc), 0 (zero true) or anything;
 *   a freed block reads 0x5a (junk true/free), else keeps its bytes.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int ctl_fn(const char *, void *, size_t *, void *, size_t);

/* The address without an AArch64 pointer tag: the mte build hands out
 * tagged pointers and gives a freed block tag 0, so the freed bytes are
 * read through the untagged address (the old pointer faults there). */
static unsigned char *untagged(unsigned char *p) {
#ifdef __aarch64__
	return (unsigned char *)((uintptr_t)p & (((uintptr_t)1 << 56) - 1));
#else
	return p;
#endif
}

static bool all(const unsigned char *p, size_t n, unsigned char b) {
	for (size_t i = 0; i < n; i++)
		if (p[i] != b)
			return false;
	return true;
}

int main(int argc, char **argv) {
	if (argc < 3)
		return 2;
	const char *mode = argv[1];
	bool zero = strcmp(argv[2], "true") == 0;
	ctl_fn *ctl = (ctl_fn *)dlsym(RTLD_DEFAULT, "mallctl");
	const char *junk = NULL;
	bool z = !zero;
	size_t len = sizeof(junk);
	if (ctl == NULL || ctl("opt.junk", &junk, &len, NULL, 0) != 0 ||
	    strcmp(junk, mode) != 0)
		return 3;
	len = sizeof(z);
	if (ctl("opt.zero", &z, &len, NULL, 0) != 0 || z != zero)
		return 4;
	bool on_alloc = strcmp(mode, "true") == 0 || strcmp(mode, "alloc") == 0;
	bool on_free = strcmp(mode, "true") == 0 || strcmp(mode, "free") == 0;
	static const size_t sizes[] = { 8, 100, 1000, 20000, 300000, 3 << 20 };
	int bad = 0;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		for (int round = 0; round < 3; round++) {
			unsigned char *p = malloc(n);
			if (p == NULL)
				return 5;
			if (zero && !all(p, n, 0))
				bad++, printf("%zu B: not zero\n", n);
			else if (!zero && on_alloc && !all(p, n, 0xa5))
				bad++, printf("%zu B: not 0xa5\n", n);
			memset(p, 0x11, n);
			free(p);
			/* A small or large block stays mapped after free. */
			if (n <= 300000) {
				unsigned char *volatile q = untagged(p);
				size_t off = n > 64 ? 64 : n / 2; /* past any link */
				unsigned char seen = q[off];
				if (on_free ? seen != 0x5a : seen != 0x11)
					bad++, printf("%zu B freed: 0x%02x\n", n,
					              seen);
			}
		}
	}
	printf("junk:%s zero:%s: %d bad\n", mode, zero ? "true" : "false", bad);
	return bad == 0 ? 0 : 1;
}
