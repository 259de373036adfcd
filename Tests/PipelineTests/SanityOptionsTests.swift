import Explain
import Foundation
import Models
import Testing
@testable import Pipeline

/// What `gradcam sanity` and `POST /sanity` accept, what they refuse (naming what is accepted),
/// and the document's keys, present even when null.
@Suite struct SanityOptionsTests {
    @Test func methodsParseInOrderAndBadOnesAreNamed() throws {
        #expect(try SanityOptions.methods(["guided-backprop", "gradcam"]) == [.guidedBackprop, .gradcam])
        #expect(throws: ModelError.invalidRequest("unknown method 'nonsense'; methods: \(Method.allNames.joined(separator: ", "))")) {
            try SanityOptions.methods(["nonsense"])
        }
        #expect(throws: ModelError.invalidRequest("method 'gradcam' is named twice")) { try SanityOptions.methods(["gradcam", "gradcam"]) }
        #expect(throws: ModelError.self) { try SanityOptions.methods([]) }
    }

    @Test(arguments: ["-1", "abc", "1.5", "9007199254740992", "", "18446744073709551616"])
    func badSeedsAreRefused(_ text: String) {
        #expect(throws: ModelError.invalidRequest("seed must be an integer in 0...9007199254740991, got '\(text)'")) {
            try SanityOptions.seed(text)
        }
    }

    @Test func seedsAcrossTheRangeAreAccepted() throws {
        #expect(try SanityOptions.seed("0") == 0)
        #expect(try SanityOptions.seed("9007199254740991") == 9_007_199_254_740_991)
    }

    @Test func oneClassAtMost() {
        var options = SanityOptions()
        options.classes = ["circle", "star"]
        #expect(throws: ModelError.invalidRequest("the sanity check explains one class, got 2")) { try options.validate() }
        options.classes = ["circle"]
        #expect(throws: Never.self) { try options.validate() }
    }

    @Test func stepZeroWritesNullLayerAndOp() throws {
        let json = String(decoding: try DocumentEncoding.json(SanityStep(step: 0, layer: nil, op: nil)), as: UTF8.self)
        #expect(json == #"{"layer":null,"op":null,"step":0}"#)
    }
}
