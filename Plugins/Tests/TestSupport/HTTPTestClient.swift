// A plain-socket HTTP client for tests of servers on 127.0.0.1 (no Foundation networking).
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP response as received: status code, header fields (names lower-cased) and body.
public struct HTTPTestResponse: Sendable {
    /// The status code (200, 404…).
    public var status: Int
    /// The status line ("HTTP/1.1 200 OK").
    public var statusLine: String
    /// Header fields by lower-cased name.
    public var headers: [String: String]
    /// The body as text.
    public var body: String
}

/// Connects to 127.0.0.1:`port`, sends raw bytes, reads until the server closes.
public enum HTTPTestClient {
    /// A client-side failure (connect refused, malformed response…).
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public let description: String
    }

    /// Opens a TCP connection to 127.0.0.1:`port` (or [::1]:`port` with `ipv6`) with
    /// receive/send timeouts of `timeoutSeconds`.
    public static func connect(port: UInt16, ipv6: Bool = false, timeoutSeconds: Int = 10) throws -> Int32 {
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let status: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = in6addr_loopback
            status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard status == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "connect to \(ipv6 ? "[::1]" : "127.0.0.1"):\(port): \(message)")
        }
        return fd
    }

    /// Sends all of `bytes` on `fd`.
    public static func send(_ bytes: [UInt8], on fd: Int32) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// Reads until the peer closes the connection (or the receive timeout passes).
    public static func readAll(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return out }
            out += chunk[0..<count]
        }
    }

    /// Sends `request` verbatim and returns the raw response bytes.
    public static func exchange(port: UInt16, _ request: String) throws -> [UInt8] {
        let fd = try connect(port: port)
        defer { close(fd) }
        try send(Array(request.utf8), on: fd)
        return readAll(fd)
    }

    /// `GET path` over HTTP/1.1, parsed.
    public static func get(port: UInt16, path: String = "/metrics") throws -> HTTPTestResponse {
        try parse(exchange(port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: bourse-test\r\n\r\n"))
    }

    /// Splits a raw response into status, headers and body; checks Content-Length.
    public static func parse(_ bytes: [UInt8]) throws -> HTTPTestResponse {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.firstRange(of: "\r\n\r\n") else {
            throw Failure(description: "no end of head in response: \(text.debugDescription)")
        }
        let head = text[..<split.lowerBound].split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let body = String(text[split.upperBound...])
        let statusParts = head[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line \(head[0].debugDescription)")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw Failure(description: "bad header \(line.debugDescription)") }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingPrefix(" ").description
        }
        if let length = headers["content-length"].flatMap(Int.init), length != body.utf8.count {
            throw Failure(description: "Content-Length \(length) but \(body.utf8.count) body bytes")
        }
        return HTTPTestResponse(status: status, statusLine: head[0], headers: headers, body: body)
    }
}
