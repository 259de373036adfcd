import Foundation
import Testing
@testable import Pipeline

@Suite struct BatchJournalTests {
    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test func aNonEmptyOutputDirectoryNeedsResume() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try dir.file("other.txt", "x")
        #expect(throws: BatchJournal.Failure(description: "the output directory '\(dir.path)' is not empty; pass --resume to continue the batch written there, or choose another --output")) {
            try BatchJournal(directory: dir.path, resume: false)
        }
        #expect(try BatchJournal(directory: dir.path + "/new/out", resume: false).done.isEmpty)
    }

    @Test func resumeReadsTheDoneImagesAndCutsATruncatedLastLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let a = batchRecord(path: "/img/a.png", sha256: "aa"), b = batchRecord(path: "/img/b.png", sha256: "bb")
        let c = batchRecord(path: "/img/c.png", sha256: "cc")
        do {
            let journal = try BatchJournal(directory: dir.path, resume: false)
            try journal.record(a)
            try journal.record(b)
        }
        // A crash in the middle of writing c's line.
        let results = dir.path + "/results.jsonl"
        let full = try DocumentEncoding.json(c)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: results))
        try handle.seekToEnd()
        try handle.write(contentsOf: full.prefix(full.count / 2))
        try handle.close()

        let journal = try BatchJournal(directory: dir.path, resume: true)
        #expect(journal.done == ["/img/a.png": "aa", "/img/b.png": "bb"])
        try journal.record(c)
        let written = try lines(results)
        #expect(written.count == 4 && written[3].isEmpty)
        let decoded = try written.prefix(3).map { try JSONDecoder().decode(BatchRecord.self, from: Data($0.utf8)) }
        #expect(decoded == [a, b, c])
    }

    @Test func aDamagedLineBeforeTheLastIsAnErrorNamingIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let good = String(decoding: try DocumentEncoding.json(batchRecord(path: "/img/a.png")), as: UTF8.self)
        _ = try dir.file("results.jsonl", "\(good)\n{\"path\": 3}\n\(good)\n")
        #expect(throws: BatchJournal.Failure(description: "line 2 of '\(dir.path)/results.jsonl' is not a batch record (JSON with \"path\" and \"sha256\"); remove it or start a new --output")) {
            try BatchJournal(directory: dir.path, resume: true)
        }
    }

    @Test func recordsAreTheLastOfEachPathAndErrorsStartAfresh() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let old = batchRecord(path: "/img/a.png", sha256: "old"), b = batchRecord(path: "/img/b.png", sha256: "bb")
        let new = batchRecord(path: "/img/a.png", sha256: "new", classIndex: 1)
        do {
            let journal = try BatchJournal(directory: dir.path, resume: false)
            try journal.record(old)
            try journal.record(b)
            try journal.fail(BatchFailure(path: "/img/bad.png", code: "invalid_image", message: "broken"))
        }
        let journal = try BatchJournal(directory: dir.path, resume: true)
        try journal.record(new)
        var seen: [BatchRecord] = []
        try journal.forEachRecord { seen.append($0) }
        #expect(seen == [b, new])
        #expect(try lines(dir.path + "/errors.jsonl") == [""])
        try journal.fail(BatchFailure(path: "/img/bad.png", code: "invalid_image", message: "broken"))
        #expect(try lines(dir.path + "/errors.jsonl")
                == [#"{"error":{"code":"invalid_image","message":"broken"},"line":null,"path":"\/img\/bad.png"}"#, ""])
    }

    @Test func recordsCarryTheDocumentKeysWithPathAndHash() throws {
        let record = batchRecord(path: "/img/dir/0001.png", sha256: "0123456789abcdef")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(DocumentEncoding.json(record))) as? [String: Any])
        #expect(Set(object.keys) == ["path", "sha256", "model", "layer", "method", "image", "region", "predictions", "explanations"])
        #expect(try JSONDecoder().decode(BatchRecord.self, from: Data(DocumentEncoding.json(record))) == record)
        #expect(record.fileStem == "0001_01234567")
    }
}
