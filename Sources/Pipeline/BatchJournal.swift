import Foundation
import Synchronization

/// The output directory of a batch and its two journals:
///
/// - `results.jsonl`: one `BatchRecord` per image done, appended as each image finishes (in
///   completion order) and kept across runs: it is what `--resume` reads;
/// - `errors.jsonl`: one `BatchFailure` per image (or input line) that failed in this run,
///   started afresh by every run (a resumed run tries the failed images again).
///
/// Each line is written with one `write(2)` call as soon as it is ready, so a crash or a
/// SIGKILL loses at most the images in flight and at worst leaves a cut last line, which
/// `open(resume: true)` removes.
public final class BatchJournal: Sendable {
    public static let resultsName = "results.jsonl"
    public static let errorsName = "errors.jsonl"
    /// The longest results line read back: a document of 64 classes with guided maps of a
    /// 1024x1024 input would be larger, but no model this server loads gives that.
    public static let maxRecordLength = 1 << 30

    public let directory: URL
    /// The images done by earlier runs: path → SHA-256 (the last record of each path).
    public let done: [String: String]
    private let results: Mutex<Int32>
    private let errors: Mutex<Int32>

    /// Why the output directory cannot be used.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Opens (creating it if needed) the output directory. Without `resume`, a directory that
    /// exists and is not empty is refused. With `resume`, the records of `results.jsonl` are
    /// read (a cut last line is cut off the file) and new ones appended.
    public init(directory path: String, resume: Bool) throws {
        let fm = FileManager.default
        directory = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw Failure(description: "--output '\(path)' is a file, not a directory") }
            let entries = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
            if !resume && !entries.isEmpty {
                throw Failure(description: "the output directory '\(path)' is not empty; pass --resume to continue the batch written there, or choose another --output")
            }
        } else {
            do {
                try fm.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw Failure(description: "cannot create the output directory '\(path)': \(error.localizedDescription)")
            }
        }
        let resultsPath = directory.appendingPathComponent(Self.resultsName).path
        var done: [String: String] = [:]
        if resume && fm.fileExists(atPath: resultsPath) {
            let complete = try Self.scan(resultsPath) { key, _ in done[key.path] = key.sha256 }
            if truncate(resultsPath, off_t(complete)) != 0 {
                throw Failure(description: "cannot cut the unfinished last line off '\(resultsPath)': \(String(cString: strerror(errno)))")
            }
        }
        self.done = done
        results = Mutex(try Self.open(resultsPath, flags: O_APPEND))
        errors = Mutex(try Self.open(directory.appendingPathComponent(Self.errorsName).path, flags: O_TRUNC))
    }

    deinit {
        results.withLock { _ = close($0) }
        errors.withLock { _ = close($0) }
    }

    /// Appends an image's record to `results.jsonl`.
    public func record(_ record: BatchRecord) throws {
        try append(DocumentEncoding.json(record), to: results, name: Self.resultsName)
    }

    /// Appends a failure to `errors.jsonl`.
    public func fail(_ failure: BatchFailure) throws {
        try append(DocumentEncoding.json(failure), to: errors, name: Self.errorsName)
    }

    /// Calls `body` with the last record of each path in `results.jsonl`, in the order of
    /// those lines (an image redone because it changed counts once, with its new record).
    /// A cut last line is ignored.
    public func forEachRecord(_ body: (BatchRecord) throws -> Void) throws {
        let path = directory.appendingPathComponent(Self.resultsName).path
        var last: [String: Int] = [:]
        _ = try Self.scan(path) { key, line in last[key.path] = line }
        let decoder = JSONDecoder()
        try FileLines.forEach(path: path, maxLength: Self.maxRecordLength) { line in
            guard line.terminated, let bytes = line.bytes, !bytes.isEmpty else { return }
            let record = try decoder.decode(BatchRecord.self, from: Data(bytes))
            if last[record.path] == line.number { try body(record) }
        }
    }

    // MARK: - Files

    private struct Key: Decodable { var path: String; var sha256: String }

    /// Reads the path and hash of each complete line of `path` (with its line number) and
    /// returns the offset just past the last complete line. A line that is not a record is
    /// an error unless it is the last and has no newline (a write cut short).
    static func scan(_ path: String, _ body: (_ key: (path: String, sha256: String), _ line: Int) -> Void) throws -> UInt64 {
        let decoder = JSONDecoder()
        var complete: UInt64 = 0
        do {
            try FileLines.forEach(path: path, maxLength: maxRecordLength) { line in
                guard line.terminated else { return }
                guard let bytes = line.bytes else {
                    throw Failure(description: "line \(line.number) of '\(path)' is longer than \(maxRecordLength) bytes; it is not a batch record")
                }
                complete = line.end
                if bytes.isEmpty { return }
                guard let key = try? decoder.decode(Key.self, from: Data(bytes)) else {
                    throw Failure(description: "line \(line.number) of '\(path)' is not a batch record (JSON with \"path\" and \"sha256\"); remove it or start a new --output")
                }
                body((key.path, key.sha256), line.number)
            }
        } catch let failure as FileLines.Failure {
            throw Failure(description: failure.description)
        }
        return complete
    }

    private static func open(_ path: String, flags: Int32) throws -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot open '\(path)' for writing: \(String(cString: strerror(errno)))") }
        return fd
    }

    /// Writes `json` and a newline to the file as one `write(2)` (looping only on a short write).
    private func append(_ json: [UInt8], to file: borrowing Mutex<Int32>, name: String) throws {
        let line = json + [UInt8(ascii: "\n")]
        try file.withLock { fd in
            var written = 0
            while written < line.count {
                let n = line.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw Failure(description: "cannot write to \(name) in '\(directory.path)': \(String(cString: strerror(errno)))")
                }
                written += n
            }
        }
    }
}
