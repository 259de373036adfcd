import Tensor

extension OperatorFactory {
    static let normalizationBuilders: [String: Builder] = [
        "LRN": { node in
            let a = node.attributes
            guard let size = try a.int("size") else { throw node.invalid("size is required") }
            let alpha = try a.float("alpha", default: 1e-4), beta = try a.float("beta", default: 0.75)
            let bias = try a.float("bias", default: 1)
            return try node.building { try LRN(size: size, alpha: alpha, beta: beta, bias: bias) }
        },
        "BatchNormalization": { node in
            let a = node.attributes
            a.ignore("momentum")  // updates running statistics in training only
            if node.opset < 9, try a.int("spatial", default: 1) != 1 {
                throw node.invalid("spatial = 0 (statistics per activation rather than per channel) is not supported")
            }
            if node.opset >= 14, try a.int("training_mode", default: 0) != 0 {
                throw node.invalid("training_mode = 1 is not supported: export the model in inference (eval) mode")
            }
            guard node.outputCount == 1 else {
                throw node.invalid("the running-statistics outputs exist in training mode only, which is not supported")
            }
            let epsilon = try a.float("epsilon", default: 1e-5)
            let parameters = (1...4).map { node.constant($0) }
            return try node.building {
                try BatchNormalization(epsilon: epsilon, parameters: parameters.contains { $0 == nil } ? nil : parameters.compactMap { $0 })
            }
        },
        "LayerNormalization": { node in
            try node.requireFloatStash()
            return LayerNormalization(axis: try node.attributes.int("axis", default: -1),
                                      epsilon: try node.attributes.float("epsilon", default: 1e-5))
        },
        "GroupNormalization": { node in
            try node.requireFloatStash()
            guard let groups = try node.attributes.int("num_groups") else { throw node.invalid("num_groups is required") }
            // Opset 18 scales per group; opset 21 per channel.
            return GroupNormalization(groups: groups, epsilon: try node.attributes.float("epsilon", default: 1e-5),
                                      perGroupParameters: node.opset < 21)
        },
        "InstanceNormalization": { node in
            GroupNormalization(groups: nil, epsilon: try node.attributes.float("epsilon", default: 1e-5))
        },
        "Dropout": { node in
            if node.opset < 12 {
                _ = try node.attributes.float("ratio")  // only applies in training
            } else {
                node.attributes.ignore("seed")  // only applies in training
            }
            // training_mode (input 2) is checked again at run time when it is not a constant.
            if let training = node.constant(2), training.count == 1, training.scalarValue != 0,
               (node.constant(1)?.scalarValue ?? 0.5) != 0 {
                throw node.invalid("training_mode is true: only inference is supported (or a ratio of 0)")
            }
            return Dropout(booleanMask: node.opset >= 10)
        },
    ]
}

extension NodeContext {
    /// Refuses a `stash_type` other than float32, the precision the statistics are kept in.
    func requireFloatStash() throws {
        let stash = try attributes.int("stash_type", default: 1)
        guard stash == 1 else { throw invalid("stash_type \(stash) is not supported; accepted: 1 (float)") }
    }

    /// The constant input at `position`, or nil when it is absent or computed at run time.
    func constant(_ position: Int) -> Tensor? {
        position < constants.count ? constants[position] : nil
    }
}
