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
        "test_cast_BFLOAT16_to_FLOAT": "bfloat16 data (the engine holds float32, int64 and bool)",
        "test_cast_FLOAT_to_BFLOAT16": "bfloat16 data (the engine holds float32, int64 and bool)",
        "test_castlike_BFLOAT16_to_FLOAT_expanded": "bfloat16 data (the engine holds float32, int64 and bool)",
        "test_castlike_FLOAT_to_BFLOAT16_expanded": "bfloat16 data (the engine holds float32, int64 and bool)",
        "test_cast_FLOAT_to_STRING": "string data (the engine holds float32, int64 and bool)",
        "test_cast_STRING_to_FLOAT": "string data (the engine holds float32, int64 and bool)",
        "test_castlike_FLOAT_to_STRING_expanded": "string data (the engine holds float32, int64 and bool)",
        "test_castlike_STRING_to_FLOAT_expanded": "string data (the engine holds float32, int64 and bool)",
        "test_resize_downsample_scales_cubic": "cubic interpolation (Resize is nearest or linear)",
        "test_resize_downsample_scales_cubic_A_n0p5_exclude_outside": "cubic interpolation (Resize is nearest or linear)",
        "test_resize_downsample_scales_cubic_align_corners": "cubic interpolation (Resize is nearest or linear)",
        "test_resize_downsample_sizes_cubic": "cubic interpolation (Resize is nearest or linear)",
        "test_resize_upsample_scales_cubic": "cubic interpolation (Resize is nearest or linear)",
        "test_resize_upsample_scales_cubic_A_n0p5_exclude_outside": "cubic interpolation (Resize is nearest or linear)",
        "test_resize_upsample_scales_cubic_align_corners": "cubic interpolation (Resize is nearest or linear)",
        "test_resize_upsample_scales_cubic_asymmetric": "cubic interpolation (Resize is nearest or linear)",
        "test_resize_upsample_sizes_cubic": "cubic interpolation (Resize is nearest or linear)",
        "test_resize_tf_crop_and_resize": "tf_crop_and_resize coordinates (a crop given by roi)",
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
        for (index, set) in try testCase.dataSets().enumerated() {
            let (model, inputs) = try testCase.model(binding: set.inputs)
            let outputs = try runModel(model, inputs: inputs)
            for (k, (actual, expected)) in zip(outputs, set.outputs).enumerated() {
                if let problem = Closeness.onnxBackend.mismatch(actual, expected) {
                    return "data set \(index), output \(k): \(problem)"
                }
            }
        }
        return nil
    }
}
