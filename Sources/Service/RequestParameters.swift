import ClientText
import HTTP
import Models

/// A request's parameters, from the query string and (for multipart bodies) form fields,
/// checked against the names a route accepts: an unknown name is an error, not ignored.
struct RequestParameters {
    private(set) var values: [String: [String]] = [:]

    init(_ request: HTTPRequest, accepted: Set<String>, formFields: [(name: String, value: String)] = []) throws {
        try self.init(request.query + formFields, accepted: accepted)
    }

    /// Parameters given as name-value pairs (e.g. from a JSON body's `parameters`).
    init(_ pairs: [(name: String, value: String)], accepted: Set<String>) throws {
        for (name, value) in pairs {
            guard accepted.contains(name) else {
                throw ServiceError(.badRequest, "unknown_parameter",
                                   "unknown parameter \(ClientText.quoted(name)); accepted: \(accepted.sorted().joined(separator: ", "))")
            }
            values[name, default: []].append(value)
        }
    }

    /// The single value of `name`; giving it twice is an error.
    func single(_ name: String) throws -> String? {
        guard let list = values[name] else { return nil }
        guard list.count == 1 else { throw ServiceError.badParameter(name, "given \(list.count) times; give it once") }
        return list[0]
    }

    /// Every value of `name`, with comma-separated lists split.
    func list(_ name: String) -> [String] {
        (values[name] ?? []).flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = try single(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ServiceError.badParameter(name, "\(ClientText.quoted(text)) is not an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// Every value of `name` (repeated or comma-separated) as integers in `range`; nil when not given.
    func ints(_ name: String, in range: ClosedRange<Int>) throws -> [Int]? {
        guard values[name] != nil else { return nil }
        return try list(name).map { text in
            guard let value = Int(text), range.contains(value) else {
                throw ServiceError.badParameter(name, "\(ClientText.quoted(text)) is not an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
    }

    func float(_ name: String, in range: ClosedRange<Float>) throws -> Float? {
        guard let text = try single(name) else { return nil }
        guard let value = Float(text), range.contains(value) else {
            throw ServiceError.badParameter(name, "\(ClientText.quoted(text)) is not a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func bool(_ name: String) throws -> Bool? {
        guard let text = try single(name) else { return nil }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ServiceError.badParameter(name, "\(ClientText.quoted(text)) is not a boolean (true or false)")
        }
    }

    /// One of `choices`, by name.
    func choice(_ name: String, _ choices: [String]) throws -> String? {
        guard let text = try single(name) else { return nil }
        guard choices.contains(text) else {
            throw ServiceError.badParameter(name, "\(ClientText.quoted(text)) is not one of \(choices.joined(separator: ", "))")
        }
        return text
    }
}

/// The image and form fields of an upload: a multipart/form-data body with an `image`
/// part, or a raw `image/png` / `image/jpeg` (or `application/octet-stream`) body.
struct Upload {
    var image: [UInt8]
    var fields: [(name: String, value: String)]

    static let rawTypes: Set<String> = ["image/png", "image/jpeg", "image/jpg", "application/octet-stream"]

    init(_ request: HTTPRequest, multipartLimits: MultipartFormData.Limits = .init()) throws {
        guard let contentType = request.headers["Content-Type"] else {
            throw ServiceError(.unsupportedMediaType, "unsupported_media_type",
                               request.body.isEmpty ? "no image: send multipart/form-data with an 'image' part, or a raw image/png or image/jpeg body"
                                                    : "the body has no Content-Type; use multipart/form-data, image/png or image/jpeg")
        }
        guard let type = MediaType(contentType) else {
            throw ServiceError(.badRequest, "bad_request", "malformed Content-Type \(ClientText.quoted(contentType))")
        }
        if type.essence == "multipart/form-data" {
            let form: MultipartFormData
            do {
                form = try MultipartFormData(body: request.body, contentType: contentType, limits: multipartLimits)
            } catch {
                throw ServiceError(.badRequest, "invalid_multipart", "\(error)")
            }
            let images = form.parts.filter { $0.name == "image" }
            guard images.count == 1 else {
                throw ServiceError(.badRequest, "missing_image",
                                   images.isEmpty ? "the form has no part named 'image'" : "the form has \(images.count) parts named 'image'; send one")
            }
            image = images[0].data
            fields = []
            for part in form.parts where part.name != "image" {
                guard part.filename == nil else {
                    throw ServiceError(.badRequest, "unknown_parameter", "unexpected file part \(ClientText.quoted(part.name)); only 'image' carries a file")
                }
                fields.append((part.name, String(decoding: part.data, as: UTF8.self)))
            }
        } else if Self.rawTypes.contains(type.essence) {
            image = request.body
            fields = []
        } else {
            throw ServiceError(.unsupportedMediaType, "unsupported_media_type",
                               "Content-Type \(ClientText.quoted(type.essence)) is not accepted; use multipart/form-data (part 'image'), image/png or image/jpeg")
        }
        guard !image.isEmpty else {
            throw ServiceError(.badRequest, "missing_image", "the image is empty; send a PNG or JPEG")
        }
    }
}
