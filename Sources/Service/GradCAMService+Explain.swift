import Explain
import Foundation
import HTTP
import Imaging
import Models
import Pipeline

extension GradCAMService {
    /// What an explanation takes, whatever carries it: `POST /gradcam`'s query and form fields,
    /// and the `parameters` of KServe V1's `:explain` and V2's `infer`; `options(_:)` reads them
    /// all, so every carrier checks them alike and refuses them with the same message.
    static let explanationParameters: Set<String> = RequestParameters.methodParameterNames.union(
        ["class", "layer", "method", "top", "dilate", "metrics", "metrics_seed", "box"])
    /// The explanation parameters `options(_:)` reads as lists (repeated or comma-separated).
    static let listParameters: Set<String> = ["class", "layer", "metrics", "comparison_categories"]
    /// `POST /gradcam`'s: the explanation's, the model, and the PNG answer's drawing.
    static let explainParameters = explanationParameters.union(["model", "format", "alpha", "colormap", "max_side"])
    static let predictParameters: Set<String> = ["model", "top"]

    /// `POST /gradcam`: a PNG overlay (default) or the JSON document of `gradcam explain`.
    func explain(_ request: HTTPRequest) async throws -> HTTPResponse {
        let upload = try Upload(request)
        let p = try RequestParameters(request, accepted: Self.explainParameters, formFields: upload.fields)
        let model = try self.model(p)
        let options = try Self.options(p)
        let json = try p.choice("format", ["png", "json"]) == "json"
        if !json && options.classes.count > 1 {
            throw ServiceError.badParameter("class", "format=png answers one class; ask for several with format=json")
        }
        let image = upload.image
        let body: [UInt8]
        var headers: HTTPHeaders
        let timing: String
        if json {
            (body, timing) = try await computeExplanation(.init(bytes: image, options: options, render: false), model: model) { output in
                var timings = output.timings
                let start = ContinuousClock.now
                let bytes = try DocumentEncoding.json(output.document)
                timings.encode = .now - start
                return (bytes, timings)
            }
            headers = ["Content-Type": "application/json"]
        } else {
            let ((png, document), pngTiming) = try await computeExplanation(.init(bytes: image, options: options, render: true),
                                                                            model: model) { output in
                var timings = output.timings
                let start = ContinuousClock.now
                guard let picture = output.pictures.first?.primary else {
                    throw ExplainError.internalInconsistency("\(options.method.name) drew no picture")
                }
                let bytes = try picture.pngData()
                timings.encode = .now - start
                return ((bytes, output.document), timings)
            }
            body = png
            timing = pngTiming
            headers = ["Content-Type": "image/png"]
            let e = document.explanations[0]
            headers["X-Gradcam-Model"] = document.model
            headers["X-Gradcam-Method"] = document.method
            headers["X-Gradcam-Layer"] = Self.headerSafe(document.layer)
            headers["X-Gradcam-Class"] = String(e.classIndex)
            headers["X-Gradcam-Label"] = Self.headerSafe(e.label)
            headers["X-Gradcam-Score"] = String(e.score)
            headers["X-Gradcam-Logit"] = String(e.logit)
            headers["X-Gradcam-Zero"] = String(e.zero)
            if let peak = e.peak { headers["X-Gradcam-Peak"] = "\(peak.x),\(peak.y)" }
        }
        headers["Server-Timing"] = timing
        return HTTPResponse(status: .ok, headers: headers, body: body)
    }

    /// The explanation options a request's parameters ask for.
    static func options(_ p: RequestParameters) throws -> ExplainOptions {
        var options = ExplainOptions()
        options.method = try p.choice("method", Method.allNames).flatMap(Method.init(named:)) ?? .gradcam
        options.parameters = try p.methodParameters()
        options.classes = p.list("class")
        options.layers = p.list("layer")
        options.alpha = try p.float("alpha", in: 0...1) ?? options.alpha
        options.colormap = try p.choice("colormap", Colormap.allNames).flatMap { Colormap(name: $0) } ?? options.colormap
        options.top = try p.int("top", in: ExplainOptions.topRange) ?? options.top
        options.dilate = try p.bool("dilate") ?? false
        options.maxSide = try p.int("max_side", in: ExplainOptions.maxSideRange) ?? options.maxSide
        options.metrics = try ExplainOptions.metrics(named: p.list("metrics"))
        options.metricsSeed = try p.int("metrics_seed", in: 0...Int(SanityOptions.seedRange.upperBound)).map(UInt64.init) ?? options.metricsSeed
        options.box = try p.single("box").map(ObjectBox.init(parsing:))
        return options
    }

    /// `POST /predict`: the top predictions, as `gradcam predict --format json`.
    func predict(_ request: HTTPRequest) async throws -> HTTPResponse {
        let upload = try Upload(request)
        let p = try RequestParameters(request, accepted: Self.predictParameters, formFields: upload.fields)
        let model = try self.model(p)
        let top = try p.int("top", in: ExplainOptions.topRange) ?? ExplainOptions().top
        let image = upload.image
        let (body, timing) = try await compute { session in
            let (document, timings) = try session.predict(image, model: model, top: top)
            return (try DocumentEncoding.json(document), timings)
        }
        var response = HTTPResponse.json(bytes: body)
        response.headers["Server-Timing"] = timing
        return response
    }

    func model(_ p: RequestParameters) throws -> LoadedModel {
        let registry = try models()
        guard let name = try p.single("model") else {
            throw ServiceError(.badRequest, "missing_parameter", "parameter 'model' is required; models: \(registry.models.map(\.name).joined(separator: ", "))")
        }
        return try registry.model(named: name)
    }

    /// A header value: printable ASCII kept, anything else percent-encoded (UTF-8).
    static func headerSafe(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
