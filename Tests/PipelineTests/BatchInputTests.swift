import Foundation
import Testing
@testable import Pipeline

@Suite struct BatchInputTests {
    @Test func directoryWalkKeepsImagesSortedByPath() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for name in ["b.png", "a.JPG", "sub/c.jpeg", "sub/z/d.png", "notes.txt", "A.png", "image.gif"] { _ = try dir.file(name, "x") }
        try FileManager.default.createDirectory(atPath: dir.path + "/folder.png", withIntermediateDirectories: true)
        let items = try BatchInput.enumerate(dir.path)
        #expect(items == ["A.png", "a.JPG", "b.png", "sub/c.jpeg", "sub/z/d.png"].map { .image(path: dir.path + "/" + $0) })
    }

    @Test func listLinesAreRelativeToTheListAndBadLinesAreFailures() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let list = try dir.file("lists/in.txt", "# images\none.png\n\n  /abs/two.jpg  \r\nhttps://example.com/x.png\n../up.png\n")
        let items = try BatchInput.enumerate(list)
        #expect(items == [
            .image(path: dir.path + "/lists/one.png"),
            .image(path: "/abs/two.jpg"),
            .invalid(BatchFailure(path: list, line: 5, code: "url_not_supported",
                                  message: "'https://' URLs are not fetched by gradcam batch; give a local file path")),
            .image(path: dir.path + "/up.png"),
        ])
    }

    @Test func labelStudioTasksGiveTheirImageAndBadTasksAreFailures() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let tasks = try dir.file("tasks.jsonl", """
            {"data": {"image": "img/a.png"}, "id": 7}
            {"data": {"text": "no image"}}
            not json
            {"data": {"image": "s3://bucket/b.png"}}
            [1, 2]
            {"data": {"image": "/abs/c.png"}}
            """)
        let items = try BatchInput.enumerate(tasks)
        let codes = items.map { item -> String in
            switch item {
            case .image(let path): return path
            case .invalid(let failure): return "\(failure.line!) \(failure.error.code)"
            }
        }
        #expect(codes == [dir.path + "/img/a.png", "2 invalid_input_line", "3 invalid_input_line", "4 url_not_supported",
                          "5 invalid_input_line", "/abs/c.png"])
    }

    @Test func anOverlongLineIsOneFailureAndTheNextLineIsRead() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let list = try dir.file("in.txt", String(repeating: "x", count: BatchInput.maxLineLength + 10) + "\nok.png\n")
        let items = try BatchInput.enumerate(list)
        #expect(items.count == 2)
        guard case .invalid(let failure) = items[0] else { Issue.record("the long line is not a failure"); return }
        #expect(failure.line == 1 && failure.error.code == "invalid_input_line")
        #expect(items[1] == .image(path: dir.path + "/ok.png"))
    }

    @Test func aMissingInputIsAnErrorThatSaysWhatIsAccepted() {
        #expect(throws: BatchInput.Failure.self) { try BatchInput.enumerate("/nonexistent/input") }
    }

    @Test func urlSchemesAreRecognisedAndPathsAreNot() {
        #expect(BatchInput.urlScheme("http://a/b.png") == "http")
        #expect(BatchInput.urlScheme("file:///a.png") == "file")
        #expect(BatchInput.urlScheme("dir/with://colon.png") == nil)
        #expect(BatchInput.urlScheme("/plain/path.png") == nil)
    }
}
