import CMalloc

/// glibc malloc settings for a long-running server whose large buffers come and go.
///
/// By default glibc raises its mmap threshold each time a large block is freed, after which
/// blocks of that size come from the heap and are never returned to the system: a model's
/// load-time activations and a burst of large requests would stay resident for good. A fixed
/// 1 MiB threshold gives every tensor-sized buffer back when it is freed (the executors keep
/// the buffers they reuse), and two arenas stop each thread from holding freed memory of its own.
enum MemoryPolicy {
    static func apply() {
        cmalloc_use_server_policy()
    }
}
