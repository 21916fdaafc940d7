// Parsing an HTTP/1.0 or HTTP/1.1 request head (RFC 9112), for a server that only serves GET.

/// A parsed request head: request line and header fields (the body, if
/// any, is never read: the server answers and closes the connection).
public struct HTTPRequest: Equatable, Sendable {
    /// The method token as sent (case-sensitive: `GET`, not `get`).
    public var method: String
    /// The request target as sent (`/metrics?x=1`, or an absolute URI).
    public var target: String
    /// The path of the target, without query (`/metrics`).
    public var path: String
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    /// Header fields in order; names as sent (compare them ignoring case).
    public var headers: [(name: String, value: String)]

    /// The value of the first header named `name` (ASCII case-insensitive).
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// Equal when every part is.
    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.path == rhs.path
            && lhs.minorVersion == rhs.minorVersion
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }
}

/// The result of looking at the bytes received so far.
public enum HTTPParseResult: Equatable, Sendable {
    /// The head is not complete yet: read more.
    case incomplete
    /// A complete, valid head.
    case request(HTTPRequest)
    /// The request is refused with this status (400, 431, 505) and reason.
    case refused(HTTPStatus, String)
}

/// Parses the head of one request from the bytes received so far.
///
/// Accepted: optional empty lines before the request line, lines ending in
/// CRLF or a bare LF, `METHOD SP target SP HTTP/1.x`, header fields
/// `name: value` with optional whitespace around the value. Refused: a head
/// larger than ``maxHeadBytes`` (431, also while incomplete), any other
/// version (505 for HTTP/2+ and 0.9-style lines with a version, 400 for
/// garbage), malformed request lines or header fields, obsolete line
/// folding, control characters, and an HTTP/1.1 request without `Host` (400).
public enum HTTPRequestParser {
    /// Largest request head accepted, in bytes.
    public static let maxHeadBytes = 8192

    /// Parses `bytes`, which start at the beginning of the connection's data.
    public static func parse(_ bytes: [UInt8]) -> HTTPParseResult {
        guard let headEnd = endOfHead(bytes) else {
            return bytes.count > maxHeadBytes
                ? .refused(.requestHeaderFieldsTooLarge, "request head larger than \(maxHeadBytes) bytes")
                : .incomplete
        }
        guard headEnd <= maxHeadBytes else {
            return .refused(.requestHeaderFieldsTooLarge, "request head larger than \(maxHeadBytes) bytes")
        }
        var lines = splitLines(bytes[..<headEnd])
        while lines.first?.isEmpty == true { lines.removeFirst() }
        guard let requestLine = lines.first else { return .refused(.badRequest, "empty request") }
        let line: RequestLine
        switch parseRequestLine(requestLine) {
        case .success(let parsed): line = parsed
        case .failure(let refusal): return .refused(refusal.status, refusal.reason)
        }
        var headers: [(name: String, value: String)] = []
        for raw in lines.dropFirst() where !raw.isEmpty {
            switch parseHeader(raw) {
            case .success(let field): headers.append(field)
            case .failure(let refusal): return .refused(refusal.status, refusal.reason)
            }
        }
        let request = HTTPRequest(method: line.method, target: line.target, path: path(of: line.target),
                                  minorVersion: line.minorVersion, headers: headers)
        if request.minorVersion == 1 && request.header("Host") == nil {
            return .refused(.badRequest, "HTTP/1.1 request without a Host header")
        }
        return .request(request)
    }

    /// The index just past the empty line ending the head (after leading
    /// empty lines), or nil when it has not arrived yet.
    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        var index = 0
        // Skip empty lines before the request line (RFC 9112 §2.2).
        while index < bytes.count {
            if bytes[index] == 0x0A { index += 1 } else if bytes[index] == 0x0D && index + 1 < bytes.count
                && bytes[index + 1] == 0x0A { index += 2 } else { break }
        }
        var lineStart = index
        while index < bytes.count {
            if bytes[index] == 0x0A {
                let content = index - lineStart - (index > lineStart && bytes[index - 1] == 0x0D ? 1 : 0)
                if content == 0 && lineStart > 0 { return index + 1 }
                lineStart = index + 1
            }
            index += 1
        }
        return nil
    }

    private static func splitLines(_ head: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = head.startIndex
        for index in head.indices where head[index] == 0x0A {
            var end = index
            if end > start && head[end - 1] == 0x0D { end -= 1 }
            lines.append(head[start..<end])
            start = index + 1
        }
        return lines
    }

    private struct RequestLine {
        var method: String
        var target: String
        var minorVersion: Int
    }

    struct Refusal: Error {
        var status: HTTPStatus
        var reason: String
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<RequestLine, Refusal> {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        if parts.count == 2, isToken(parts[0]) {
            return .failure(Refusal(status: .badRequest, reason: "request line without an HTTP version (HTTP/0.9 is not served)"))
        }
        guard parts.count == 3, isToken(parts[0]), !parts[1].isEmpty,
              parts[1].allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            return .failure(Refusal(status: .badRequest, reason: "malformed request line"))
        }
        let version = Array(parts[2])
        let prefix = Array("HTTP/".utf8)
        guard version.count == 8, Array(version[0..<5]) == prefix, isDigit(version[5]), version[6] == 0x2E,
              isDigit(version[7]) else {
            return .failure(Refusal(status: .badRequest, reason: "malformed HTTP version"))
        }
        guard version[5] == 0x31 else {
            return .failure(Refusal(status: .httpVersionNotSupported,
                                    reason: "HTTP version \(String(decoding: version, as: UTF8.self)) not supported; use HTTP/1.0 or HTTP/1.1"))
        }
        return .success(RequestLine(method: String(decoding: parts[0], as: UTF8.self),
                                    target: String(decoding: parts[1], as: UTF8.self),
                                    minorVersion: version[7] == 0x30 ? 0 : 1))
    }

    private static func parseHeader(_ line: ArraySlice<UInt8>) -> Result<(name: String, value: String), Refusal> {
        if line.first == 0x20 || line.first == 0x09 {
            return .failure(Refusal(status: .badRequest, reason: "obsolete line folding in a header field"))
        }
        guard let colon = line.firstIndex(of: 0x3A) else {
            return .failure(Refusal(status: .badRequest, reason: "header field without a colon"))
        }
        let name = line[line.startIndex..<colon]
        guard isToken(name) else {
            return .failure(Refusal(status: .badRequest, reason: "malformed header field name"))
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            return .failure(Refusal(status: .badRequest, reason: "control character in a header field value"))
        }
        return .success((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    /// The path of a request target: origin form `/p?q` → `/p`; absolute
    /// form `http://host:port/p?q` → `/p` (`/` when it has no path); `*` stays.
    static func path(of target: String) -> String {
        var rest = Substring(target)
        if let schemeEnd = rest.firstRange(of: "://"), !rest.hasPrefix("/") {
            rest = rest[schemeEnd.upperBound...]
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<query] }
        return rest.isEmpty ? "/" : String(rest)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// The punctuation allowed in a token (RFC 9110 tchar).
    private static let tokenPunctuation = Set("!#$%&'*+-.^_`|~".utf8)

    /// RFC 9110 token: one or more tchar.
    private static func isToken(_ bytes: ArraySlice<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || tokenPunctuation.contains(byte)
        }
    }
}
