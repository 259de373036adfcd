/// The JSON header of a `POST /v2/models/{name}/infer` request as decoded: its members as
/// ``JSONValue``s, except each input's `data`, which is decoded straight into numbers or
/// strings (an FP32 image in JSON is 150,528 numbers at 224x224, too many to hold as values).
/// What the members hold is checked by ``InferenceRequest``.
struct InferenceRequestHeader: Decodable {
    /// The root object's members but `inputs`; nil when the root is not an object.
    var members: [String: JSONValue]?
    /// `inputs`, when it is an array.
    var inputs: [Input]?

    struct Input: Decodable {
        /// The input's members but `data`; nil when the input is not an object.
        var members: [String: JSONValue]?
        var data: InferenceTensorData?

        init(from decoder: any Decoder) throws {
            guard let container = try? decoder.container(keyedBy: JSONMemberName.self) else { return }
            var members: [String: JSONValue] = [:]
            for key in container.allKeys {
                if key.stringValue == "data" {
                    data = try container.decode(InferenceTensorData.self, forKey: key)
                } else {
                    members[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
                }
            }
            self.members = members
        }
    }

    init(from decoder: any Decoder) throws {
        guard let container = try? decoder.container(keyedBy: JSONMemberName.self) else { return }
        var members: [String: JSONValue] = [:]
        for key in container.allKeys {
            if key.stringValue == "inputs", var items = try? container.nestedUnkeyedContainer(forKey: key) {
                var inputs: [Input] = []
                while !items.isAtEnd { inputs.append(try items.decode(Input.self)) }
                self.inputs = inputs
            } else {
                members[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
            }
        }
        self.members = members
    }
}

/// The `data` of an input as JSON carries it, flat or nested (as the shape, which is checked
/// by the element count): numbers (an FP32 image) or strings (BYTES, base64), in order.
///
/// Decoding is bounded for hostile input: every element at one depth must be of the kind the
/// first one there was (number, string or array), so a decode attempt fails at most once per
/// depth; anything else (mixed kinds, a boolean, a number beyond FP32, more strings than images)
/// stops the decoding at once with a ``ServiceError`` naming it.
struct InferenceTensorData: Decodable {
    var numbers: [Float] = []
    var strings: [String] = []
    /// Per depth, the kind of the elements there.
    private var kinds: [Kind] = []

    private enum Kind: String {
        case number = "numbers", string = "strings", array = "arrays"
    }

    init(from decoder: any Decoder) throws {
        if var items = try? decoder.unkeyedContainer() {
            try collect(&items, depth: 0)
        } else {
            let value = try decoder.singleValueContainer()
            if let number = try? value.decode(Float.self) {
                numbers.append(number)
            } else if let string = try? value.decode(String.self) {
                strings.append(string)
            } else {
                throw Self.refusal(try value.decode(JSONValue.self))
            }
        }
    }

    private mutating func collect(_ items: inout any UnkeyedDecodingContainer, depth: Int) throws {
        while !items.isAtEnd {
            guard depth < kinds.count else {
                try first(&items, depth: depth)
                continue
            }
            switch kinds[depth] {
            case .number:
                guard let number = try? items.decode(Float.self) else { throw Self.refusal(try items.decode(JSONValue.self), expected: .number) }
                numbers.append(number)
            case .string:
                guard let string = try? items.decode(String.self) else { throw Self.refusal(try items.decode(JSONValue.self), expected: .string) }
                try append(string)
            case .array:
                guard var nested = try? items.nestedUnkeyedContainer() else { throw Self.refusal(try items.decode(JSONValue.self), expected: .array) }
                try collect(&nested, depth: depth + 1)
            }
        }
    }

    /// Takes the first element at `depth`, recording its kind as the depth's.
    private mutating func first(_ items: inout any UnkeyedDecodingContainer, depth: Int) throws {
        if let number = try? items.decode(Float.self) {
            kinds.append(.number)
            numbers.append(number)
        } else if var nested = try? items.nestedUnkeyedContainer() {
            kinds.append(.array)
            try collect(&nested, depth: depth + 1)
        } else if let string = try? items.decode(String.self) {
            kinds.append(.string)
            try append(string)
        } else {
            throw Self.refusal(try items.decode(JSONValue.self))
        }
    }

    private mutating func append(_ string: String) throws {
        guard strings.count < GradCAMService.kserveMaxImages else {
            throw ServiceError.invalidRequest("the \"data\" of input \"image\" holds more than \(GradCAMService.kserveMaxImages) strings; BYTES takes 1 to \(GradCAMService.kserveMaxImages) images")
        }
        strings.append(string)
    }

    /// The error for `value`, found where `expected` were (or where nothing was expected yet).
    private static func refusal(_ value: JSONValue, expected: Kind? = nil) -> ServiceError {
        let found = if case .number = value, expected == nil || expected == .number { "a number outside FP32's range" } else { value.typeName }
        let place = expected.map { " among \($0.rawValue)" } ?? ""
        return ServiceError.invalidRequest("the \"data\" of input \"image\" holds \(found)\(place); send numbers (FP32) or base64 strings (BYTES), flat or nested as the shape")
    }
}
