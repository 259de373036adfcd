import Dispatch

/// Scratch memory and a thread budget owned by one executor, so operators (shared and
/// immutable) can run without allocating per layer. Not thread-safe: one run at a time.
public final class Workspace {
    /// How many threads an operator may use for one call (at least 1).
    public let threads: Int
    private var buffers: [UnsafeMutableBufferPointer<Float>] = []

    public init(threads: Int = 1) {
        self.threads = max(1, threads)
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    /// The scratch buffers, by what they hold. A buffer is allocated on its first use and
    /// grows to the largest size asked for; operators run one at a time, so each operator
    /// kind reuses its slots from layer to layer.
    public enum Slot: Int, CaseIterable {
        /// Conv's im2col column matrix `[C/group · kH · kW, H'·W']`, or its gradient.
        case convColumns
        /// Winograd's transformed input tiles `V [36][C][T]` of one chunk of tile rows.
        case winogradInput
        /// Winograd's transform-domain products `M [36][Cout][T]` of the same chunk.
        case winogradProducts
        /// Depthwise convolution's zero-padded input (or input-gradient) planes, one per thread.
        case depthwisePlanes
        /// LRN's per-image denominators `D = bias + α/size · Σ x²` (forward and backward).
        case lrnDenominators
        /// LRN's backward `D^(−β)`, per image.
        case lrnPowers
        /// LRN's backward `T = dY · X · D^(−β−1)`, per image.
        case lrnProducts
    }

    /// A scratch buffer of at least `count` floats for `slot`, valid until the next request
    /// for the same slot; contents are unspecified.
    public func scratch(_ slot: Slot, count: Int) -> UnsafeMutableBufferPointer<Float> {
        let index = slot.rawValue
        while buffers.count <= index {
            buffers.append(UnsafeMutableBufferPointer(start: nil, count: 0))
        }
        if buffers[index].count < count {
            buffers[index].deallocate()
            buffers[index] = .allocate(capacity: count)
        }
        return UnsafeMutableBufferPointer(rebasing: buffers[index][0..<count])
    }

    /// Total floats held in scratch buffers.
    public var scratchCapacity: Int { buffers.reduce(0) { $0 + $1.count } }

    /// Runs `body(i)` for `i` in `0..<count`, on up to `threads` threads. Iterations
    /// must write disjoint memory.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if threads == 1 || count <= 1 {
            for i in 0..<count { body(i) }
        } else {
            concurrently(count, body)
        }
    }

    /// Splits `0..<count` into at most `threads` contiguous chunks of at least `grain`
    /// items and runs `body(range)` for each, in parallel.
    public func parallelChunks(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = max(1, min(threads, count / max(1, grain)))
        if chunks == 1 {
            body(0..<count)
            return
        }
        concurrently(chunks) { c in
            body(count * c / chunks ..< count * (c + 1) / chunks)
        }
    }
}

/// `DispatchQueue.concurrentPerform` for a non-Sendable body: the callers above promise
/// that iterations touch disjoint memory, which is what makes this sound.
private func concurrently(_ iterations: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: iterations) { box.value($0) }
    }
}

private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
