import Foundation
import Imaging
import Models
import Pipeline
import Service

/// The workers of `gradcam batch`: `jobs` threads, each with its own `ExplainSession` (its
/// buffers) sharing the read-only model, taking the next `batchSize` items until none is
/// left. An image is read, hashed, skipped when `results.jsonl` already has it (same path
/// and hash), else explained, its per-image exports written, then its record appended (so an
/// image whose exports were cut short by a crash is redone). The images a worker took are
/// explained in one batched forward and backward pass when the options allow it
/// (`ExplainSession.batchKey`: as the server's dynamic batching), else one by one; each keeps
/// its own result. A bad image (unreadable, too large, not a decodable PNG or JPEG) goes to
/// `errors.jsonl` and the batch goes on; any other error (a disk full, a layer the model does
/// not have) is the same for every image: it stops the batch, after the images in flight,
/// and `fatal` says why.
final class BatchRunner: @unchecked Sendable {
    /// What has happened so far.
    struct Counts: Sendable {
        let total: Int
        var done = 0
        var skipped = 0
        var failed = 0
        var elapsed: Duration = .zero
        var processed: Int { done + skipped + failed }
    }

    private let items: [BatchInput.Item]
    private let model: LoadedModel
    private let options: ExplainOptions
    private let journal: BatchJournal
    private let exports: [any BatchExport]
    private let jobs: Int
    private let batchSize: Int
    private let threadsPerJob: Int
    private let maxFileBytes: Int
    private let render: Bool

    private let condition = NSCondition()
    private var next = 0
    private var running = 0
    private var tally: Counts
    private var stopReason: String?
    private let clock = ContinuousClock()
    private var started: ContinuousClock.Instant

    init(items: [BatchInput.Item], model: LoadedModel, options: ExplainOptions, journal: BatchJournal,
         exports: [any BatchExport], jobs: Int, batchSize: Int, threadsPerJob: Int, maxFileBytes: Int) {
        self.items = items
        self.model = model
        self.options = options
        self.journal = journal
        self.exports = exports
        self.jobs = jobs
        self.batchSize = batchSize
        self.threadsPerJob = threadsPerJob
        self.maxFileBytes = maxFileBytes
        render = exports.contains { $0.needsOverlays }
        tally = Counts(total: items.count)
        started = clock.now
    }

    /// Starts the workers.
    func start() {
        condition.withLock {
            started = clock.now
            running = jobs
        }
        for index in 0..<jobs {
            let thread = Thread { [self] in work() }
            thread.name = "gradcam-batch-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Waits up to `seconds` for every worker to finish; true when they have.
    func wait(seconds: Double) -> Bool {
        condition.withLock {
            let deadline = Date(timeIntervalSinceNow: seconds)
            while running > 0 && condition.wait(until: deadline) {}
            return running == 0
        }
    }

    var counts: Counts {
        condition.withLock {
            var counts = tally
            counts.elapsed = clock.now - started
            return counts
        }
    }

    /// Why the batch stopped early, if it did.
    var fatal: String? { condition.withLock { stopReason } }

    // MARK: - Workers

    private func work() {
        let session = ExplainSession(threads: threadsPerJob)
        while let items = take() {
            for outcome in process(items, session) {
                condition.withLock {
                    switch outcome {
                    case .done: tally.done += 1
                    case .skipped: tally.skipped += 1
                    case .failed: tally.failed += 1
                    case .stop(let reason):
                        tally.failed += 1
                        if stopReason == nil { stopReason = reason }
                    }
                }
            }
        }
        condition.withLock {
            running -= 1
            condition.broadcast()
        }
    }

    /// The next `batchSize` items (fewer at the end), or nil when none is left or the batch stopped.
    private func take() -> ArraySlice<BatchInput.Item>? {
        condition.withLock {
            guard stopReason == nil, next < items.count else { return nil }
            let end = min(items.count, next + batchSize)
            defer { next = end }
            return items[next..<end]
        }
    }

    private enum Outcome { case done, skipped, failed, stop(String) }

    /// An image file that cannot be used as it is.
    private struct FileFailure: Error {
        let code: String
        let message: String
    }

    /// An image read and not yet done.
    private struct Pending {
        let path: String
        let sha256: String
        let bytes: [UInt8]
    }

    /// The outcome of each of `items`, in order.
    private func process(_ items: ArraySlice<BatchInput.Item>, _ session: ExplainSession) -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: items.count)
        var pending: [(index: Int, image: Pending)] = []
        for (index, item) in items.enumerated() {
            switch item {
            case .invalid(let failure):
                outcomes[index] = record(failure)
            case .image(let path):
                do {
                    let bytes = try read(path)
                    let sha256 = try SHA256.hex(of: bytes, name: path)
                    if journal.done[path] == sha256 {
                        outcomes[index] = .skipped
                    } else {
                        pending.append((index, Pending(path: path, sha256: sha256, bytes: bytes)))
                    }
                } catch {
                    outcomes[index] = failed(path, error)
                }
            }
        }
        let results = explain(pending.map(\.image), session)
        for ((index, image), result) in zip(pending, results) {
            do {
                let output = try result.get()
                let record = BatchRecord(path: image.path, sha256: image.sha256, document: output.document)
                for export in exports { try export.write(record, output: output, in: journal.directory) }
                try journal.record(record)
                outcomes[index] = .done
            } catch {
                outcomes[index] = failed(image.path, error)
            }
        }
        return outcomes.map { $0! }
    }

    /// Each image's explanation: all in one batched pass when the options allow it (the top-1
    /// class, or one class, with a method that reads a layer's activations and gradients), else
    /// one at a time. With `--top-k K` (`options.topClasses`), the K classes the explanation's own
    /// forward pass ranks first.
    private func explain(_ images: [Pending], _ session: ExplainSession) -> [Result<ExplainSession.Output, any Error>] {
        if images.count > 1, ExplainSession.batchKey(model: model, options: options) != nil {
            return session.explain(batch: images.map { .init(bytes: $0.bytes, options: options, render: render) }, model: model)
        }
        return images.map { image in
            Result { try session.explain(image.bytes, model: model, options: options, render: render) }
        }
    }

    /// Records why the image at `path` failed: a bad file or image is that image's failure; any
    /// other error would fail every image and stops the batch.
    private func failed(_ path: String, _ error: any Error) -> Outcome {
        if let failure = error as? FileFailure {
            return record(BatchFailure(path: path, code: failure.code, message: failure.message))
        }
        let answer = ServiceError(error)
        let outcome = record(BatchFailure(path: path, code: answer.code, message: answer.message))
        if error is ImageDecodingError || error is ImageEncodingError { return outcome }
        if case .stop = outcome { return outcome }
        return .stop("\(path): \(error)")
    }

    /// Appends `failure` to errors.jsonl.
    private func record(_ failure: BatchFailure) -> Outcome {
        do {
            try journal.fail(failure)
            return .failed
        } catch {
            return .stop("\(error)")
        }
    }

    /// The file's bytes, refused beyond `maxFileBytes` without reading more than that.
    private func read(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be opened" : "there is no such file"
            throw FileFailure(code: "unreadable_file", message: "cannot read '\(path)': \(reason)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
        } catch {
            throw FileFailure(code: "unreadable_file", message: "cannot read '\(path)': \(error.localizedDescription)")
        }
        guard data.count <= maxFileBytes else {
            throw FileFailure(code: "image_too_large", message: "the file is larger than \(maxFileBytes) bytes (--max-file-mb)")
        }
        return [UInt8](data)
    }
}
