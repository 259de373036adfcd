import Foundation
import Testing
@testable import Pipeline

@Suite struct LabelStudioBatchExportTests {
    @Test func theFileHoldsOneTaskPerImageAsTheBackendWouldAnswerIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let a = batchRecord(path: "/img/a.png", sha256: "aa", score: 0.8)
        let b = batchRecord(path: "/img/b.png", sha256: "bb", classIndex: 0, score: 0.5)
        let journal = try BatchJournal(directory: dir.path, resume: false)
        try journal.record(a)
        try journal.record(b)
        try LabelStudioBatchExport(threshold: 0.3).finish(journal, labels: ["circle", "square", "triangle"])

        let bytes = try Data(contentsOf: dir.url.appendingPathComponent(LabelStudioBatchExport.fileName))
        let tasks = try JSONDecoder().decode([LabelStudioTask].self, from: bytes)
        #expect(tasks == [a, b].map { LabelStudioExport.task($0.document, imageReference: $0.path, threshold: 0.3) })
        #expect(tasks.allSatisfy { $0.predictions[0].result.map(\.type).sorted() == ["brushlabels", "rectanglelabels"] })
    }

    @Test func theExportIsListedAndNeedsClassMaps() throws {
        let exports = try BatchExports.make("jsonl,label-studio", threshold: 0.5)
        #expect(exports.map(\.name) == ["label-studio"] && exports[0].needsClassMap)
        #expect(BatchExports.names.contains("label-studio"))
    }
}
