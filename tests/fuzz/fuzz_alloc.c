/*
 * fuzz_alloc.c — libFuzzer target: random sequences of malloc, calloc,
 * realloc, free, aligned_alloc, posix_memalign, mallocx, rallocx,
 * sdallocx and free_sized through the strata_* API, each result checked
 * against a shadow model of the live blocks:
 *   - a request the model expects to succeed returns a block;
 *   - the usable size (malloc_usable_size, sallocx) is at least the
 *     request, and nallocx agrees with sallocx for mallocx;
 *   - the alignment asked for is honoured;
 *   - calloc and MALLOCX_ZERO blocks read as zero, and so do the bytes
 *     rallocx(ZERO) adds;
 *   - contents survive realloc/rallocx up to the smaller size;
 *   - no two live blocks overlap, and no block is written by another
 *     (each is filled with its own pattern, checked before it goes).
 * Each input is a program: one opcode byte, then its operands.  Every
 * block still live at the end of an input is checked and freed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"

#define SLOTS 64
#define LIVE_BYTES_MAX ((size_t)64 << 20)

typedef struct block {
	unsigned char *p;
	size_t size;   /* requested */
	size_t align;  /* asked for (0: none) */
	int flags;     /* mallocx flags it was made with (sdallocx) */
	uint8_t seed;  /* fill pattern */
} block_t;

static block_t live[SLOTS];
static size_t live_bytes;

typedef struct input {
	const uint8_t *data;
	size_t left;
} input_t;

static unsigned take(input_t *in) {
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->data++;
}

/* Sizes weighted toward small classes, with large and (rarely) huge. */
static size_t take_size(input_t *in) {
	unsigned kind = take(in), a = take(in), b = take(in);
	switch (kind % 16) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
		return 1 + (a | (b & 0x0f) << 8) % 1024;   /* up to 1 KiB */
	case 8: case 9: case 10: case 11:
		return 1 + (a | b << 8) % 16384;           /* small */
	case 12: case 13: case 14:
		return 1 + ((size_t)(a | b << 8) << 4);     /* large, to 1 MiB */
	default: /* one in 16 of these to 8 MiB (huge), the rest large */
		return 1 + ((size_t)(a | b << 8) << (a % 16 == 0 ? 7 : 4));
	}
}

/* The model's byte loops are not what is fuzzed: left out of coverage
 * tracing, which otherwise costs most of the run time. */
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))

static uint8_t pattern(uint8_t seed, size_t i) {
	return (uint8_t)(seed + i * 7 + (i >> 12));
}

/* Blocks of 64 KiB and more are filled and checked at both ends and at
 * every 4 KiB between: enough to see an overlap, cheap enough to fuzz. */
NO_COVERAGE
static size_t next_checked(size_t i, size_t size) {
	if (size < 65536 || i < 4096 || i + 4096 >= size)
		return i + 1;
	size_t next = (i | 4095) + 1; /* the next multiple of 4 KiB */
	return next < size - 4096 ? next : size - 4096;
}

NO_COVERAGE
static void fill(unsigned char *p, size_t size, uint8_t seed) {
	for (size_t i = 0; i < size; i = next_checked(i, size))
		p[i] = pattern(seed, i);
}

/* The first kept bytes of a block filled for size. */
NO_COVERAGE
static void check_kept(const unsigned char *p, size_t kept, size_t size,
                       uint8_t seed) {
	for (size_t i = 0; i < kept; i = next_checked(i, size))
		if (p[i] != pattern(seed, i))
			abort(); /* contents lost or overwritten */
}

NO_COVERAGE
static void check_filled(const unsigned char *p, size_t size, uint8_t seed) {
	check_kept(p, size, size, seed);
}

NO_COVERAGE
static void check_zero(const unsigned char *p, size_t from, size_t to) {
	for (size_t i = from; i < to; i = next_checked(i, to))
		if (p[i] != 0)
			abort();
}

NO_COVERAGE
static void check_new_block(int slot, const unsigned char *p, size_t size,
                            size_t align) {
	if (p == NULL)
		abort(); /* the model's sizes always fit */
	size_t usable = strata_malloc_usable_size(p);
	if (usable < size || strata_sallocx(p, 0) != usable)
		abort();
	if (align != 0 && (uintptr_t)p % align != 0)
		abort();
	for (int i = 0; i < SLOTS; i++) {
		if (i == slot || live[i].p == NULL)
			continue;
		const unsigned char *q = live[i].p;
		size_t qu = strata_malloc_usable_size(q);
		if (p < q + qu && q < p + usable)
			abort(); /* overlaps a live block */
	}
}

NO_COVERAGE
static void drop(int slot) {
	block_t *b = &live[slot];
	check_filled(b->p, b->size, b->seed);
	live_bytes -= b->size;
	b->p = NULL;
}

NO_COVERAGE
static void put(int slot, unsigned char *p, size_t size, size_t align,
                int flags, uint8_t seed) {
	check_new_block(slot, p, size, align);
	live[slot] = (block_t){ p, size, align, flags, seed };
	live_bytes += size;
	fill(p, size, seed);
}

static size_t take_align(input_t *in) {
	return (size_t)1 << (take(in) % 17); /* 1 B .. 64 KiB */
}

static void op_alloc(input_t *in, unsigned op, int slot, uint8_t seed) {
	size_t size = take_size(in), align = 0;
	int flags = 0;
	unsigned char *p;
	bool is_zero = false;
	switch (op) {
	case 0:
		p = strata_malloc(size);
		break;
	case 1: {
		size_t count = 1 + take(in) % 8;
		size = size / count + 1;
		p = strata_calloc(count, size);
		size *= count;
		is_zero = true;
		break;
	}
	case 2:
		align = take_align(in);
		size = (size + align - 1) & ~(align - 1); /* C11: a multiple */
		p = strata_aligned_alloc(align, size);
		break;
	case 3: {
		align = take_align(in);
		if (align < sizeof(void *))
			align = sizeof(void *);
		void *q = NULL;
		if (strata_posix_memalign(&q, align, size) != 0)
			abort();
		p = q;
		break;
	}
	default: {
		unsigned f = take(in);
		if (f & 1)
			flags |= STRATA_MALLOCX_ZERO;
		if (f & 2)
			flags |= STRATA_MALLOCX_TCACHE_NONE;
		if (f & 4) {
			align = take_align(in);
			flags |= STRATA_MALLOCX_ALIGN(align);
		}
		is_zero = flags & STRATA_MALLOCX_ZERO;
		size_t expect = strata_nallocx(size, flags);
		p = strata_mallocx(size, flags);
		if (p != NULL && strata_sallocx(p, flags) != expect)
			abort();
		break;
	}
	}
	if (p != NULL && is_zero)
		check_zero(p, 0, size);
	put(slot, p, size, align, flags, seed);
}

static void op_realloc(input_t *in, bool is_rallocx, int slot, uint8_t seed) {
	block_t b = live[slot];
	size_t size = take_size(in);
	int flags = is_rallocx ? (take(in) & 1 ? STRATA_MALLOCX_ZERO : 0) : 0;
	size_t align = 0;
	if (is_rallocx && b.align != 0) { /* keep the alignment it had */
		align = b.align;
		flags |= STRATA_MALLOCX_ALIGN(align);
	}
	size_t old_usable = strata_malloc_usable_size(b.p);
	check_filled(b.p, b.size, b.seed);
	unsigned char *p = is_rallocx ? strata_rallocx(b.p, size, flags)
	                              : strata_realloc(b.p, size);
	if (p == NULL)
		abort();
	size_t kept = b.size < size ? b.size : size;
	check_kept(p, kept, b.size, b.seed); /* the old pattern, up to kept */
	size_t usable = strata_malloc_usable_size(p);
	if (flags & STRATA_MALLOCX_ZERO) {
		size_t from = old_usable < usable ? old_usable : usable;
		check_zero(p, from, size);
	}
	live_bytes -= b.size;
	live[slot].p = NULL;
	/* Re-fill the whole block with the new seed: the model stays exact. */
	put(slot, p, size, align, flags, seed);
}

/* Sized frees name the size asked for and the alignment it was asked
 * with, as their contract requires. */
static void op_free(input_t *in, int slot) {
	block_t b = live[slot];
	drop(slot);
	int flags = b.flags & ~STRATA_MALLOCX_ZERO;
	if (b.align != 0)
		flags = (flags & ~0x3f) | STRATA_MALLOCX_ALIGN(b.align);
	switch (take(in) % 4) {
	case 0: strata_free(b.p); break;
	case 1: strata_sdallocx(b.p, b.size, flags); break;
	case 2:
		if (b.align == 0)
			strata_free_sized(b.p, b.size);
		else
			strata_free_aligned_sized(b.p, b.align, b.size);
		break;
	default: strata_dallocx(b.p, flags & STRATA_MALLOCX_TCACHE_NONE); break;
	}
}

static void free_all(void) {
	for (int i = 0; i < SLOTS; i++)
		if (live[i].p != NULL) {
			unsigned char *p = live[i].p;
			drop(i);
			strata_free(p);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	input_t in = { data, size };
	uint8_t seed = 1;
	while (in.left > 0) {
		unsigned op = take(&in) % 10;
		int slot = (int)(take(&in) % SLOTS);
		seed += 37;
		if (live[slot].p == NULL) {
			if (live_bytes > LIVE_BYTES_MAX)
				continue;
			op_alloc(&in, op % 5, slot, seed);
		} else if (op < 3) {
			op_realloc(&in, op == 2, slot, seed);
			if (live_bytes > LIVE_BYTES_MAX)
				op_free(&in, slot);
		} else {
			op_free(&in, slot);
		}
	}
	free_all();
	return 0;
}
