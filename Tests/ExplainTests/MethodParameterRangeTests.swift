import Testing
@testable import Explain

/// FinerCAM's, KPCA-CAM's and DFF's own parameters: values out of range are refused naming the
/// parameter and what is accepted; the bounds themselves pass; a method reports only its own.
@Suite struct MethodParameterRangeTests {
    /// A parameter setting and a text its refusal must contain.
    static let refused: [(String, @Sendable (inout MethodParameters) -> Void, String)] = [
        ("comparison_alpha above", { $0.comparisonAlpha = 10.5 }, "comparison_alpha must be between 0.0 and 10.0, got 10.5"),
        ("comparison_alpha negative", { $0.comparisonAlpha = -1 }, "comparison_alpha must be between 0.0 and 10.0"),
        ("comparison_alpha NaN", { $0.comparisonAlpha = .nan }, "comparison_alpha must be a finite number"),
        ("comparison_categories empty", { $0.comparisonCategories = [] }, "comparison_categories must list 1 to 64 ranks, got 0"),
        ("comparison_categories 65", { $0.comparisonCategories = Array(1...65) }, "comparison_categories must list 1 to 64 ranks, got 65"),
        ("comparison_categories rank 0", { $0.comparisonCategories = [1, 0] }, "ranks must be between 1 and 100000 (0 is the class itself), got 0"),
        ("comparison_categories huge rank", { $0.comparisonCategories = [100_001] }, "ranks must be between 1 and 100000"),
        ("comparison_categories repeated", { $0.comparisonCategories = [2, 1, 2] }, "comparison_categories must not repeat a rank, got 2,1,2"),
        ("gamma negative", { $0.gamma = -0.5 }, "gamma must be between 0.0 and 1000000.0, got -0.5"),
        ("gamma infinite", { $0.gamma = .infinity }, "gamma must be a finite number"),
        ("n_components zero", { $0.nComponents = 0 }, "n_components must be between 1 and 64, got 0"),
        ("n_components 65", { $0.nComponents = 65 }, "n_components must be between 1 and 64, got 65"),
        ("concept_classes zero", { $0.conceptClasses = 0 }, "concept_classes must be between 1 and 1000, got 0"),
        ("concept_classes 1001", { $0.conceptClasses = 1001 }, "concept_classes must be between 1 and 1000, got 1001"),
    ]

    @Test(arguments: refused.indices)
    func refusesOutOfRange(_ i: Int) {
        let (name, set, message) = Self.refused[i]
        var p = MethodParameters()
        set(&p)
        #expect("\(name)") { try p.validate() } throws: { error in
            guard case .invalidParameter(let reason) = error as? ExplainError else { return false }
            return reason.contains(message)
        }
    }

    /// A comparison rank must name another class of the model: refused during the
    /// explanation, naming the model's class count.
    @Test func finerRefusesARankPastTheClasses() throws {
        let record = try #require(PytorchGradCAMMoreMethodsAgreementTests.records(method: "finercam").first)
        let (model, input) = try References.model(record)
        var p = MethodParameters()
        p.comparisonCategories = [1, 1000]
        #expect {
            try Explainer(model: model).explain(input, method: .finercam, classes: [0], layers: [model.defaultLayer], parameters: p)
        } throws: { error in
            guard case .invalidParameter(let reason) = error as? ExplainError else { return false }
            return reason.contains("rank 1000 is not below the model's 1000 classes")
        }
        p.comparisonCategories = [999]
        _ = try Explainer(model: model).explain(input, method: .finercam, classes: [0], layers: [model.defaultLayer], parameters: p)
    }

    @Test func acceptsTheBounds() throws {
        var p = MethodParameters()
        p.comparisonAlpha = 0
        p.comparisonCategories = Array(1...64)
        p.gamma = 0
        p.nComponents = 64
        p.conceptClasses = 1000
        try p.validate()
        p.comparisonAlpha = 10
        p.comparisonCategories = [100_000]
        p.gamma = 1_000_000
        p.nComponents = 1
        p.conceptClasses = 1
        try p.validate()
    }

    /// Each method reports its own parameters, defaults filled in, and not the others'.
    @Test func eachMethodReportsItsOwn() {
        var p = MethodParameters()
        #expect(FinerCAM.parameters(p, classes: 1000) == ["comparison_alpha": .number(1), "comparison_categories": .string("1,2,3")])
        #expect(FinerCAM.parameters(p, classes: 3) == ["comparison_alpha": .number(1), "comparison_categories": .string("1,2")],
                "the default ranks that exist")
        #expect(Method.kpcacam.implementation.parameters(p) == ["kernel": .string("sigmoid")])
        #expect(Method.dff.implementation.parameters(p) == ["n_components": .int(5), "concept_classes": .int(2), "seed": .int(0)])
        p.comparisonAlpha = 0.5
        p.comparisonCategories = [1, 4]
        p.kernel = .rbf
        p.gamma = 0.25
        p.nComponents = 8
        p.conceptClasses = 3
        #expect(FinerCAM.parameters(p, classes: 1000) == ["comparison_alpha": .number(0.5), "comparison_categories": .string("1,4")])
        #expect(Method.kpcacam.implementation.parameters(p) == ["kernel": .string("rbf"), "gamma": .number(0.25)])
        #expect(Method.dff.implementation.parameters(p) == ["n_components": .int(8), "concept_classes": .int(3), "seed": .int(0)])
        #expect(Method.gradcam.implementation.parameters(p).isEmpty)
        p.kernel = .linear
        #expect(Method.kpcacam.implementation.parameters(p) == ["kernel": .string("linear")], "linear reads no gamma")
    }
}
