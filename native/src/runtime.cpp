// runtime.cpp — the host runtime: runs CUDA kernels compiled by g++ on the CPU.
//
// A launch is split into blocks; a pool of worker threads takes blocks in order. A worker
// runs one block at a time: every CUDA thread of the block is a fiber with its own stack, and
// the fibers run one at a time, round-robin in thread order, each until it finishes or waits
// (at __syncthreads or a warp collective). That schedule is fixed, so a launch is
// deterministic unless its blocks race each other through global memory. JGAN_HOST_SCHEDULE=
// shuffle:SEED runs blocks in a seeded shuffled order and the threads of each round (the run
// between two barriers or warp collectives) in a seeded shuffled order instead, so a result
// that depends on the order shows; the same seed gives the same schedule.
//
// Checking is the point of this runtime, so it refuses what the GPU would do silently wrong:
//   - a barrier that not every thread of the block reaches (divergent __syncthreads, a thread
//     that exited while others wait), threads waiting at different barriers, a deadlock;
//   - warp collectives whose mask names missing or exited lanes, or lanes that disagree;
//   - a memory fault (device buffers have guard pages right behind them), a fiber stack
//     overflow, an integer division by zero; and writes into the few bytes of slack between a
//     buffer's end and its guard page, checked after the launch;
//   - arguments that do not match the kernel's C++ signature, pointers to no live buffer;
//   - in the race-check build (native/build.sh racecheck), shared-memory races: see "race
//     check" below.
// Each failure names the kernel, the block and the thread.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xmmintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "host_cuda.h"
#include "host_registry.h"
#include "runtime.h"

#ifndef JGAN_RACECHECK
#define JGAN_RACECHECK 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define JGAN_ASAN 1
#endif

// ---- fiber switch (x86-64 System V): saves callee-saved registers, MXCSR and the x87 control
// word on the old stack, stores its stack pointer, and resumes the new one. About 10 ns, with no
// system call (glibc's swapcontext saves the signal mask, a syscall each switch).
extern "C" void jgan_fiber_switch(void** save_sp, void* load_sp);
asm(R"(
    .pushsection .text
    .globl jgan_fiber_switch
    .type jgan_fiber_switch, @function
jgan_fiber_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size jgan_fiber_switch, .-jgan_fiber_switch
    .popsection
)");

namespace jgan_host {

std::vector<KernelInfo>& kernel_registry() {
    static std::vector<KernelInfo> r;
    return r;
}

thread_local ThreadContext* tl_thread = nullptr;

namespace {

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

size_t page_size() {
    static size_t p = (size_t)sysconf(_SC_PAGESIZE);
    return p;
}

std::string dim_str(uint3 d) { return format("(%u,%u,%u)", d.x, d.y, d.z); }
const char* base_name(const char* path) {
    const char* s = strrchr(path, '/');
    return s ? s + 1 : path;
}

// ================================ device memory ==========================================
// Each buffer gets its own mapping with a PROT_NONE guard page on both sides; the buffer ends
// at most 15 bytes before the upper guard page (its start is 16-byte aligned, as float4 loads
// need). Those slack bytes hold a canary that is checked after every launch that was passed a
// pointer into the buffer.
constexpr unsigned char kCanary = 0xcd;

struct Allocation {
    uintptr_t base;
    size_t bytes;
    void* mapping;
    size_t mapping_bytes;
};

std::mutex g_alloc_mutex;
std::map<uintptr_t, Allocation> g_allocs;  // by base
size_t g_alloc_bytes = 0;

// The live allocation containing [p, p + len), or nullptr.
const Allocation* find_allocation(uintptr_t p, size_t len) {
    auto it = g_allocs.upper_bound(p);
    if (it == g_allocs.begin()) return nullptr;
    --it;
    const Allocation& a = it->second;
    if (p >= a.base && p + len <= a.base + a.bytes && p + len >= p) return &a;
    return nullptr;
}

// Words describing where address p lies relative to live buffers (for fault messages).
std::string describe_address(uintptr_t p) {
    std::lock_guard<std::mutex> lock(g_alloc_mutex);
    for (const auto& [base, a] : g_allocs) {
        uintptr_t lo = (uintptr_t)a.mapping, hi = lo + a.mapping_bytes;
        if (p < lo || p >= hi) continue;
        if (p >= a.base + a.bytes)
            return format("%zu bytes past the end of a %zu-byte device buffer at 0x%lx", (size_t)(p - (a.base + a.bytes)),
                          a.bytes, (unsigned long)a.base);
        if (p < a.base)
            return format("%zu bytes before the start of a %zu-byte device buffer at 0x%lx", (size_t)(a.base - p), a.bytes,
                          (unsigned long)a.base);
    }
    return "not in or next to any live device buffer";
}

// ================================ launches and fibers ====================================
enum class FiberState : uint8_t { Runnable, AtBarrier, AtWarp, Done };

struct Collective {
    unsigned mask = 0;
    unsigned arrived = 0;
    const char* op = nullptr;
    const char* file = nullptr;
    int line = 0;
    uint64_t values[32];
};

struct Fiber {
    void* sp = nullptr;
    char* stack_lo = nullptr;  // lowest usable byte (above the guard page)
    size_t stack_bytes = 0;
    ThreadContext tc{};
    FiberState state = FiberState::Done;
    unsigned linear = 0;
    const char* wait_op = nullptr;
    const char* wait_file = nullptr;
    int wait_line = 0;
    unsigned wait_mask = 0;
    Collective* collective = nullptr;
    uint64_t result[32];
    void* asan_fake_stack = nullptr;
};

struct Launch {
    const KernelInfo* kernel;
    dim3 grid, block;
    size_t shared_bytes;
    bool shuffle = false;  // the schedule: round-robin, or shuffled with `seed`
    uint64_t seed = 0;
    bool racecheck = false;
    std::vector<uint64_t> args;
    uint64_t total_blocks;
    std::atomic<uint64_t> next_block{0};
    std::atomic<bool> failed{false};
    std::atomic<bool> timed_out{false};  // set by the watchdog; every fiber is stopped at its next step
    std::mutex error_mutex;
    uint64_t error_block = UINT64_MAX;
    std::string error;

    void record_error(uint64_t block_linear, const std::string& message) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (block_linear < error_block) {  // report the lowest failing block: deterministic
            error_block = block_linear;
            error = message;
        }
        failed.store(true);
    }
};

struct Warp {
    std::vector<Collective*> pending;
};

// One per worker thread.
struct Worker {
    std::vector<Fiber> fibers;
    std::vector<std::pair<char*, size_t>> stacks;  // mapping, bytes (incl. guard page)
    size_t stack_bytes = 0;
    void* sched_sp = nullptr;
    void* sched_fake_stack = nullptr;
    const void* sched_stack_bottom = nullptr;
    size_t sched_stack_size = 0;
    std::vector<unsigned char> dynamic_smem_storage;
    unsigned char* dynamic_smem = nullptr;
    std::vector<Warp> warps;
    std::vector<Collective> collective_pool;
    std::vector<Collective*> free_collectives;

    // The block being run.
    Launch* launch = nullptr;
    uint64_t block_linear = 0;
    uint3 block_idx{};
    unsigned nthreads = 0;
    unsigned n_done = 0;
    unsigned n_at_barrier = 0;
    const char* barrier_file = nullptr;
    int barrier_line = 0;
    unsigned barrier_first = 0;
    Fiber* current = nullptr;
    bool failed = false;
    std::string error;

    // Set by the signal handler for the fault landing.
    int fault_signal = 0;
    uintptr_t fault_address = 0;
    bool fault_write = false;
    bool fault_stack_overflow = false;

    void* altstack = nullptr;

    // The shuffled schedule: this round's thread order.
    std::vector<unsigned> order;
#if JGAN_RACECHECK
    struct RaceState* rc = nullptr;
#endif
};

thread_local Worker* tl_worker = nullptr;

// ================================ the schedule ===========================================
// JGAN_HOST_SCHEDULE=round-robin (the default) or shuffle:SEED (decimal or 0x hex). Shuffled,
// a launch takes its blocks in a seeded pseudo-random order (a bijection on the block indices,
// so every block still runs once) and every round of a block's scheduler, the pass over its
// runnable threads between two barriers or warp collectives, takes the threads in a seeded
// random order. Each block's orders depend only on the seed and the block index, so a schedule
// that exposes a bug reproduces with the same seed and any number of worker threads.
struct Schedule {
    bool shuffle = false;
    uint64_t seed = 0;
};

bool parse_schedule(const char* text, Schedule& out) {
    if (!text || !*text || strcmp(text, "round-robin") == 0) {
        out = Schedule{};
        return true;
    }
    if (strncmp(text, "shuffle:", 8) != 0 || !text[8]) return false;
    char* end = nullptr;
    errno = 0;
    unsigned long long seed = strtoull(text + 8, &end, 0);
    if (errno != 0 || *end != '\0' || text[8] == '-') return false;
    out.shuffle = true;
    out.seed = seed;
    return true;
}

std::mutex g_schedule_mutex;
Schedule g_schedule;
std::string g_schedule_error;  // JGAN_HOST_SCHEDULE could not be read: every launch says so

const bool g_schedule_init = [] {
    const char* e = getenv("JGAN_HOST_SCHEDULE");
    if (!parse_schedule(e, g_schedule))
        g_schedule_error = std::string("JGAN_HOST_SCHEDULE='") + e + "' is neither round-robin nor shuffle:SEED (SEED an unsigned integer)";
    return true;
}();

inline uint64_t mix64(uint64_t z) {  // SplitMix64's finaliser
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// A seeded bijection of [0, n): a 4-round Feistel network on the smallest even number of bits
// that holds n, walked until it lands inside [0, n).
uint64_t permute_block(uint64_t i, uint64_t n, uint64_t seed) {
    if (n <= 1) return i;
    unsigned bits = 64 - __builtin_clzll(n - 1);
    bits += bits & 1;
    const unsigned half = bits / 2;
    const uint64_t mask = (half == 64 ? ~0ull : (1ull << half) - 1);
    do {
        uint64_t l = i >> half, r = i & mask;
        for (uint64_t round = 0; round < 4; ++round) {
            uint64_t f = mix64(r ^ mix64(seed + round)) & mask;
            uint64_t nl = r;
            r = l ^ f;
            l = nl;
        }
        i = (l << half) | r;
    } while (i >= n);
    return i;
}

// The watchdog: a launch still running after this many seconds is stopped and reported, so an
// endless loop (or a spin-wait on another block, which may never run while this one does)
// fails instead of hanging. JGAN_HOST_TIMEOUT_S, default 300.
std::atomic<double> g_timeout_s{[] {
    const char* e = getenv("JGAN_HOST_TIMEOUT_S");
    double v = e ? strtod(e, nullptr) : 0.0;
    return v > 0 ? v : 300.0;
}()};
int watchdog_signal() { return SIGRTMIN + 3; }

#if !JGAN_RACECHECK
// JGAN_HOST_RACECHECK=1 given to a build without the race check: launches refuse to run rather
// than pass unchecked.
bool g_racecheck_requested = [] {
    const char* e = getenv("JGAN_HOST_RACECHECK");
    return e && *e && strcmp(e, "0") != 0;
}();
#endif

std::string timeout_message(const Worker& w, const Fiber& f);

std::string thread_str(const Fiber& f) { return dim_str(f.tc.thread_idx); }

std::string where(const Worker& w) {
    return format("kernel '%s' block %s", w.launch->kernel->name.c_str(), dim_str(w.block_idx).c_str());
}

// ---- fiber switching with AddressSanitizer's fiber annotations -----------------------------
inline void switch_to_fiber(Worker& w, Fiber& f) {
#ifdef JGAN_ASAN
    __sanitizer_start_switch_fiber(&w.sched_fake_stack, f.stack_lo, f.stack_bytes);
#endif
    jgan_fiber_switch(&w.sched_sp, f.sp);
#ifdef JGAN_ASAN
    __sanitizer_finish_switch_fiber(w.sched_fake_stack, nullptr, nullptr);
#endif
}

// From the running fiber back to the scheduler; returns when the scheduler resumes it.
inline void yield_to_scheduler(Worker& w, Fiber& f) {
#ifdef JGAN_ASAN
    __sanitizer_start_switch_fiber(&f.asan_fake_stack, w.sched_stack_bottom, w.sched_stack_size);
#endif
    jgan_fiber_switch(&f.sp, w.sched_sp);
#ifdef JGAN_ASAN
    __sanitizer_finish_switch_fiber(f.asan_fake_stack, &w.sched_stack_bottom, &w.sched_stack_size);
#endif
}

// Leaves the fiber for good (finished, or failed).
[[noreturn]] inline void leave_fiber(Worker& w, Fiber& f) {
#ifdef JGAN_ASAN
    __sanitizer_start_switch_fiber(nullptr, w.sched_stack_bottom, w.sched_stack_size);
#endif
    void* dead_sp;
    jgan_fiber_switch(&dead_sp, w.sched_sp);
    __builtin_unreachable();
}

// A failure inside the running fiber: record it and abandon the block.
[[noreturn]] void fail(const std::string& message) {
    Worker& w = *tl_worker;
    if (!w.failed) {
        w.failed = true;
        w.error = message;
    }
    leave_fiber(w, *w.current);
}

#if JGAN_RACECHECK
// ================================ race check =============================================
// The race-check build (native/build.sh racecheck) compiles the kernels with GCC's
// -fsanitize=thread instrumentation but without its runtime library: every load, store and
// atomic of kernel code calls a __tsan_* function, and this file defines those functions. They
// ignore every address outside the running block's shared memory (the static __shared__
// arrays, which are this library's thread-local storage of the worker, and the dynamic shared
// memory), and keep a shadow cell per 4-byte shared word: the last writer and up to two readers
// within the current barrier interval, with the bytes each touched. An access is a race, as in
// compute-sanitizer's racecheck, when another thread of the block wrote the bytes (or, for a
// write, read or wrote them) since the last __syncthreads() and nothing orders the two:
//   - a completed __syncthreads() starts a new interval (an epoch): older cells are stale;
//   - within a warp, a warp collective (__syncwarp, shuffles, ballots, wmma load/store/mma)
//     orders the accesses of its lanes before it against theirs after it (vector clocks over
//     the 32 lanes, joined when a collective completes);
//   - two atomics never race; a thread never races with itself.
// The first race fails the launch, naming the kernel, block, both threads with their warps and
// lanes, the array and byte offset, and where in the code each access was. Readers beyond two
// per word are not all kept: a second reader from the first reader's warp may be forgotten, so
// a write-after-read within a warp can be missed; across warps nothing is. The static __shared__
// arrays of every kernel live in one thread-local block per worker; that block also holds the
// runtime's two thread-local pointers, which kernel code only reads and which are skipped.
constexpr uint16_t kNoThread = 0xffff;
constexpr uint16_t kAtomicBit = 0x8000;
constexpr uint16_t kTidMask = 0x03ff;

struct Cell {
    uint32_t w_epoch, r_epoch;                // the interval of the last write / of the readers
    uint32_t w_clock, r1_clock, r2_clock;     // the thread's own lane clock at the access
    uint32_t w_pc, r1_pc, r2_pc;              // code offsets in this library, for the report
    uint16_t w_tid, r1_tid, r2_tid;           // linear thread index | kAtomicBit; kNoThread: none
    uint8_t w_mask, r1_mask, r2_mask;         // which of the word's 4 bytes
    uint8_t ignore;                           // not shared memory (the runtime's own TLS)
};

struct RaceState {
    uintptr_t static_lo = 0;     // this worker's thread-local block of the library
    size_t static_bytes = 0;
    size_t static_words = 0;
    Cell* cells = nullptr;       // static words, then the dynamic shared memory's words
    size_t ncells = 0;
    uint32_t epoch = 0;
    bool on = false;             // checking the block being run
    size_t dyn_bytes = 0;        // its dynamic shared memory
    uint16_t tid = 0;            // the running thread
    uint32_t* self = nullptr;    // its row of `clocks`
    std::vector<uint32_t> clocks;  // [thread][lane of its warp]: vector clocks within each warp
    std::vector<size_t> ignored;   // cells to skip
    std::string unavailable;       // why there is no shadow (launches that want the check fail)
};

std::atomic<bool> g_racecheck{[] {
    const char* e = getenv("JGAN_HOST_RACECHECK");
    return !(e && strcmp(e, "0") == 0);  // this build checks unless told not to
}()};

struct LibraryInfo {
    std::string path;
    uintptr_t base = 0;
};

const LibraryInfo& library_info() {
    static LibraryInfo info = [] {
        LibraryInfo li;
        Dl_info d{};
        if (dladdr((void*)&library_info, &d) && d.dli_fname) {
            li.path = d.dli_fname;
            li.base = (uintptr_t)d.dli_fbase;
        }
        return li;
    }();
    return info;
}

uintptr_t g_library_base = 0;  // set by race_setup: code offsets are stored relative to it

struct ModuleTls {
    uintptr_t probe;
    void* data = nullptr;
    size_t size = 0;
};

int find_module_tls(struct dl_phdr_info* info, size_t, void* arg) {
    ModuleTls* m = (ModuleTls*)arg;
    bool mine = false;
    size_t tls = 0;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& ph = info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
        if (ph.p_type == PT_LOAD && m->probe >= lo && m->probe < lo + ph.p_memsz) mine = true;
        if (ph.p_type == PT_TLS) tls = ph.p_memsz;
    }
    if (!mine) return 0;
    m->data = info->dlpi_tls_data;
    m->size = tls;
    return 1;
}

void race_reset(RaceState& r) {
    memset((void*)r.cells, 0, r.ncells * sizeof(Cell));
    for (size_t i = 0; i < r.ncells; ++i) r.cells[i].r2_tid = kNoThread;
    for (size_t i : r.ignored) r.cells[i].ignore = 1;
    r.epoch = 1;
}

// On a worker thread, after tl_worker is set (which allocates this library's TLS block there).
void race_setup(Worker& w) {
    RaceState* r = new RaceState();
    w.rc = r;
    g_library_base = library_info().base;
    ModuleTls m{(uintptr_t)&race_setup};
    dl_iterate_phdr(find_module_tls, &m);
    if (m.data && m.size > 0) {
        r->static_lo = (uintptr_t)m.data;
    } else {
        r->static_lo = 0;  // no thread-local storage at all, so no static __shared__ array
        m.size = 0;
    }
    r->static_bytes = (m.size + 3) & ~(size_t)3;
    r->static_words = r->static_bytes / 4;
    r->ncells = r->static_words + (232448 + 3) / 4;
    void* c = mmap(nullptr, r->ncells * sizeof(Cell), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (c == MAP_FAILED) {
        r->unavailable = format("cannot map %zu bytes of shadow memory", r->ncells * sizeof(Cell));
        return;
    }
    r->cells = (Cell*)c;
    for (uintptr_t p : {(uintptr_t)&tl_thread, (uintptr_t)&tl_worker}) {
        for (uintptr_t q = p & ~(uintptr_t)3; q < p + sizeof(void*); q += 4)
            if (q - r->static_lo < r->static_bytes) r->ignored.push_back((q - r->static_lo) / 4);
    }
    r->clocks.assign(1024 * 32, 0);
    race_reset(*r);
}

inline void race_new_interval(RaceState& r) {
    if (++r.epoch == 0) race_reset(r);
}

// A warp collective completed for the lanes in `mask` of warp `warp`: each one's clock ticks,
// then all of them learn the others' clocks.
void race_collective(Worker& w, unsigned warp, unsigned mask) {
    RaceState& r = *w.rc;
    if (!r.on) return;
    uint32_t joined[32] = {};
    for (unsigned l = 0; l < 32; ++l) {
        if (!(mask & (1u << l))) continue;
        uint32_t* row = &r.clocks[(size_t)(warp * 32 + l) * 32];
        row[l]++;
        for (unsigned j = 0; j < 32; ++j) joined[j] = std::max(joined[j], row[j]);
    }
    for (unsigned l = 0; l < 32; ++l)
        if (mask & (1u << l)) memcpy(&r.clocks[(size_t)(warp * 32 + l) * 32], joined, sizeof joined);
}

// ---- reports ----
struct ElfSymbol {
    std::string name;
    uint64_t value = 0, size = 0;
};

// The symbol of this library's symbol table (.symtab, else .dynsym) of the given kind (STT_TLS:
// by offset in the TLS block; STT_FUNC: by offset from the load address) that contains `off`.
bool find_symbol(unsigned char type, uint64_t off, ElfSymbol& out) {
    const LibraryInfo& li = library_info();
    if (li.path.empty()) return false;
    int fd = open(li.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st{};
    bool found = false;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size > sizeof(Elf64_Ehdr)) {
        void* m = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            const char* base = (const char*)m;
            const Elf64_Ehdr* eh = (const Elf64_Ehdr*)base;
            if (memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) <= (size_t)st.st_size) {
                const Elf64_Shdr* sh = (const Elf64_Shdr*)(base + eh->e_shoff);
                for (unsigned want : {SHT_SYMTAB, SHT_DYNSYM}) {
                    for (unsigned i = 0; i < eh->e_shnum && !found; ++i) {
                        if (sh[i].sh_type != want || sh[i].sh_link >= eh->e_shnum) continue;
                        const Elf64_Sym* syms = (const Elf64_Sym*)(base + sh[i].sh_offset);
                        const char* strs = base + sh[sh[i].sh_link].sh_offset;
                        size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
                        uint64_t best = UINT64_MAX;
                        for (size_t k = 0; k < n; ++k) {
                            const Elf64_Sym& s = syms[k];
                            if (ELF64_ST_TYPE(s.st_info) != type || s.st_size == 0) continue;
                            if (off < s.st_value || off >= s.st_value + s.st_size || s.st_size >= best) continue;
                            best = s.st_size;
                            out.name = strs + s.st_name;
                            out.value = s.st_value;
                            out.size = s.st_size;
                            found = true;
                        }
                    }
                    if (found) break;
                }
            }
            munmap(m, st.st_size);
        }
    }
    close(fd);
    if (found) {
        int status = 0;
        char* d = abi::__cxa_demangle(out.name.c_str(), nullptr, nullptr, &status);
        if (d && status == 0) out.name = d;
        free(d);
    }
    return found;
}

// "ns::f(int, float)::arr" -> "ns::f::arr"; "float ns::g<256>(float)::s" -> "ns::g<256>::s".
std::string short_symbol(const std::string& s) {
    int depth = 0;
    size_t open_paren = std::string::npos, space = std::string::npos;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '<') depth++;
        else if (c == '>') depth--;
        else if (c == ' ' && depth == 0) space = i;
        else if (c == '(' && depth == 0) { open_paren = i; break; }
    }
    if (open_paren == std::string::npos) return s;
    int pd = 0;
    size_t close_paren = std::string::npos;
    for (size_t i = open_paren; i < s.size(); ++i) {
        if (s[i] == '(') pd++;
        else if (s[i] == ')' && --pd == 0) { close_paren = i; break; }
    }
    if (close_paren == std::string::npos) return s;
    std::string head = s.substr(space == std::string::npos ? 0 : space + 1, open_paren - (space == std::string::npos ? 0 : space + 1));
    std::string tail = s.substr(close_paren + 1);
    size_t colons = tail.find("::");
    return head + (colons == std::string::npos ? tail : tail.substr(colons));
}

// "function+0xoff (libjgan_host.so+0xoff)": the second for `addr2line -e LIB -i ADDRESS`, which
// gives the source line (the race-check build has line tables).
std::string code_location(uint32_t pc) {
    ElfSymbol sym;
    std::string lib = format("%s+0x%x", base_name(library_info().path.c_str()), pc);
    if (pc && find_symbol(STT_FUNC, pc, sym))
        return format("%s+0x%lx (%s)", short_symbol(sym.name).c_str(), (unsigned long)(pc - sym.value), lib.c_str());
    return lib;
}

std::string shared_location(const Worker& w, size_t cell, uintptr_t addr) {
    const RaceState& r = *w.rc;
    if (cell >= r.static_words) {
        return format("byte %zu of the dynamic shared memory (%zu bytes)", (size_t)(addr - (uintptr_t)w.dynamic_smem), r.dyn_bytes);
    }
    uint64_t off = addr - r.static_lo;
    ElfSymbol sym;
    if (find_symbol(STT_TLS, off, sym))
        return format("byte %lu of __shared__ '%s' (%lu bytes)", (unsigned long)(off - sym.value), short_symbol(sym.name).c_str(),
                      (unsigned long)sym.size);
    return format("byte %lu of the static shared memory (no symbol for it)", (unsigned long)off);
}

std::string thread_words(const Worker& w, unsigned t) {
    return format("thread %s (warp %u, lane %u)", dim_str(w.fibers[t].tc.thread_idx).c_str(), t / 32, t % 32);
}

[[noreturn]] void race_report(Worker& w, size_t cell, uintptr_t addr, size_t bytes, bool write, bool atomic, uintptr_t pc,
                              uint16_t other, bool other_write, uint32_t other_pc) {
    const RaceState& r = *w.rc;
    const unsigned me = r.tid, them = other & kTidMask;
    const char* hazard = write ? (other_write ? "write-after-write" : "write-after-read") : "read-after-write";
    const bool same_warp = me / 32 == them / 32;
    fail(format("%s: shared-memory race (%s hazard): %s %s%s %zu byte(s) at %s, which %s %s%s since the last __syncthreads(), "
                "and no %s orders the two accesses (a missing %s?) [this access at %s, the other at %s]",
                where(w).c_str(), hazard, thread_words(w, me).c_str(), write ? "wrote" : "read", atomic ? " atomically" : "", bytes,
                shared_location(w, cell, addr).c_str(), thread_words(w, them).c_str(), other_write ? "wrote" : "read",
                (other & kAtomicBit) ? " atomically" : "", same_warp ? "barrier or warp collective" : "barrier",
                same_warp ? "__syncwarp() or __syncthreads()" : "__syncthreads()",
                code_location((uint32_t)(pc - g_library_base - 1)).c_str(), code_location(other_pc).c_str()));
}

// ---- the check of one access ----
// True when the earlier access of thread `prev` (at its lane clock `clock`) may be concurrent
// with the running thread's access now.
__attribute__((always_inline)) inline bool unordered(const RaceState& r, uint16_t prev, uint32_t clock, bool atomic) {
    const unsigned t = prev & kTidMask;
    if (t == r.tid) return false;
    if ((prev & kAtomicBit) && atomic) return false;
    if (t / 32 == r.tid / 32u && r.self[t % 32] > clock) return false;
    return true;
}


// The bytes `mask` of cell `ci` (first byte at `lo`) accessed by the running thread.
__attribute__((always_inline)) inline void race_cell(Worker& w, RaceState& r, size_t ci, uintptr_t lo, uint8_t mask, size_t n,
                                                    bool write, bool atomic, uintptr_t pc) {
    Cell& c = r.cells[ci];
    if (__builtin_expect(c.ignore, 0)) return;
    const uint16_t me = (uint16_t)(r.tid | (atomic ? kAtomicBit : 0));
    const uint32_t clock = r.self[r.tid % 32];
    const uint32_t pc32 = (uint32_t)(pc - g_library_base - 1);  // inside the call: addr2line gives its line
    const bool written = c.w_epoch == r.epoch && (c.w_mask & mask);
    if (written && unordered(r, c.w_tid, c.w_clock, atomic)) race_report(w, ci, lo, n, write, atomic, pc, c.w_tid, true, c.w_pc);
    if (write) {
        if (c.r_epoch == r.epoch) {
            if ((c.r1_mask & mask) && unordered(r, c.r1_tid, c.r1_clock, atomic))
                race_report(w, ci, lo, n, true, atomic, pc, c.r1_tid, false, c.r1_pc);
            if (c.r2_tid != kNoThread && (c.r2_mask & mask) && unordered(r, c.r2_tid, c.r2_clock, atomic))
                race_report(w, ci, lo, n, true, atomic, pc, c.r2_tid, false, c.r2_pc);
        }
        if (c.w_epoch == r.epoch && (c.w_tid & kTidMask) == r.tid) c.w_mask |= mask;
        else c.w_mask = mask;
        c.w_epoch = r.epoch;
        c.w_tid = me;
        c.w_clock = clock;
        c.w_pc = pc32;
    } else if (c.r_epoch != r.epoch) {
        c.r_epoch = r.epoch;
        c.r1_tid = me, c.r1_clock = clock, c.r1_pc = pc32, c.r1_mask = mask;
        c.r2_tid = kNoThread, c.r2_mask = 0;
    } else if ((c.r1_tid & kTidMask) == r.tid) {
        c.r1_tid = me, c.r1_clock = clock, c.r1_pc = pc32, c.r1_mask |= mask;
    } else {
        // Keep a reader of another warp than the first reader's once there is one: then a write
        // from either warp meets a reader of the other.
        const unsigned w1 = (c.r1_tid & kTidMask) / 32;
        const bool r2_same = c.r2_tid != kNoThread && (c.r2_tid & kTidMask) == r.tid;
        if (c.r2_tid == kNoThread || r2_same || r.tid / 32u != w1 || (c.r2_tid & kTidMask) / 32u == w1) {
            c.r2_mask = r2_same ? (uint8_t)(c.r2_mask | mask) : mask;
            c.r2_tid = me, c.r2_clock = clock, c.r2_pc = pc32;
        }
    }
}

// An access of n bytes at a, whose first byte is in cell first_cell.
__attribute__((noinline)) void race_access(Worker& w, size_t first_cell, uintptr_t a, size_t n, bool write, bool atomic,
                                           uintptr_t pc) {
    RaceState& r = *w.rc;
    const uintptr_t region = first_cell < r.static_words ? r.static_lo : (uintptr_t)w.dynamic_smem - r.static_bytes;
    for (uintptr_t word = a & ~(uintptr_t)3; word < a + n; word += 4) {
        const size_t ci = (word - region) / 4;
        if (ci >= r.ncells || (first_cell < r.static_words) != (ci < r.static_words)) break;
        const uintptr_t lo = std::max(word, a), hi = std::min(word + 4, a + n);
        const uint8_t mask = (uint8_t)(((1u << (hi - word)) - 1) & ~((1u << (lo - word)) - 1));
        race_cell(w, r, ci, lo, mask, n, write, atomic, pc);
    }
}

__attribute__((always_inline)) inline void race_hook(uintptr_t a, size_t n, bool write, bool atomic, void* pc) {
    Worker* w = tl_worker;
    if (!w) return;
    RaceState* r = w->rc;
    if (!r || !r->on) return;
    uintptr_t off = a - r->static_lo;
    size_t cell;
    if (off < r->static_bytes) {
        cell = off / 4;
    } else {
        off = a - (uintptr_t)w->dynamic_smem;
        if (off >= r->dyn_bytes) return;
        cell = r->static_words + off / 4;
    }
    if (n == 4 && (a & 3) == 0) race_cell(*w, *r, cell, a, 0xf, 4, write, atomic, (uintptr_t)pc);  // the common case
    else race_access(*w, cell, a, n, write, atomic, (uintptr_t)pc);
}
#endif  // JGAN_RACECHECK

void fiber_entry() {
    Worker& w = *tl_worker;
    Fiber& f = *w.current;
#ifdef JGAN_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &w.sched_stack_bottom, &w.sched_stack_size);
#endif
    w.launch->kernel->invoke(w.launch->kernel->fn, w.launch->args.data());
    // The thread has finished.
    f.state = FiberState::Done;
    w.n_done++;
    if (w.n_at_barrier > 0) {
        const Fiber& waiter = w.fibers[w.barrier_first];
        fail(format("%s: thread %s exited while %u thread(s) of the block wait at __syncthreads() at %s:%d "
                    "(e.g. thread %s): every thread of a block must reach each barrier",
                    where(w).c_str(), thread_str(f).c_str(), w.n_at_barrier, base_name(w.barrier_file), w.barrier_line,
                    thread_str(waiter).c_str()));
    }
    unsigned warp = f.linear / 32, lane = f.linear % 32;
    for (Collective* c : w.warps[warp].pending) {
        if (c->mask & (1u << lane)) {
            fail(format("%s: thread %s (lane %u of warp %u) exited while lanes of its warp wait for it at %s (mask 0x%08x) at %s:%d",
                        where(w).c_str(), thread_str(f).c_str(), lane, warp, c->op, c->mask, base_name(c->file), c->line));
        }
    }
    leave_fiber(w, f);
}

// Fault landing: the signal handler points a faulting fiber here (on a fresh part of its own
// stack), so the failure is reported through the normal path, with the kernel, block and thread.
void fault_landing() {
    Worker& w = *tl_worker;
    Fiber& f = *w.current;
    std::string what;
    if (w.fault_stack_overflow) {
        what = format("stack overflow (the fiber stacks are %zu KiB; set JGAN_HOST_STACK_KB for more)", w.stack_bytes / 1024);
    } else if (w.fault_signal == watchdog_signal()) {
        fail(timeout_message(w, f));
    } else if (w.fault_signal == SIGFPE) {
        what = "arithmetic fault (integer division by zero?)";
    } else {
        what = format("invalid %s at address 0x%lx, %s", w.fault_write ? "write" : "read", (unsigned long)w.fault_address,
                      describe_address(w.fault_address).c_str());
    }
    fail(format("%s thread %s: %s", where(w).c_str(), thread_str(f).c_str(), what.c_str()));
}

void release_collective(Worker& w, unsigned warp, Collective* c) {
    auto& p = w.warps[warp].pending;
    p.erase(std::find(p.begin(), p.end(), c));
    w.free_collectives.push_back(c);
}

void init_fiber_stack(Fiber& f) {
    char* top = f.stack_lo + f.stack_bytes;
    top = (char*)((uintptr_t)top & ~(uintptr_t)15);
    uint64_t* slot = (uint64_t*)(top - 16);  // the return address: 16-byte aligned, as after a call
    slot[1] = 0;                              // no caller above fiber_entry
    slot[0] = (uint64_t)(uintptr_t)&fiber_entry;
    uint64_t* regs = slot - 7;
    for (int i = 1; i < 7; ++i) regs[i] = 0;  // r15, r14, r13, r12, rbx, rbp
    uint32_t csr[2];
    csr[0] = _mm_getcsr();
    uint16_t cw;
    asm volatile("fnstcw %0" : "=m"(cw));
    csr[1] = cw;
    memcpy(&regs[0], csr, 8);
    f.sp = regs;
}

void ensure_stacks(Worker& w, unsigned n) {
    static size_t stack_bytes = [] {
        const char* e = getenv("JGAN_HOST_STACK_KB");
        size_t kb = e ? strtoul(e, nullptr, 10) : 64;
        return std::max<size_t>(kb, 16) * 1024;
    }();
    w.stack_bytes = stack_bytes;
    while (w.stacks.size() < n) {
        size_t total = stack_bytes + page_size();
        void* m = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) throw std::runtime_error("host runtime: cannot map a fiber stack");
        mprotect(m, page_size(), PROT_NONE);  // guard page below the stack: an overflow faults
        w.stacks.emplace_back((char*)m, total);
    }
    if (w.fibers.size() < n) w.fibers.resize(n);
}

// Runs one block on the calling worker. Returns false if it failed (w.error says why).
bool run_block(Worker& w, Launch& L, uint64_t b) {
    const dim3 gd = L.grid, bd = L.block;
    w.launch = &L;
    w.block_linear = b;
    w.block_idx = uint3{(unsigned)(b % gd.x), (unsigned)((b / gd.x) % gd.y), (unsigned)(b / ((uint64_t)gd.x * gd.y))};
    w.nthreads = bd.x * bd.y * bd.z;
    w.n_done = 0;
    w.n_at_barrier = 0;
    w.failed = false;
    w.error.clear();
    unsigned nwarps = (w.nthreads + 31) / 32;
    w.warps.assign(nwarps, Warp{});
    w.free_collectives.clear();
    w.collective_pool.resize(std::max<size_t>(w.collective_pool.size(), (size_t)nwarps * 32 + 1));
    for (auto& c : w.collective_pool) w.free_collectives.push_back(&c);
    ensure_stacks(w, w.nthreads);
#if JGAN_RACECHECK
    if (L.racecheck && !w.rc->cells) {
        w.error = format("%s: the race check cannot run: %s", where(w).c_str(), w.rc->unavailable.c_str());
        return false;
    }
    w.rc->on = L.racecheck;
    w.rc->dyn_bytes = L.shared_bytes;
    if (w.rc->on) race_new_interval(*w.rc);  // nothing of an earlier block counts
#endif
    if (L.shared_bytes > 0) {
        // Unwritten shared memory reads as NaN (all bits set), so a kernel that forgets to store
        // before a barrier produces NaN rather than plausible stale values.
        memset(w.dynamic_smem, 0xff, L.shared_bytes);
    }
    for (unsigned t = 0; t < w.nthreads; ++t) {
        Fiber& f = w.fibers[t];
        f.stack_lo = w.stacks[t].first + page_size();
        f.stack_bytes = w.stacks[t].second - page_size();
#ifdef JGAN_ASAN
        __asan_unpoison_memory_region(f.stack_lo, f.stack_bytes);
#endif
        f.linear = t;
        f.tc.thread_idx = uint3{t % bd.x, (t / bd.x) % bd.y, t / (bd.x * bd.y)};
        f.tc.block_idx = w.block_idx;
        f.tc.block_dim = bd;
        f.tc.grid_dim = gd;
        f.state = FiberState::Runnable;
        f.collective = nullptr;
        f.asan_fake_stack = nullptr;
        init_fiber_stack(f);
    }
    uint64_t rng = 0;
    if (L.shuffle) {
        w.order.resize(w.nthreads);
        rng = mix64(L.seed ^ mix64(b + 0x51ed270b2f1d3c1full));
    }
    for (;;) {
        bool ran = false;
        if (L.shuffle) {  // this round's order: Fisher-Yates from the block's own generator
            for (unsigned i = 0; i < w.nthreads; ++i) w.order[i] = i;
            for (unsigned i = w.nthreads; i > 1; --i) {
                rng = mix64(rng);
                std::swap(w.order[i - 1], w.order[(unsigned)((rng >> 32) * i >> 32)]);
            }
        }
        for (unsigned i = 0; i < w.nthreads; ++i) {
            const unsigned t = L.shuffle ? w.order[i] : i;
            Fiber& f = w.fibers[t];
            if (f.state != FiberState::Runnable) continue;
            if (L.timed_out.load(std::memory_order_relaxed)) {
                w.error = timeout_message(w, f);
                return false;
            }
            ran = true;
            w.current = &f;
            tl_thread = &f.tc;
#if JGAN_RACECHECK
            w.rc->tid = (uint16_t)t;
            w.rc->self = &w.rc->clocks[(size_t)t * 32];
#endif
            switch_to_fiber(w, f);
            w.current = nullptr;
            tl_thread = nullptr;
            if (w.failed) return false;
        }
        if (w.n_done == w.nthreads) return true;
        if (!ran) {
            // Nothing can run and not everyone finished: a deadlock. Say who waits where, one
            // group of threads per wait site.
            struct Group { std::string what; unsigned first, last, count; };
            std::vector<Group> groups;
            for (unsigned t = 0; t < w.nthreads; ++t) {
                const Fiber& f = w.fibers[t];
                std::string what;
                if (f.state == FiberState::AtBarrier) {
                    what = format("__syncthreads() at %s:%d", base_name(f.wait_file), f.wait_line);
                } else if (f.state == FiberState::AtWarp) {
                    unsigned missing = f.wait_mask & ~f.collective->arrived;
                    what = format("%s (mask 0x%08x) at %s:%d for lane %d", f.wait_op, f.wait_mask, base_name(f.wait_file),
                                  f.wait_line, missing ? __builtin_ctz(missing) : -1);
                } else {
                    continue;
                }
                auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& x) { return x.what == what; });
                if (g == groups.end()) groups.push_back(Group{what, t, t, 1});
                else { g->last = t; g->count++; }
            }
            std::string msg = where(w) + ": deadlock: no thread can run;";
            for (const Group& g : groups) {
                if (g.count == 1)
                    msg += format(" thread %s waits at %s;", thread_str(w.fibers[g.first]).c_str(), g.what.c_str());
                else
                    msg += format(" %u threads, thread %s to %s, wait at %s;", g.count, thread_str(w.fibers[g.first]).c_str(),
                                  thread_str(w.fibers[g.last]).c_str(), g.what.c_str());
            }
            w.error = msg + " (a __syncthreads() or warp collective inside divergent code?)";
            return false;
        }
    }
}

// ================================ worker pool ============================================
class Pool {
  public:
    static Pool& instance() {
        static Pool* p = new Pool();  // never destroyed: workers may outlive static destruction
        return *p;
    }

    unsigned size() {
        std::lock_guard<std::mutex> lock(m_);
        return desired_;
    }

    void resize(unsigned n) {
        std::lock_guard<std::mutex> lock(m_);
        desired_ = std::max(1u, n);
    }

    void run(Launch& L) {
        std::unique_lock<std::mutex> lock(m_);
        while ((unsigned)threads_.size() < desired_) {
            threads_.emplace_back([this] { work(); });
        }
        launch_ = &L;
        active_ = std::min<uint64_t>(desired_, L.total_blocks);
        busy_ = active_;
        generation_++;
        cv_.notify_all();
        auto start = std::chrono::steady_clock::now();
        while (!done_cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return busy_ == 0; })) {
            double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (elapsed > g_timeout_s.load()) {
                // Stop every fiber: at its next switch, or (stuck in a loop) through the signal.
                L.timed_out.store(true);
                for (auto& t : threads_) pthread_kill(t.native_handle(), watchdog_signal());
            }
        }
        launch_ = nullptr;
    }

  private:
    Pool() {
        const char* e = getenv("JGAN_HOST_THREADS");
        unsigned n = e ? (unsigned)strtoul(e, nullptr, 10) : std::thread::hardware_concurrency();
        desired_ = std::max(1u, n);
    }

    void work() {
        Worker w;
        tl_worker = &w;
        install_altstack(w);
        w.dynamic_smem_storage.resize(232448 + 16);
        w.dynamic_smem = (unsigned char*)(((uintptr_t)w.dynamic_smem_storage.data() + 15) & ~(uintptr_t)15);
#if JGAN_RACECHECK
        race_setup(w);
#endif
        uint64_t seen = 0;
        unsigned index;
        {
            std::lock_guard<std::mutex> lock(m_);
            index = next_index_++;
        }
        for (;;) {
            Launch* L;
            {
                std::unique_lock<std::mutex> lock(m_);
                cv_.wait(lock, [&] { return generation_ != seen; });
                seen = generation_;
                if (index >= active_) continue;  // this launch needs fewer workers
                L = launch_;
            }
            for (;;) {
                if (L->failed.load()) break;
                uint64_t b = L->next_block.fetch_add(1);
                if (b >= L->total_blocks) break;
                if (L->shuffle) b = permute_block(b, L->total_blocks, L->seed);
                if (!run_block(w, *L, b)) L->record_error(b, w.error);
            }
            w.launch = nullptr;
            std::lock_guard<std::mutex> lock(m_);
            if (--busy_ == 0) done_cv_.notify_all();
        }
    }

    static void install_altstack(Worker& w) {
        size_t sz = 64 * 1024;
        w.altstack = malloc(sz);
        stack_t ss{};
        ss.ss_sp = w.altstack;
        ss.ss_size = sz;
        sigaltstack(&ss, nullptr);
    }

    std::mutex m_;
    std::condition_variable cv_, done_cv_;
    std::vector<std::thread> threads_;
    unsigned desired_ = 1;
    unsigned next_index_ = 0;
    uint64_t generation_ = 0;
    uint64_t active_ = 0;
    uint64_t busy_ = 0;
    Launch* launch_ = nullptr;
};

// ================================ signals ================================================
struct sigaction g_previous[32];

void chain(int sig, siginfo_t* info, void* ctx) {
    const struct sigaction& prev = g_previous[sig];
    if (prev.sa_flags & SA_SIGINFO) {
        if (prev.sa_sigaction) {
            prev.sa_sigaction(sig, info, ctx);
            return;
        }
    } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
        prev.sa_handler(sig);
        return;
    }
    // Default action: restore it and return, so the fault repeats and ends the process.
    signal(sig, SIG_DFL);
}

void on_fault(int sig, siginfo_t* info, void* ctx) {
    Worker* w = tl_worker;
    ucontext_t* uc = (ucontext_t*)ctx;
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    Fiber* f = w ? w->current : nullptr;
    // Only faults of a running kernel thread on its own stack are ours; the JVM uses SIGSEGV too.
    if (!f || sp < (uintptr_t)f->stack_lo - page_size() || sp > (uintptr_t)f->stack_lo + f->stack_bytes) {
        chain(sig, info, ctx);
        return;
    }
    w->fault_signal = sig;
    w->fault_address = (uintptr_t)info->si_addr;
    w->fault_write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
    uintptr_t guard_lo = (uintptr_t)f->stack_lo - page_size();
    w->fault_stack_overflow = sig != SIGFPE && w->fault_address >= guard_lo && w->fault_address < (uintptr_t)f->stack_lo;
    // Resume the fiber in fault_landing, on the top part of its own stack (the fiber is
    // abandoned anyway), as if fault_landing had been called.
    uintptr_t top = ((uintptr_t)f->stack_lo + f->stack_bytes - 256) & ~(uintptr_t)15;
    uc->uc_mcontext.gregs[REG_RSP] = (greg_t)(top - 8);
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)&fault_landing;
}

// The watchdog's signal: a worker running a fiber is sent to the fault landing; otherwise
// nothing (its scheduler sees the flag before it runs the next fiber).
void on_watchdog(int sig, siginfo_t*, void* ctx) {
    Worker* w = tl_worker;
    Fiber* f = w ? w->current : nullptr;
    if (!f) return;
    ucontext_t* uc = (ucontext_t*)ctx;
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    if (sp < (uintptr_t)f->stack_lo || sp > (uintptr_t)f->stack_lo + f->stack_bytes) return;
    w->fault_signal = sig;
    w->fault_stack_overflow = false;
    uintptr_t top = ((uintptr_t)f->stack_lo + f->stack_bytes - 256) & ~(uintptr_t)15;
    uc->uc_mcontext.gregs[REG_RSP] = (greg_t)(top - 8);
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)&fault_landing;
}

void install_fault_handlers() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction wd {};
        wd.sa_sigaction = on_watchdog;
        wd.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
        sigemptyset(&wd.sa_mask);
        sigaction(watchdog_signal(), &wd, nullptr);
        for (int sig : {SIGSEGV, SIGBUS, SIGFPE}) {
            struct sigaction sa {};
            sa.sa_sigaction = on_fault;
            sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
            sigemptyset(&sa.sa_mask);
            sigaction(sig, &sa, &g_previous[sig]);
        }
    });
}

std::string timeout_message(const Worker& w, const Fiber& f) {
    return format("%s thread %s: still running after %g s: an endless loop, or a wait for another block (the host runtime "
                  "runs only as many blocks at once as it has worker threads)? JGAN_HOST_TIMEOUT_S sets the limit",
                  where(w).c_str(), thread_str(f).c_str(), g_timeout_s.load());
}

}  // namespace

// ================================ calls from kernels =====================================
#if JGAN_RACECHECK
void race_tile(const void* p, unsigned rows, unsigned row_bytes, size_t stride_bytes, bool write) {
    void* pc = __builtin_return_address(0);
    for (unsigned i = 0; i < rows; ++i) race_hook((uintptr_t)p + i * stride_bytes, row_bytes, write, false, pc);
}
#endif

void syncthreads(const char* file, int line) {
    Worker& w = *tl_worker;
    Fiber& f = *w.current;
    if (w.n_done > 0) {
        const Fiber* gone = nullptr;
        for (unsigned t = 0; t < w.nthreads && !gone; ++t)
            if (w.fibers[t].state == FiberState::Done) gone = &w.fibers[t];
        fail(format("%s: thread %s reached __syncthreads() at %s:%d after %u thread(s) of the block had exited (e.g. thread %s): "
                    "every thread of a block must reach each barrier (a __syncthreads() inside divergent code?)",
                    where(w).c_str(), thread_str(f).c_str(), base_name(file), line, w.n_done, thread_str(*gone).c_str()));
    }
    if (w.n_at_barrier == 0) {
        w.barrier_file = file;
        w.barrier_line = line;
        w.barrier_first = f.linear;
    } else if (line != w.barrier_line || strcmp(file, w.barrier_file) != 0) {
        fail(format("%s: threads wait at different barriers: thread %s at __syncthreads() %s:%d, thread %s at %s:%d "
                    "(a __syncthreads() inside divergent code)",
                    where(w).c_str(), thread_str(w.fibers[w.barrier_first]).c_str(), base_name(w.barrier_file), w.barrier_line,
                    thread_str(f).c_str(), base_name(file), line));
    }
    if (++w.n_at_barrier == w.nthreads) {
        // The last one in releases the others and goes on (shuffled: it, too, waits for its turn
        // in the next round's order, so that it is not always the first after the barrier).
        w.n_at_barrier = 0;
#if JGAN_RACECHECK
        if (w.rc->on) race_new_interval(*w.rc);
#endif
        for (unsigned t = 0; t < w.nthreads; ++t)
            if (w.fibers[t].state == FiberState::AtBarrier) w.fibers[t].state = FiberState::Runnable;
        if (w.launch->shuffle) yield_to_scheduler(w, f);
        return;
    }
    f.state = FiberState::AtBarrier;
    f.wait_file = file;
    f.wait_line = line;
    yield_to_scheduler(w, f);
}

unsigned lane_id() { return tl_worker->current->linear % 32; }

const uint64_t* warp_collective(unsigned mask, uint64_t value, const char* op, const char* file, int line) {
    Worker& w = *tl_worker;
    Fiber& f = *w.current;
    unsigned warp = f.linear / 32, lane = f.linear % 32;
    unsigned lanes_in_warp = std::min(32u, w.nthreads - warp * 32);
    Warp& wp = w.warps[warp];
    if (!(mask & (1u << lane))) {
        fail(format("%s thread %s: %s at %s:%d with mask 0x%08x, which does not include its own lane %u", where(w).c_str(),
                    thread_str(f).c_str(), op, base_name(file), line, mask, lane));
    }
    Collective* c = nullptr;
    for (Collective* p : wp.pending) {
        if (p->mask & (1u << lane)) {
            c = p;
            break;
        }
    }
    if (c) {
        if (c->mask != mask || strcmp(c->op, op) != 0) {
            fail(format("%s thread %s: lanes of warp %u disagree: %s (mask 0x%08x) at %s:%d meets %s (mask 0x%08x) at %s:%d",
                        where(w).c_str(), thread_str(f).c_str(), warp, op, mask, base_name(file), line, c->op, c->mask,
                        base_name(c->file), c->line));
        }
    } else {
        if (lanes_in_warp < 32 && (mask >> lanes_in_warp) != 0) {
            fail(format("%s thread %s: %s at %s:%d names lanes up to %d in mask 0x%08x, but warp %u of this %u-thread block has "
                        "only %u lanes",
                        where(w).c_str(), thread_str(f).c_str(), op, base_name(file), line, 31 - __builtin_clz(mask), mask, warp,
                        w.nthreads, lanes_in_warp));
        }
        for (unsigned l = 0; l < lanes_in_warp; ++l) {
            if ((mask & (1u << l)) && w.fibers[warp * 32 + l].state == FiberState::Done) {
                fail(format("%s thread %s: %s at %s:%d names lane %u in mask 0x%08x, but that thread has exited", where(w).c_str(),
                            thread_str(f).c_str(), op, base_name(file), line, l, mask));
            }
        }
        for (Collective* p : wp.pending) {
            if (p->mask & mask) {
                fail(format("%s thread %s: lanes of warp %u disagree on the mask: 0x%08x at %s:%d overlaps 0x%08x of %s at %s:%d",
                            where(w).c_str(), thread_str(f).c_str(), warp, mask, base_name(file), line, p->mask, p->op,
                            base_name(p->file), p->line));
            }
        }
        c = w.free_collectives.back();
        w.free_collectives.pop_back();
        c->mask = mask;
        c->arrived = 0;
        c->op = op;
        c->file = file;
        c->line = line;
        memset(c->values, 0, sizeof c->values);
        wp.pending.push_back(c);
    }
    c->values[lane] = value;
    c->arrived |= 1u << lane;
    if (c->arrived == mask) {
        // Complete: hand every participant the values, wake them, and go on.
#if JGAN_RACECHECK
        race_collective(w, warp, mask);
#endif
        for (unsigned l = 0; l < 32; ++l) {
            if (!(mask & (1u << l))) continue;
            Fiber& p = w.fibers[warp * 32 + l];
            memcpy(p.result, c->values, sizeof c->values);
            if (&p != &f) p.state = FiberState::Runnable;
            p.collective = nullptr;
        }
        release_collective(w, warp, c);
        if (w.launch->shuffle) yield_to_scheduler(w, f);  // as at a barrier
        return f.result;
    }
    f.state = FiberState::AtWarp;
    f.collective = c;
    f.wait_op = op;
    f.wait_file = file;
    f.wait_line = line;
    f.wait_mask = mask;
    yield_to_scheduler(w, f);
    return f.result;
}

void syncwarp_at(const char* file, int line, unsigned mask) { warp_collective(mask, 0, "__syncwarp", file, line); }

void* dynamic_shared_raw() {
    Worker& w = *tl_worker;
    if (w.launch->shared_bytes == 0) {
        fail(format("%s thread %s: uses dynamic shared memory but was launched with 0 bytes of it", where(w).c_str(),
                    thread_str(*w.current).c_str()));
    }
    return w.dynamic_smem;
}

void kernel_trap(const char* what) {
    Worker& w = *tl_worker;
    fail(format("%s thread %s: %s", where(w).c_str(), thread_str(*w.current).c_str(), what));
}

// ================================ the runtime's API (for JNI and tests) ==================
const KernelInfo* find_kernel(const std::string& name) {
    for (const KernelInfo& k : kernel_registry())
        if (k.name == name) return &k;
    return nullptr;
}

std::string launch(const KernelInfo& k, dim3 grid, dim3 block, size_t shared_bytes, const uint64_t* args, const char* kinds,
                   int nargs) {
    // The arguments must match the kernel's C++ signature exactly.
    if ((size_t)nargs != k.kinds.size() || k.kinds != std::string(kinds, nargs)) {
        std::string want, got;
        for (size_t i = 0; i < k.kinds.size(); ++i) want += format("%s%c%d", i ? ", " : "", k.kinds[i], k.sizes[i]);
        for (int i = 0; i < nargs; ++i) got += format("%s%c", i ? ", " : "", kinds[i]);
        return format("kernel '%s' takes %zu argument(s) (%s) but was passed %d (%s) [p pointer, i int32, f float, l int64; "
                      "the number is bytes]",
                      k.name.c_str(), k.kinds.size(), want.c_str(), nargs, got.c_str());
    }
    uint64_t threads = (uint64_t)block.x * block.y * block.z;
    if (threads == 0 || threads > 1024 || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535)
        return format("kernel '%s': invalid launch grid (%u,%u,%u) block (%u,%u,%u)", k.name.c_str(), grid.x, grid.y, grid.z,
                      block.x, block.y, block.z);
    if (shared_bytes > 232448)
        return format("kernel '%s': %zu bytes of dynamic shared memory (at most 232448)", k.name.c_str(), shared_bytes);
    // Every pointer must be null or point into a live device buffer.
    std::vector<const Allocation*> touched;
    {
        std::lock_guard<std::mutex> lock(g_alloc_mutex);
        for (int i = 0; i < nargs; ++i) {
            if (kinds[i] != 'p' || args[i] == 0) continue;
            const Allocation* a = find_allocation((uintptr_t)args[i], 0);
            if (!a || (uintptr_t)args[i] > a->base + a->bytes)
                return format("kernel '%s': argument %d (0x%lx) points into no live device buffer (freed, or not device memory)",
                              k.name.c_str(), i, (unsigned long)args[i]);
            touched.push_back(a);
        }
    }
    install_fault_handlers();
    Launch L;
    L.kernel = &k;
    L.grid = grid;
    L.block = block;
    L.shared_bytes = shared_bytes;
    L.args.assign(args, args + nargs);
    L.total_blocks = (uint64_t)grid.x * grid.y * grid.z;
    {
        std::lock_guard<std::mutex> lock(g_schedule_mutex);
        if (!g_schedule_error.empty()) return format("kernel '%s': %s", k.name.c_str(), g_schedule_error.c_str());
        L.shuffle = g_schedule.shuffle;
        L.seed = g_schedule.seed;
    }
#if JGAN_RACECHECK
    L.racecheck = g_racecheck.load();
#else
    if (g_racecheck_requested)
        return format("kernel '%s': JGAN_HOST_RACECHECK=1, but this build of the host runtime has no race check: load the "
                      "race-check build (native/build.sh racecheck; Maven builds it as java/target/native-racecheck/"
                      "libjgan_host.so) with -Djgan.host.library=PATH",
                      k.name.c_str());
#endif
    Pool::instance().run(L);
    if (L.failed.load()) {
        if (L.shuffle) return L.error + format(" [schedule shuffle:%llu]", (unsigned long long)L.seed);
        return L.error;
    }
    // A write into a buffer's slack (past its end, short of the guard page) is found here.
    std::lock_guard<std::mutex> lock(g_alloc_mutex);
    for (int i = 0, p = 0; i < nargs; ++i) {
        if (kinds[i] != 'p' || args[i] == 0) continue;
        const Allocation* a = touched[p++];
        const unsigned char* slack = (const unsigned char*)(a->base + a->bytes);
        const unsigned char* guard = (const unsigned char*)(((uintptr_t)a->mapping) + a->mapping_bytes - page_size());
        const unsigned char* last_changed = nullptr;
        for (const unsigned char* s = slack; s < guard; ++s)
            if (*s != kCanary) last_changed = s;
        if (last_changed) {
            memset((void*)slack, kCanary, (size_t)(guard - slack));  // report it once
            return format("kernel '%s' wrote past the end of the %zu-byte device buffer of argument %d (0x%lx): bytes up to %zu "
                          "past its end were changed; the writing thread is unknown (the write fell short of the guard page)",
                          k.name.c_str(), a->bytes, i, (unsigned long)a->base, (size_t)(last_changed - slack) + 1);
        }
    }
    return std::string();
}

void* allocate(size_t bytes) {
    if (bytes == 0) return nullptr;
    size_t ps = page_size();
    size_t data_pages = (bytes + 15 + ps - 1) / ps;
    size_t total = (data_pages + 2) * ps;
    void* m = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return nullptr;
    char* lo = (char*)m;
    char* guard_hi = lo + total - ps;
    mprotect(lo, ps, PROT_NONE);
    mprotect(guard_hi, ps, PROT_NONE);
    uintptr_t base = ((uintptr_t)guard_hi - bytes) & ~(uintptr_t)15;
    memset((void*)(base + bytes), kCanary, (uintptr_t)guard_hi - (base + bytes));
    std::lock_guard<std::mutex> lock(g_alloc_mutex);
    g_allocs[base] = Allocation{base, bytes, m, total};
    g_alloc_bytes += bytes;
    return (void*)base;
}

bool release(void* p) {
    std::lock_guard<std::mutex> lock(g_alloc_mutex);
    auto it = g_allocs.find((uintptr_t)p);
    if (it == g_allocs.end()) return false;
    munmap(it->second.mapping, it->second.mapping_bytes);
    g_alloc_bytes -= it->second.bytes;
    g_allocs.erase(it);
    return true;
}

bool is_device_range(const void* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(g_alloc_mutex);
    return find_allocation((uintptr_t)p, bytes) != nullptr;
}

size_t allocated_bytes() {
    std::lock_guard<std::mutex> lock(g_alloc_mutex);
    return g_alloc_bytes;
}

unsigned worker_count() { return Pool::instance().size(); }
double launch_timeout() { return g_timeout_s.load(); }
void set_launch_timeout(double seconds) {
    if (seconds > 0) g_timeout_s.store(seconds);
}
void set_worker_count(unsigned n) { Pool::instance().resize(n); }

std::string schedule() {
    std::lock_guard<std::mutex> lock(g_schedule_mutex);
    if (!g_schedule.shuffle) return "round-robin";
    return format("shuffle:%llu", (unsigned long long)g_schedule.seed);
}

bool set_schedule(const std::string& text) {
    Schedule s;
    if (!parse_schedule(text.c_str(), s)) return false;
    std::lock_guard<std::mutex> lock(g_schedule_mutex);
    g_schedule = s;
    g_schedule_error.clear();
    return true;
}

bool race_check_built() { return JGAN_RACECHECK != 0; }

bool race_check() {
#if JGAN_RACECHECK
    return g_racecheck.load();
#else
    return false;
#endif
}

bool set_race_check(bool on) {
#if JGAN_RACECHECK
    g_racecheck.store(on);
    return true;
#else
    if (!on) g_racecheck_requested = false;
    return !on;
#endif
}

}  // namespace jgan_host

#if JGAN_RACECHECK
// ================================ the instrumentation's entry points ======================
// What GCC's -fsanitize=thread calls from the kernels (see "race check"). Hidden: they bind
// inside this library, whatever else the process has loaded.
#define JGAN_TSAN extern "C" __attribute__((visibility("hidden")))
#define JGAN_TSAN_RW(N)                                                                                               \
    JGAN_TSAN void __tsan_read##N(void* a) { jgan_host::race_hook((uintptr_t)a, N, false, false, __builtin_return_address(0)); } \
    JGAN_TSAN void __tsan_write##N(void* a) { jgan_host::race_hook((uintptr_t)a, N, true, false, __builtin_return_address(0)); } \
    JGAN_TSAN void __tsan_unaligned_read##N(void* a) {                                                                \
        jgan_host::race_hook((uintptr_t)a, N, false, false, __builtin_return_address(0));                             \
    }                                                                                                                 \
    JGAN_TSAN void __tsan_unaligned_write##N(void* a) {                                                               \
        jgan_host::race_hook((uintptr_t)a, N, true, false, __builtin_return_address(0));                              \
    }                                                                                                                 \
    JGAN_TSAN void __tsan_volatile_read##N(void* a) {                                                                 \
        jgan_host::race_hook((uintptr_t)a, N, false, false, __builtin_return_address(0));                             \
    }                                                                                                                 \
    JGAN_TSAN void __tsan_volatile_write##N(void* a) {                                                                \
        jgan_host::race_hook((uintptr_t)a, N, true, false, __builtin_return_address(0));                              \
    }
JGAN_TSAN_RW(1)
JGAN_TSAN_RW(2)
JGAN_TSAN_RW(4)
JGAN_TSAN_RW(8)
JGAN_TSAN_RW(16)
JGAN_TSAN void __tsan_read_range(void* a, unsigned long n) {
    jgan_host::race_hook((uintptr_t)a, n, false, false, __builtin_return_address(0));
}
JGAN_TSAN void __tsan_write_range(void* a, unsigned long n) {
    jgan_host::race_hook((uintptr_t)a, n, true, false, __builtin_return_address(0));
}
JGAN_TSAN void __tsan_init() {}
JGAN_TSAN void __tsan_func_entry(void*) {}
JGAN_TSAN void __tsan_func_exit() {}
JGAN_TSAN void __tsan_vptr_update(void**, void*) {}
JGAN_TSAN void __tsan_vptr_read(void**) {}
JGAN_TSAN void __tsan_atomic_thread_fence(int) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
JGAN_TSAN void __tsan_atomic_signal_fence(int) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }

// Atomics: done (sequentially consistent, whatever order was asked) and recorded as atomic.
#define JGAN_TSAN_HOOK(a, write) jgan_host::race_hook((uintptr_t)(a), sizeof(T), write, true, __builtin_return_address(0))
#define JGAN_TSAN_ATOMICS(BITS, TYPE)                                                                                  \
    JGAN_TSAN TYPE __tsan_atomic##BITS##_load(const volatile TYPE* a, int) {                                          \
        using T = TYPE;                                                                                               \
        JGAN_TSAN_HOOK(a, false);                                                                                     \
        return __atomic_load_n(a, __ATOMIC_SEQ_CST);                                                                  \
    }                                                                                                                 \
    JGAN_TSAN void __tsan_atomic##BITS##_store(volatile TYPE* a, TYPE v, int) {                                       \
        using T = TYPE;                                                                                               \
        JGAN_TSAN_HOOK(a, true);                                                                                      \
        __atomic_store_n(a, v, __ATOMIC_SEQ_CST);                                                                     \
    }                                                                                                                 \
    JGAN_TSAN TYPE __tsan_atomic##BITS##_exchange(volatile TYPE* a, TYPE v, int) {                                    \
        using T = TYPE;                                                                                               \
        JGAN_TSAN_HOOK(a, true);                                                                                      \
        return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);                                                           \
    }                                                                                                                 \
    JGAN_TSAN TYPE __tsan_atomic##BITS##_fetch_add(volatile TYPE* a, TYPE v, int) {                                   \
        using T = TYPE;                                                                                               \
        JGAN_TSAN_HOOK(a, true);                                                                                      \
        return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST);                                                            \
    }                                                                                                                 \
    JGAN_TSAN TYPE __tsan_atomic##BITS##_fetch_sub(volatile TYPE* a, TYPE v, int) {                                   \
        using T = TYPE;                                                                                               \
        JGAN_TSAN_HOOK(a, true);                                                                                      \
        return __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST);                                                            \
    }                                                                                                                 \
    JGAN_TSAN TYPE __tsan_atomic##BITS##_fetch_and(volatile TYPE* a, TYPE v, int) {                                   \
        using T = TYPE;                                                                                               \
        JGAN_TSAN_HOOK(a, true);                                                                                      \
        return __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST);                                                            \
    }                                                                                                                 \
    JGAN_TSAN TYPE __tsan_atomic##BITS##_fetch_or(volatile TYPE* a, TYPE v, int) {                                    \
        using T = TYPE;                                                                                               \
        JGAN_TSAN_HOOK(a, true);                                                                                      \
        return __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST);                                                             \
    }                                                                                                                 \
    JGAN_TSAN TYPE __tsan_atomic##BITS##_fetch_xor(volatile TYPE* a, TYPE v, int) {                                   \
        using T = TYPE;                                                                                               \
        JGAN_TSAN_HOOK(a, true);                                                                                      \
        return __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST);                                                            \
    }                                                                                                                 \
    JGAN_TSAN TYPE __tsan_atomic##BITS##_fetch_nand(volatile TYPE* a, TYPE v, int) {                                  \
        using T = TYPE;                                                                                               \
        JGAN_TSAN_HOOK(a, true);                                                                                      \
        return __atomic_fetch_nand(a, v, __ATOMIC_SEQ_CST);                                                           \
    }                                                                                                                 \
    JGAN_TSAN int __tsan_atomic##BITS##_compare_exchange_strong(volatile TYPE* a, TYPE* c, TYPE v, int, int) {        \
        using T = TYPE;                                                                                               \
        JGAN_TSAN_HOOK(a, true);                                                                                      \
        return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                       \
    }                                                                                                                 \
    JGAN_TSAN int __tsan_atomic##BITS##_compare_exchange_weak(volatile TYPE* a, TYPE* c, TYPE v, int, int) {          \
        using T = TYPE;                                                                                               \
        JGAN_TSAN_HOOK(a, true);                                                                                      \
        return __atomic_compare_exchange_n(a, c, v, true, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                        \
    }                                                                                                                 \
    JGAN_TSAN TYPE __tsan_atomic##BITS##_compare_exchange_val(volatile TYPE* a, TYPE c, TYPE v, int, int) {           \
        using T = TYPE;                                                                                               \
        JGAN_TSAN_HOOK(a, true);                                                                                      \
        __atomic_compare_exchange_n(a, &c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                             \
        return c;                                                                                                     \
    }
JGAN_TSAN_ATOMICS(8, unsigned char)
JGAN_TSAN_ATOMICS(16, unsigned short)
JGAN_TSAN_ATOMICS(32, unsigned int)
JGAN_TSAN_ATOMICS(64, unsigned long long)
#endif  // JGAN_RACECHECK
