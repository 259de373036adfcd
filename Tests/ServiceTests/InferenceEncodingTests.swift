@testable import Service
import Testing

/// The binary tensor data extension byte for byte, and parameter values as text.
@Suite struct InferenceEncodingTests {
    @Test func writesTensorsLittleEndianAndBytesWithTheirLengths() {
        #expect(InferenceTensor(name: "p", shape: [2], values: .fp32([1, -2.5])).binary == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0])
        #expect(InferenceTensor(name: "t", shape: [2], values: .int64([258, -1])).binary
            == [0x02, 0x01, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(InferenceTensor(name: "e", shape: [2], values: .bytes([[0x41, 0x42], []])).binary == [2, 0, 0, 0, 0x41, 0x42, 0, 0, 0, 0])
        #expect(InferenceTensor(name: "e", shape: [0], values: .bytes([])).binary == [])
    }

    @Test func readsBytesElementsByTheirLengths() throws {
        let data: [UInt8] = [3, 0, 0, 0, 7, 8, 9, 1, 0, 0, 0, 5]
        #expect(try InferenceRequest.binaryElements(data[...], count: 2) == [[7, 8, 9], [5]])
        // [1, 1, 0, 0] is 257 little-endian (big-endian it would be 16,843,008).
        let skewed: [UInt8] = [1, 1, 0, 0] + [UInt8](repeating: 4, count: 257)
        #expect(try InferenceRequest.binaryElements(skewed[...], count: 1) == [[UInt8](repeating: 4, count: 257)])
        // A slice that does not start at index 0 (the bytes after the JSON header).
        let body: [UInt8] = [0x7B, 0x7D, 1, 0, 0, 0, 6]
        #expect(try InferenceRequest.binaryElements(body[2...], count: 1) == [[6]])
        #expect(throws: ServiceError.self) { try InferenceRequest.binaryElements(data[...], count: 3) }
        #expect(throws: ServiceError.self) { try InferenceRequest.binaryElements(data[...], count: 1) }
    }

    @Test func givesParameterValuesAsQueryText() throws {
        let parsed = try JSONValue.parse(Array(#"{"a": 3, "b": 2.5, "c": true, "d": "x", "e": null, "f": [1], "g": 1e300}"#.utf8), what: "test")
        guard case let .object(object) = parsed else { Issue.record("not an object"); return }
        #expect(object["a"]?.parameterText == "3")
        #expect(object["b"]?.parameterText == "2.5")
        #expect(object["c"]?.parameterText == "true")
        #expect(object["d"]?.parameterText == "x")
        #expect(object["e"]?.parameterText == nil)
        #expect(object["f"]?.parameterText == nil)
        #expect(object["g"]?.integer == nil)
        #expect(throws: ServiceError.self) { try JSONValue.parse(Array("{".utf8), what: "test") }
    }
}
