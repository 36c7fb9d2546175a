// cxx_operators.cpp — the C++ operators libstrata.so exports: every form
// of new lands in strata (the pointer is in strata's pagemap), aligned new
// aligns, nothrow new returns null on an impossible size, new throws
// std::bad_alloc after calling the new-handler until it is removed, and a
// sized delete with the wrong size is reported (abort).
#include <csignal>
#include <cstdint>
#include <cstring>
#include <dlfcn.h>
#include <new>

#include <criterion/criterion.h>

#include "strata.h"

TestSuite(cxx_operators, .timeout = 30);

struct alignas(256) Wide {
	char bytes[300];
};

Test(cxx_operators, operator_new_is_strata) {
	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, "_Znwm");
	cr_assert_neq(dladdr(sym, &info), 0);
	cr_assert_not_null(std::strstr(info.dli_fname, "libstrata"), "%s",
	                   info.dli_fname);
	long *p = new long[10]();
	cr_assert_geq(strata_malloc_usable_size(p), 10 * sizeof(long));
	delete[] p;
	auto *q = new (std::nothrow) int(5);
	cr_assert_geq(strata_malloc_usable_size(q), sizeof(int));
	delete q;
}

Test(cxx_operators, aligned_new_aligns_and_is_strata) {
	auto *w = new Wide();
	cr_assert_eq(reinterpret_cast<std::uintptr_t>(w) % 256, 0);
	cr_assert_geq(strata_malloc_usable_size(w), sizeof(Wide));
	std::memset(w->bytes, 1, sizeof(w->bytes));
	delete w;
	auto *arr = new (std::nothrow) Wide[3];
	cr_assert_eq(reinterpret_cast<std::uintptr_t>(arr) % 256, 0);
	delete[] arr;
	void *raw = ::operator new(1000, std::align_val_t(4096));
	cr_assert_eq(reinterpret_cast<std::uintptr_t>(raw) % 4096, 0);
	::operator delete(raw, 1000, std::align_val_t(4096));
}

static std::size_t impossible() {
	volatile std::size_t huge = SIZE_MAX / 2;
	return huge;
}

Test(cxx_operators, nothrow_new_returns_null_on_failure) {
	void *p = ::operator new(impossible(), std::nothrow);
	cr_assert_null(p);
	p = ::operator new[](impossible(), std::align_val_t(64), std::nothrow);
	cr_assert_null(p);
}

static int handler_calls;
static void handler() {
	if (++handler_calls == 2)
		std::set_new_handler(nullptr);
}

Test(cxx_operators, new_calls_handler_then_throws_bad_alloc) {
	std::set_new_handler(handler);
	bool thrown = false;
	try {
		void *p = ::operator new(impossible());
		cr_assert_fail("new returned %p", p);
	} catch (const std::bad_alloc &) {
		thrown = true;
	}
	cr_assert(thrown);
	cr_assert_eq(handler_calls, 2, "handler called %d times", handler_calls);
	try {
		void *p = ::operator new[](impossible(), std::align_val_t(128));
		cr_assert_fail("aligned new returned %p", p);
	} catch (const std::bad_alloc &) {
		thrown = false;
	}
	cr_assert(!thrown);
}

Test(cxx_operators, sized_delete_with_the_right_size_frees) {
	for (std::size_t size = 1; size < 100000; size = size * 2 + 3) {
		void *p = ::operator new(size);
		std::memset(p, 3, size);
		::operator delete(p, size);
	}
}

Test(cxx_operators, sized_delete_with_a_wrong_size_aborts,
     .signal = SIGABRT) {
	void *p = ::operator new(64);
	std::memset(p, 3, 64);
	::operator delete(p, 5000);
}
