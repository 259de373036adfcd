import Foundation
import Testing
import Tensor
@testable import ONNX

/// ONNX operator conformance: every node test in Debian's `libonnx-testdata` whose
/// operators the engine supports must import, run and match the expected outputs
/// (ONNX backend tolerance: rtol 1e-3, atol 1e-7), unless it is listed in `excluded`
/// with a reason; an excluded case must fail with a clear error, never run wrong.
@Suite struct ConformanceTests {
    static let root = "/usr/share/libonnx-testdata/data/node"

    /// Cases that use a supported operator with a feature outside the engine's scope.
    static let excluded: [String: String] = [
        "test_averagepool_3d_default": "3-D pooling (the engine pools 1-D and 2-D inputs)",
        "test_maxpool_3d_default": "3-D pooling (the engine pools 1-D and 2-D inputs)",
        "test_maxpool_with_argmax_2d_precomputed_pads": "MaxPool's Indices output",
        "test_maxpool_with_argmax_2d_precomputed_strides": "MaxPool's Indices output",
        "test_batchnorm_epsilon_training_mode": "training mode",
        "test_batchnorm_example_training_mode": "training mode",
        "test_training_dropout": "training mode",
        "test_training_dropout_default": "training mode",
        "test_training_dropout_default_mask": "training mode",
        "test_training_dropout_mask": "training mode",
        "test_clip_default_int8_inbounds": "int8 data (Clip computes float32)",
        "test_clip_default_int8_max": "int8 data (Clip computes float32)",
        "test_clip_default_int8_min": "int8 data (Clip computes float32)",
        "test_maxpool_2d_uint8": "uint8 data (MaxPool computes float32)",
        "test_identity_opt": "optional values (the engine has tensors only)",
        "test_identity_sequence": "sequence values (the engine has tensors only)",
        "test_pow_types_float": "an integer base (Pow computes float32)",
        "test_pow_types_int32_float32": "an integer base (Pow computes float32)",
        "test_pow_types_int32_int32": "an integer base (Pow computes float32)",
        "test_pow_types_int64_float32": "an integer base (Pow computes float32)",
        "test_pow_types_int64_int64": "an integer base (Pow computes float32)",
    ]

    @Test func supportedOperatorsPassTheirConformanceCases() throws {
        let cases = BackendTestCase.all(in: Self.root)
        try #require(!cases.isEmpty, "libonnx-testdata is not installed (apt install libonnx-testdata)")
        let supported = Set(ModelImporter.supportedOperators)
        var passed: [String] = [], failed: [String] = [], rejected: [String] = []
        for testCase in cases {
            guard let ops = try? testCase.operatorTypes(), !ops.isEmpty, ops.isSubset(of: supported) else { continue }
            if let reason = Self.excluded[testCase.name] {
                // Out of scope is fine only as an error, at import or at run time.
                switch Result(catching: { try check(testCase) }) {
                case .failure(let error): rejected.append("\(testCase.name): \(reason) [\(error)]")
                case .success(nil): failed.append("\(testCase.name): excluded (\(reason)) but passes; remove the exclusion")
                case .success(let problem?): failed.append("\(testCase.name): runs with wrong results instead of an error: \(problem)")
                }
                continue
            }
            do {
                if let problem = try check(testCase) {
                    failed.append("\(testCase.name): \(problem)")
                } else {
                    passed.append(testCase.name)
                }
            } catch {
                failed.append("\(testCase.name): \(error)")
            }
        }
        let report = """
            ONNX conformance (\(Self.root)): \(passed.count + failed.count) run, \(passed.count) passed, \
            \(failed.count) failed, \(rejected.count) excluded
            \(failed.map { "FAIL \($0)" }.joined(separator: "\n"))
            \(rejected.map { "EXCLUDED \($0)" }.joined(separator: "\n"))
            """
        print(report)
        #expect(failed.isEmpty, "\(report)")
        #expect(passed.count > 0)
    }

    /// Nil if every data set matches.
    private func check(_ testCase: BackendTestCase) throws -> String? {
        let model = try ModelImporter.load(path: testCase.modelPath)
        for (index, set) in try testCase.dataSets().enumerated() {
            let outputs = try runModel(model, inputs: set.inputs)
            for (k, (actual, expected)) in zip(outputs, set.outputs).enumerated() {
                if let problem = Closeness.onnxBackend.mismatch(actual, expected) {
                    return "data set \(index), output \(k): \(problem)"
                }
            }
        }
        return nil
    }
}
