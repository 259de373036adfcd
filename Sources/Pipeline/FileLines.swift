import Foundation

/// The lines of a text file, read in 1 MiB blocks so that the file is never held whole.
struct FileLines {
    struct Line {
        /// 1-based.
        var number: Int
        /// The line without its newline (and without a trailing carriage return); nil when it
        /// was longer than the reader's `maxLength` (its bytes were skipped).
        var bytes: [UInt8]?
        /// False for a last line without a newline: a line still being written, or cut short.
        var terminated: Bool
        /// The file offset just past this line (and its newline).
        var end: UInt64
    }

    /// Why a file could not be read.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let blockSize = 1 << 20

    /// Calls `body` with each line of the file at `path`, in order. Lines longer than
    /// `maxLength` bytes are passed with `bytes == nil`, never gathered.
    static func forEach(path: String, maxLength: Int, _ body: (Line) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Failure(description: "cannot open '\(path)'")
        }
        defer { try? handle.close() }
        var current: [UInt8] = []
        var tooLong = false
        var number = 0
        var offset: UInt64 = 0
        func emit(terminated: Bool) throws {
            number += 1
            var bytes = current
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            try body(Line(number: number, bytes: tooLong ? nil : bytes, terminated: terminated, end: offset))
            current.removeAll(keepingCapacity: true)
            tooLong = false
        }
        while true {
            let block: Data
            do {
                block = try handle.read(upToCount: blockSize) ?? Data()
            } catch {
                throw Failure(description: "cannot read '\(path)': \(error.localizedDescription)")
            }
            if block.isEmpty { break }
            for byte in block {
                offset += 1
                if byte == UInt8(ascii: "\n") {
                    try emit(terminated: true)
                } else if !tooLong {
                    if current.count < maxLength { current.append(byte) } else { tooLong = true; current = [] }
                }
            }
        }
        if !current.isEmpty || tooLong { try emit(terminated: false) }
    }
}
