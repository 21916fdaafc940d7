// HTTP responses of the metrics endpoint, and which request gets which.

/// The status codes the endpoint answers with.
public enum HTTPStatus: Int, Sendable {
    /// The metrics.
    case ok = 200
    /// Malformed request.
    case badRequest = 400
    /// Any path but the metrics path.
    case notFound = 404
    /// A method other than GET or HEAD on the metrics path.
    case methodNotAllowed = 405
    /// The request head did not arrive in time.
    case requestTimeout = 408
    /// The request head is too large.
    case requestHeaderFieldsTooLarge = 431
    /// A version other than HTTP/1.0 or HTTP/1.1.
    case httpVersionNotSupported = 505

    /// The reason phrase ("Not Found").
    public var reasonPhrase: String {
        switch self {
        case .ok: "OK"
        case .badRequest: "Bad Request"
        case .notFound: "Not Found"
        case .methodNotAllowed: "Method Not Allowed"
        case .requestTimeout: "Request Timeout"
        case .requestHeaderFieldsTooLarge: "Request Header Fields Too Large"
        case .httpVersionNotSupported: "HTTP Version Not Supported"
        }
    }
}

/// A complete response; the connection is always closed after it.
public struct HTTPResponse: Equatable, Sendable {
    /// The status.
    public var status: HTTPStatus
    /// Extra header fields (Content-Type, Allow); Content-Length and Connection are added on encoding.
    public var headers: [String]
    /// The body.
    public var body: [UInt8]
    /// False for HEAD: the head announces the body's length but the body is not sent.
    public var sendsBody: Bool

    /// Creates a response.
    public init(status: HTTPStatus, headers: [String] = [], body: [UInt8] = [], sendsBody: Bool = true) {
        self.status = status
        self.headers = headers
        self.body = body
        self.sendsBody = sendsBody
    }

    /// A plain-text error response whose body is `message` and a newline.
    public static func error(_ status: HTTPStatus, _ message: String, headers: [String] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type: text/plain; charset=utf-8"] + headers,
                     body: Array("\(message)\n".utf8))
    }

    /// The bytes to send: status line (always `HTTP/1.1`, which a 1.0 client
    /// accepts — RFC 9110 §6.2), headers, `Content-Length`,
    /// `Connection: close`, an empty line, and the body unless HEAD.
    public func encoded() -> [UInt8] {
        var head = "HTTP/1.1 \(status.rawValue) \(status.reasonPhrase)\r\n"
        for header in headers { head += header + "\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        if sendsBody { bytes += body }
        return bytes
    }
}

/// Which response a request gets: the only resource is ``path`` (default
/// `/metrics`), served for GET and HEAD.
public struct MetricsEndpoint: Sendable {
    /// The path served.
    public let path: String

    /// Creates the routing for `path`.
    public init(path: String = "/metrics") {
        self.path = path
    }

    /// The response to a parse result: 404 for any other path, 405 (with
    /// `Allow: GET, HEAD`) for another method on the path, the refusal of
    /// the parser as is, and for GET/HEAD on the path `metrics()` as
    /// `text/plain; version=0.0.4`. `metrics` is only called for those.
    public func respond(to parsed: HTTPParseResult, metrics: () -> String) -> HTTPResponse? {
        switch parsed {
        case .incomplete:
            return nil
        case .refused(let status, let reason):
            return .error(status, reason)
        case .request(let request):
            guard request.path == path else {
                return .error(.notFound, "not found: \(request.path) (metrics are at \(path))")
            }
            guard request.method == "GET" || request.method == "HEAD" else {
                return .error(.methodNotAllowed, "method \(request.method) not allowed on \(path): use GET",
                              headers: ["Allow: GET, HEAD"])
            }
            return HTTPResponse(status: .ok, headers: ["Content-Type: \(PrometheusExposition.contentType)"],
                                body: Array(metrics().utf8), sendsBody: request.method == "GET")
        }
    }
}
