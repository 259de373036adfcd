import Explain
import Foundation
import HTTP
import Models
import Pipeline

extension GradCAMService {
    static let sanityParameters: Set<String> = ["model", "class", "layer", "method", "seed"]

    /// `POST /sanity`: the JSON document of `gradcam sanity` (cascading randomization of the
    /// model's weights). One network per layer is rebuilt and explained, on one worker, within
    /// the request's deadline: the engine checks it before every node, and between steps.
    func sanity(_ request: HTTPRequest) async throws -> HTTPResponse {
        let upload = try Upload(request)
        let p = try RequestParameters(request, accepted: Self.sanityParameters, formFields: upload.fields)
        let model = try self.model(p)
        let options = try Self.sanityOptions(p)
        let image = upload.image
        let (body, timing) = try await compute { session in
            let output = try session.sanity(image, model: model, options: options)
            var timings = output.timings
            let start = ContinuousClock.now
            let bytes = try DocumentEncoding.json(output.document)
            timings.encode = .now - start
            return (bytes, timings)
        }
        var response = HTTPResponse.json(bytes: body)
        response.headers["Server-Timing"] = timing
        return response
    }

    /// The sanity check's options a request's parameters ask for.
    static func sanityOptions(_ p: RequestParameters) throws -> SanityOptions {
        var options = SanityOptions()
        let methods = p.list("method")
        if !methods.isEmpty { options.methods = try SanityOptions.methods(methods) }
        options.seed = try (try p.single("seed")).map(SanityOptions.seed) ?? options.seed
        options.classes = p.list("class")
        options.layers = p.list("layer")
        try options.validate()
        return options
    }
}
