import ClientText
import Explain
import HTTP
import Imaging
import Models

/// An error answer: status, a stable machine-readable `code` and a message naming what
/// was wrong and what is accepted. Rendered as `{"error": {"code", "message"}}`.
public struct ServiceError: Error, Equatable {
    public var status: HTTPStatus
    public var code: String
    public var message: String
    /// Seconds a client should wait before retrying (503s).
    public var retryAfter: Int?

    public init(_ status: HTTPStatus, _ code: String, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    /// The answer while the server drains: new work goes to another instance.
    static let shuttingDown = ServiceError(.serviceUnavailable, "shutting_down", "the server is shutting down; retry on another instance",
                                           retryAfter: 1)

    var response: HTTPResponse {
        var response = HTTPResponse.error(status: status, code: code, message: message)
        if let retryAfter { response.headers["Retry-After"] = String(retryAfter) }
        if code == Self.shuttingDown.code { response.headers["Connection"] = "close" }
        if status == .unauthorized { response.headers["WWW-Authenticate"] = #"Bearer realm="gradcam""# }
        return response
    }

    /// A parameter the route accepts, with a bad value; `message` quotes the value
    /// through ``ClientText/quoted(_:)``.
    static func badParameter(_ name: String, _ message: String) -> ServiceError {
        ServiceError(.badRequest, "invalid_parameter", "parameter \(ClientText.quoted(name)): \(message)")
    }

    /// Maps whatever a request's processing threw. Client mistakes become 4xx; only the
    /// server's own faults are 5xx.
    public init(_ error: any Error) {
        switch error {
        case let error as ServiceError:
            self = error
        case let error as ImageDecodingError:
            switch error {
            case .empty:
                self.init(.badRequest, "missing_image", "the image is empty; send a PNG or JPEG")
            case .unsupportedFormat:
                self.init(.unsupportedMediaType, "unsupported_image", "\(error)")
            case .tooLarge, .sideTooLong, .interlacedTooLarge, .tooManyScans:
                // All three are refusals by declared size before any decoding work: the
                // client must send a smaller (or, for scans, simpler) image, as with the body limit.
                self.init(.contentTooLarge, "image_too_large", "\(error)")
            case .outOfMemory:
                self.init(.serviceUnavailable, "overloaded", "not enough memory to decode the image", retryAfter: 5)
            default:
                self.init(.badRequest, "invalid_image", "\(error)")
            }
        case let error as ModelError:
            switch error {
            case .unknownModel: self.init(.badRequest, "unknown_model", "\(error)")
            case .unknownClass: self.init(.badRequest, "unknown_class", "\(error)")
            case .invalidRequest: self.init(.badRequest, "invalid_parameter", "\(error)")
            default: self.init(.internalServerError, "model_error", "\(error)")
            }
        case let error as ExplainError:
            switch error {
            case .unknownLayer, .layerNotSpatial, .layerNotOnPath:
                self.init(.badRequest, "unknown_layer", "\(error)")
            case .classOutOfRange:
                self.init(.badRequest, "unknown_class", "\(error)")
            case .noClassActivationHead, .notDilatable, .unsupportedModel:
                self.init(.badRequest, "unsupported_for_model", "\(error)")
            case .invalidParameter:
                self.init(.badRequest, "invalid_parameter", "\(error)")
            case .internalInconsistency:
                self.init(.internalServerError, "internal", "\(error)")
            }
        case let error as FaithfulnessError:
            switch error {
            case .inputTooLarge: self.init(.badRequest, "unsupported_for_model", "\(error)")
            case .noTarget: self.init(.badRequest, "invalid_parameter", "\(error)")
            }
        case let error as WorkerPool.Failure:
            switch error {
            case let .overloaded(capacity):
                self.init(.serviceUnavailable, "overloaded", "all workers are busy and \(capacity) requests are queued; retry later", retryAfter: 1)
            case let .timedOut(after):
                self.init(.serviceUnavailable, "timeout", "the request did not finish within the server's time limit (\(after)); retry later or ask less (fewer classes, a cheaper method)", retryAfter: 2)
            case .stopped:
                self = .shuttingDown
            }
        case is CancellationError:
            // The client closed its connection while waiting: nobody reads this answer, but
            // metrics count it apart, with nginx's "client closed request".
            self.init(HTTPStatus(code: 499, reasonPhrase: "Client Closed Request"), "cancelled",
                      "the request was cancelled: the client closed its connection")
        case let error as ImageEncodingError:
            if case .tooLarge = error {
                self.init(.contentTooLarge, "image_too_large", "\(error)")
            } else {
                self.init(.internalServerError, "internal", "\(error)")
            }
        case let error as OverlayError:
            self.init(.badRequest, "invalid_parameter", "\(error)")
        default:
            self.init(.internalServerError, "internal", "\(error)")
        }
    }
}
