import Testing
import Models
@testable import Pipeline

@Suite struct ClassSelectorTests {
    let labels = ["circle", "square", "triangle", "star", "cross", "Star"]

    @Test func indicesAndLabelsResolve() throws {
        #expect(try ClassSelector.resolve(["2", "circle", " cross "], labels: labels, model: "m") == [2, 0, 4])
        #expect(try ClassSelector.resolve(["SQUARE"], labels: labels, model: "m") == [1])
    }

    @Test func exactCaseWinsOverAmbiguity() throws {
        #expect(try ClassSelector.resolve(["Star"], labels: labels, model: "m") == [5])
        #expect(throws: ModelError.unknownClass("STAR", model: "m", hint: "the label is ambiguous (classes 3, 5); give the index")) {
            try ClassSelector.resolve(["STAR"], labels: labels, model: "m")
        }
    }

    @Test func unknownClassesSayWhatExists() {
        #expect(throws: ModelError.unknownClass("9", model: "m", hint: "class indices are 0...5")) {
            try ClassSelector.resolve(["9"], labels: labels, model: "m")
        }
        #expect(throws: ModelError.unknownClass("-1", model: "m", hint: "class indices are 0...5")) {
            try ClassSelector.resolve(["-1"], labels: labels, model: "m")
        }
        #expect(throws: ModelError.unknownClass("tri", model: "m", hint: "did you mean triangle?")) {
            try ClassSelector.resolve(["tri"], labels: labels, model: "m")
        }
        #expect(throws: ModelError.unknownClass("hexagon", model: "m", hint: "labels: circle, square, triangle, star, cross, Star")) {
            try ClassSelector.resolve(["hexagon"], labels: labels, model: "m")
        }
    }
}
