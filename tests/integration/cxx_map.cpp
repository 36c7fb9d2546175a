// Threaded C++ workload for the allocator integration tests.
//
// Four worker threads build containers (std::map of string -> vector<string>,
// std::unordered_map, growing std::string, std::shared_ptr) and hand most of
// them to the next thread through a mutex-protected queue, so memory is
// routinely freed by a different thread than the one that allocated it.
// Each thread keeps a checksum of what it produced and consumed; the final
// output combines the per-thread checksums in thread order and is therefore
// deterministic regardless of scheduling or allocator.
//
// usage: cxx_map [rounds]   (default 150)

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

constexpr int kThreads = 4;

struct Rng {
    std::uint64_t s;
    explicit Rng(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
    std::uint32_t next() {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<std::uint32_t>(s >> 33);
    }
    std::uint32_t below(std::uint32_t n) { return next() % n; }
};

struct Hash {
    std::uint64_t h = 1469598103934665603ull;
    void bytes(const void *p, std::size_t n) {
        const unsigned char *c = static_cast<const unsigned char *>(p);
        for (std::size_t i = 0; i < n; i++) {
            h ^= c[i];
            h *= 1099511628211ull;
        }
    }
    void str(const std::string &s) {
        bytes(s.data(), s.size());
        u64(s.size());
    }
    void u64(std::uint64_t v) { bytes(&v, sizeof v); }
};

// Immutable payload shared between threads through shared_ptr.
struct Shared {
    std::string label;
    std::vector<std::string> lines;
};

// A unit of work passed from one thread to the next.
struct Parcel {
    int origin = 0;
    int round = 0;
    std::map<std::string, std::vector<std::string>> index;
    std::unordered_map<std::string, std::uint64_t> counts;
    std::string text;
    std::vector<std::shared_ptr<const Shared>> refs;
    std::unique_ptr<std::vector<std::uint64_t>> numbers;
};

class Queue {
public:
    void push(std::unique_ptr<Parcel> p) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            q_.push_back(std::move(p));
        }
        cv_.notify_one();
    }
    std::unique_ptr<Parcel> pop() {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !q_.empty(); });
        std::unique_ptr<Parcel> p = std::move(q_.front());
        q_.pop_front();
        return p;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<Parcel>> q_;
};

const char *const kWords[] = {
    "amber", "basalt", "cobalt", "dune", "ember", "flint", "garnet", "hazel",
    "iris", "jade", "koi", "lotus", "marble", "nickel", "opal", "pearl",
    "quill", "ruby", "sable", "topaz", "umber", "velvet", "wren", "yew",
};
constexpr std::uint32_t kNumWords = sizeof kWords / sizeof kWords[0];

std::string make_word(Rng &rng, int parts) {
    std::string w;
    for (int i = 0; i < parts; i++) {
        if (i)
            w += '_';
        w += kWords[rng.below(kNumWords)];
    }
    return w;
}

// Shared objects published by every thread; slot t belongs to thread t.
std::mutex g_shared_mu;
std::vector<std::shared_ptr<const Shared>> g_shared(kThreads);

std::shared_ptr<const Shared> make_shared_payload(Rng &rng, int tid, int round) {
    auto s = std::make_shared<Shared>();
    s->label = "t" + std::to_string(tid) + "r" + std::to_string(round);
    int n = 20 + static_cast<int>(rng.below(60));
    for (int i = 0; i < n; i++)
        s->lines.push_back(make_word(rng, 1 + static_cast<int>(rng.below(5))) + "#" +
                           std::to_string(i));
    return s;
}

std::unique_ptr<Parcel> build_parcel(Rng &rng, int tid, int round, Hash &h) {
    auto p = std::make_unique<Parcel>();
    p->origin = tid;
    p->round = round;
    int entries = 200 + static_cast<int>(rng.below(400));
    for (int i = 0; i < entries; i++) {
        std::string key = make_word(rng, 1 + static_cast<int>(rng.below(3)));
        auto &vec = p->index[key];
        int vals = 1 + static_cast<int>(rng.below(8));
        for (int j = 0; j < vals; j++) {
            std::string v = make_word(rng, 2);
            v.append(rng.below(64), static_cast<char>('a' + rng.below(26)));
            vec.push_back(std::move(v));
        }
        p->counts[key + ":" + std::to_string(i % 37)] += static_cast<std::uint64_t>(vals);
    }
    // String growth by repeated appends (many reallocations).
    int pieces = 500 + static_cast<int>(rng.below(2000));
    for (int i = 0; i < pieces; i++) {
        p->text += kWords[rng.below(kNumWords)];
        p->text += static_cast<char>('0' + i % 10);
    }
    p->numbers = std::make_unique<std::vector<std::uint64_t>>();
    int nums = static_cast<int>(rng.below(5000));
    for (int i = 0; i < nums; i++)
        p->numbers->push_back(rng.next());
    {
        std::lock_guard<std::mutex> lock(g_shared_mu);
        for (int t = 0; t < kThreads; t++)
            if (g_shared[t])
                p->refs.push_back(g_shared[t]);
    }
    // The producer's checksum covers only its own deterministic data.
    h.u64(static_cast<std::uint64_t>(entries));
    h.u64(p->index.size());
    h.str(p->text);
    h.u64(p->numbers->size());
    return p;
}

// Deterministic digest of a parcel; references to shared payloads are
// counted but not hashed since which generation is visible depends on timing.
void consume_parcel(const Parcel &p, Hash &h) {
    h.u64(static_cast<std::uint64_t>(p.origin));
    h.u64(static_cast<std::uint64_t>(p.round));
    for (const auto &kv : p.index) {  // std::map: sorted, deterministic
        h.str(kv.first);
        for (const auto &v : kv.second)
            h.str(v);
    }
    // unordered_map iteration order is not hashed; sum an order-free digest.
    std::uint64_t acc = 0;
    for (const auto &kv : p.counts) {
        Hash e;
        e.str(kv.first);
        e.u64(kv.second);
        acc += e.h;
    }
    h.u64(acc);
    h.str(p.text);
    for (std::uint64_t v : *p.numbers)
        h.u64(v);
    std::size_t lines = 0;
    for (const auto &r : p.refs)
        lines += r->lines.size() + r->label.size();
    (void)lines;
}

struct Result {
    std::uint64_t produced = 0;
    std::uint64_t consumed = 0;
    std::uint64_t local = 0;
    int parcels_in = 0;
};

Queue g_queues[kThreads];

void worker(int tid, int rounds, Result &res) {
    Rng rng(static_cast<std::uint64_t>(tid) + 1);
    Hash prod, cons, local;
    int next = (tid + 1) % kThreads;
    std::vector<std::unique_ptr<Parcel>> keep;  // some parcels live a while
    for (int r = 0; r < rounds; r++) {
        // Publish a fresh shared payload; the old one dies whenever its last
        // holder (possibly another thread) lets go of it.
        auto sp = make_shared_payload(rng, tid, r);
        local.str(sp->label);
        local.u64(sp->lines.size());
        {
            std::lock_guard<std::mutex> lock(g_shared_mu);
            g_shared[tid] = std::move(sp);
        }

        // Hand two parcels to the next thread, keep one locally.
        for (int k = 0; k < 2; k++)
            g_queues[next].push(build_parcel(rng, tid, r, prod));
        keep.push_back(build_parcel(rng, tid, r, local));
        if (keep.size() > 4) {
            consume_parcel(*keep.front(), local);
            keep.erase(keep.begin());
        }

        // Receive the two parcels of this round from the previous thread and
        // free them here (cross-thread deallocation).
        for (int k = 0; k < 2; k++) {
            std::unique_ptr<Parcel> p = g_queues[tid].pop();
            consume_parcel(*p, cons);
            // Mutate before freeing: growth of a foreign-allocated container.
            for (auto &kv : p->index)
                kv.second.emplace_back(kv.first + "!");
            p->text.append(p->text, 0, p->text.size() / 2);
            cons.u64(p->text.size());
            res.parcels_in++;
        }

        // A transient hash map with heavy insert/erase churn.
        std::unordered_map<std::string, std::string> churn;
        for (int i = 0; i < 3000; i++) {
            std::string k = make_word(rng, 2) + std::to_string(i % 500);
            if (rng.below(4) == 0)
                churn.erase(k);
            else
                churn[k] += kWords[i % kNumWords];
        }
        std::map<std::string, std::string> sorted(churn.begin(), churn.end());
        for (const auto &kv : sorted) {
            local.str(kv.first);
            local.str(kv.second);
        }
    }
    for (const auto &p : keep)
        consume_parcel(*p, local);
    res.produced = prod.h;
    res.consumed = cons.h;
    res.local = local.h;
}

}  // namespace

int main(int argc, char **argv) {
    int rounds = argc > 1 ? std::atoi(argv[1]) : 150;
    if (rounds <= 0)
        rounds = 150;
    std::vector<Result> results(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++)
        threads.emplace_back(worker, t, rounds, std::ref(results[t]));
    for (auto &th : threads)
        th.join();
    {
        std::lock_guard<std::mutex> lock(g_shared_mu);
        g_shared.clear();
    }

    Hash total;
    for (int t = 0; t < kThreads; t++) {
        const Result &r = results[t];
        std::printf("thread %d produced %016llx consumed %016llx local %016llx in %d\n", t,
                    static_cast<unsigned long long>(r.produced),
                    static_cast<unsigned long long>(r.consumed),
                    static_cast<unsigned long long>(r.local), r.parcels_in);
        total.u64(r.produced);
        total.u64(r.consumed);
        total.u64(r.local);
    }
    std::printf("total %016llx\n", static_cast<unsigned long long>(total.h));
    return 0;
}
