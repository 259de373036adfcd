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
            guard let container = try? decoder.container(keyedBy: MemberName.self) else { return }
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
        guard let container = try? decoder.container(keyedBy: MemberName.self) else { return }
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

    /// Any member name.
    private struct MemberName: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}

/// The `data` of an input as JSON carries it, flat or nested (as the shape, which is checked
/// by the element count): numbers (an FP32 image) or strings (BYTES, base64), in order.
struct InferenceTensorData: Decodable {
    var numbers: [Float] = []
    var strings: [String] = []
    /// What the first element that is neither was (e.g. "a boolean"), if any.
    var unexpected: String?

    init(from decoder: any Decoder) throws {
        if var items = try? decoder.unkeyedContainer() {
            try collect(&items)
        } else {
            let value = try decoder.singleValueContainer()
            if let number = try? value.decode(Float.self) {
                numbers.append(number)
            } else if let string = try? value.decode(String.self) {
                strings.append(string)
            } else {
                unexpected = Self.describe(try value.decode(JSONValue.self))
            }
        }
    }

    private mutating func collect(_ items: inout any UnkeyedDecodingContainer) throws {
        while !items.isAtEnd {
            if let number = try? items.decode(Float.self) {
                numbers.append(number)
            } else if var nested = try? items.nestedUnkeyedContainer() {
                try collect(&nested)
            } else if let string = try? items.decode(String.self) {
                strings.append(string)
            } else {
                let value = try items.decode(JSONValue.self)
                unexpected = unexpected ?? Self.describe(value)
            }
        }
    }

    /// A value that is neither an FP32 number nor a string.
    private static func describe(_ value: JSONValue) -> String {
        if case .number = value { return "a number outside FP32's range" }
        return value.typeName
    }
}
