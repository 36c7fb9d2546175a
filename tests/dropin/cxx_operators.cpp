// cxx_operators.cpp — the C++ operators libstrata.so exports: every form
// of new lands in strata (the pointer is in strata's pagemap), aligned new
// aligns, nothrow new returns null on an impossible size, new throws
// std::bad_alloc after calling the new-handler until it is removed, and a
// sized delete with the wrong size is reported (abort), and so are
// double and interior deletes, at the call.
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

// Invalid and double deletes are caught at the call, through the thread
// cache: a delete of a, b, a aborts at the second delete of a (before a
// new could hand a out twice), and so does a delete of an interior
// pointer, in every form.
static void *volatile sink;

// The same pointer again, hidden from the compiler's misuse warnings.
template <class T> __attribute__((noinline)) static T *again(T *p) {
	T *volatile v = p;
	return v;
}

Test(cxx_operators, non_adjacent_double_delete_aborts, .signal = SIGABRT) {
	long *a = new long[6], *b = new long[6];
	long *a2 = again(a);
	a[0] = 1;
	b[0] = 2;
	delete[] a;
	delete[] b;
	delete[] a2;
	sink = new long[6]; // not reached
}

Test(cxx_operators, non_adjacent_double_sized_delete_aborts,
     .signal = SIGABRT) {
	void *a = ::operator new(48), *b = ::operator new(48);
	void *a2 = again(a);
	std::memset(a, 1, 48);
	std::memset(b, 1, 48);
	::operator delete(a, 48);
	::operator delete(b, 48);
	::operator delete(a2, 48);
	sink = ::operator new(48);
}

Test(cxx_operators, delete_of_an_interior_pointer_aborts, .signal = SIGABRT) {
	char *a = static_cast<char *>(::operator new(64));
	std::memset(a, 1, 64);
	::operator delete(again(a + 16));
	sink = ::operator new(64);
}

Test(cxx_operators, aligned_double_delete_aborts, .signal = SIGABRT) {
	void *a = ::operator new(256, std::align_val_t(64));
	void *b = ::operator new(256, std::align_val_t(64));
	void *a2 = again(a);
	std::memset(a, 1, 256);
	std::memset(b, 1, 256);
	::operator delete(a, std::align_val_t(64));
	::operator delete(b, std::align_val_t(64));
	::operator delete(a2, std::align_val_t(64));
	sink = ::operator new(256, std::align_val_t(64));
}
