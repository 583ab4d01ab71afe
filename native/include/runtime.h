// runtime.h — the host runtime's API, as the JNI glue (and nothing else) uses it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>

#include "host_registry.h"

struct dim3;

namespace jgan_host {

const KernelInfo* find_kernel(const std::string& name);

// Runs the kernel to completion on the worker pool. Returns "" on success, else a message that
// names the kernel, the block and the thread (or what was wrong with the launch).
std::string launch(const KernelInfo& k, dim3 grid, dim3 block, size_t shared_bytes, const uint64_t* args, const char* kinds,
                   int nargs);

// Device memory: guard pages on both sides. nullptr when the system has no memory left.
void* allocate(size_t bytes);
bool release(void* p);
bool is_device_range(const void* p, size_t bytes);
size_t allocated_bytes();

unsigned worker_count();
// Seconds after which a running launch is stopped and reported (JGAN_HOST_TIMEOUT_S, default 300).
double launch_timeout();
void set_launch_timeout(double seconds);
void set_worker_count(unsigned n);

// The schedule of fibers and blocks: "round-robin" (the default) or "shuffle:SEED"
// (JGAN_HOST_SCHEDULE). set_schedule returns false, changing nothing, for any other text.
std::string schedule();
bool set_schedule(const std::string& text);

// The shared-memory race check: built in only by native/build.sh racecheck; there it is on
// unless JGAN_HOST_RACECHECK=0. set_race_check(true) returns false in a build without it.
bool race_check_built();
bool race_check();
bool set_race_check(bool on);

}  // namespace jgan_host
