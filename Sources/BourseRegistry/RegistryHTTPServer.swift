#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import Foundation

/// A read-only HTTP/1.1 file server for a registry directory, on loopback.
///
/// GET and HEAD only, one request per connection, files only (no listings).
/// Paths with `.`/`..` components, backslashes, NUL, or that resolve (through
/// symbolic links) outside the directory are refused with 403.
public final class RegistryHTTPServer: @unchecked Sendable {
    /// The directory served.
    public let directory: String
    /// The TCP port listened on (the one the kernel chose when 0 was asked).
    public let port: UInt16
    private let listener: Int32
    private let resolvedRoot: String
    private let lock = NSLock()
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    /// Binds 127.0.0.1:`port` (0: any free port) to serve `directory`; call ``start()`` to accept.
    public init(directory: String, port: UInt16 = 0) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
              let resolved = realpath(directory, nil) else {
            throw BourseError(.fileNotFound, "cannot serve \(directory): not a directory", input: directory)
        }
        resolvedRoot = String(cString: resolved)
        free(resolved)
        self.directory = directory
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BourseError(.io, "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw BourseError(.io, "cannot listen on 127.0.0.1:\(port): \(reason)", input: "\(port)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = UInt16(bigEndian: actual.sin_port)
        listener = fd
    }

    deinit { stop() }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Accepts connections on a background thread until ``stop()``.
    public func start() {
        let thread = Thread { [self] in
            acceptLoop()
            finished.signal()
        }
        thread.start()
    }

    /// Stops accepting and closes the listening socket.
    public func stop() {
        let wasRunning: Bool = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard wasRunning else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func acceptLoop() {
        while !isStopped {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            DispatchQueue.global().async { [self] in
                serve(client)
                close(client)
            }
        }
    }

    /// Reads one request (headers only, at most 16 KiB, 10 s) and answers it.
    private func serve(_ client: Int32) {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while request.count < 16_384 {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { break }
            request += buffer[0..<n]
            if request.count >= 4, request.suffix(4) == [13, 10, 13, 10] { break }
            if let text = String(bytes: request, encoding: .utf8), text.contains("\r\n\r\n") || text.contains("\n\n") { break }
        }
        let text = String(decoding: request, as: UTF8.self)
        guard let requestLine = text.split(separator: "\r\n", maxSplits: 1).first?.split(separator: "\n").first else {
            return respond(client, status: 400, reason: "Bad Request")
        }
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return respond(client, status: 400, reason: "Bad Request") }
        let method = String(parts[0])
        guard method == "GET" || method == "HEAD" else { return respond(client, status: 405, reason: "Method Not Allowed") }
        switch resolve(target: String(parts[1])) {
        case .refused: respond(client, status: 403, reason: "Forbidden")
        case .missing: respond(client, status: 404, reason: "Not Found")
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else { return respond(client, status: 404, reason: "Not Found") }
            respond(client, status: 200, reason: "OK", body: data, includeBody: method == "GET")
        }
    }

    private enum Target { case refused, missing, file(String) }

    /// Maps a request target to a file under the root, refusing anything that could escape it.
    private func resolve(target: String) -> Target {
        var path = target
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[..<query]) }
        guard path.hasPrefix("/"), let decoded = path.removingPercentEncoding else { return .refused }
        let relative = String(decoded.dropFirst())
        guard RegistryLayout.isSafeRelativePath(relative) else { return .refused }
        let full = resolvedRoot + "/" + relative
        guard let real = realpath(full, nil) else { return .missing }
        let resolved = String(cString: real)
        free(real)
        guard resolved.hasPrefix(resolvedRoot + "/") else { return .refused }
        var info = stat()
        guard stat(resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return .missing }
        return .file(resolved)
    }

    private func respond(_ client: Int32, status: Int, reason: String, body: Data = Data(), includeBody: Bool = true) {
        let payload = status == 200 ? body : Data("\(status) \(reason)\n".utf8)
        let contentType = status == 200 ? "application/octet-stream" : "text/plain; charset=utf-8"
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Length: \(payload.count)\r\nContent-Type: \(contentType)\r\n"
        head += "Connection: close\r\nCache-Control: no-cache\r\n\r\n"
        var out = Data(head.utf8)
        if includeBody { out.append(payload) }
        out.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n < 0 { if errno == EINTR { continue }; return }
                sent += n
            }
        }
    }

    /// Blocks until the accept loop has ended (after ``stop()`` or a fatal accept error).
    public func waitUntilStopped() {
        finished.wait()
        finished.signal()
    }
}
