// cxx_pairs.cpp — N new/delete pairs of a small object, for the C++ fast
// path measurement (cxx_fastpath.sh counts instructions per pair with
// callgrind).  The pointer goes through a volatile store so the compiler
// keeps every pair (C++14 lets it elide new/delete otherwise).
#include <cstdlib>
#include <new>

struct Node {
	Node *next;
	long value[3];
};

static Node *volatile sink;

int main(int argc, char **argv) {
	long n = argc > 1 ? std::atol(argv[1]) : 1000;
	for (long i = 0; i < n; i++) {
		Node *node = new Node();
		sink = node;
		delete sink;
	}
	return 0;
}
