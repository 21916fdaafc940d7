// A small blocking HTTP server on its own thread (POSIX sockets, poll), one connection at a time.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// What happened to one connection, reported to the server's observer.
public enum ConnectionOutcome: Equatable, Sendable {
    /// A response with this status was sent completely.
    case answered(HTTPStatus)
    /// The client closed the connection before a complete request head arrived.
    case closedByClient
    /// The response could not be sent completely (client gone, or not reading until the timeout).
    case responseAborted(HTTPStatus)
}

/// Serves ``MetricsEndpoint`` over HTTP/1.0 and 1.1 on a dedicated thread.
///
/// - One connection at a time; every response closes its connection (no
///   keep-alive). Other clients wait in the listen backlog meanwhile.
/// - Each connection gets `timeoutMilliseconds` to send its request head
///   (then 408) and, separately, to take the response; a client that stops
///   reading or disconnects mid-response is dropped (`MSG_NOSIGNAL`: no SIGPIPE).
/// - ``stop()`` wakes the thread, joins it and closes the socket, also while
///   a slow client is connected (the thread checks every 100 ms).
///
/// System calls: socket, setsockopt, bind, listen, getsockname, poll,
/// accept, fcntl, recvfrom, sendto, shutdown, close, clone (the thread) — allowed
/// in the sandbox with the `network` and `threads` permissions.
public final class MetricsHTTPServer: @unchecked Sendable {
    /// Where the server listens; after ``start()``, with the port actually bound.
    public private(set) var address: ListenAddress
    /// Time a client has to send its request head, and to take the response.
    public let timeoutMilliseconds: Int
    private let endpoint: MetricsEndpoint
    private let render: @Sendable () -> String
    private let observe: @Sendable (ConnectionOutcome) -> Void
    private let stopping = Atomic<Bool>(false)
    private var listenFD: Int32 = -1
    private var thread: pthread_t?

    /// Creates a stopped server. `render` makes the metrics text for each
    /// GET (on the server thread); `observe` hears about every connection.
    public init(address: ListenAddress, timeoutMilliseconds: Int = 5000, endpoint: MetricsEndpoint = MetricsEndpoint(),
                render: @escaping @Sendable () -> String,
                observe: @escaping @Sendable (ConnectionOutcome) -> Void = { _ in }) {
        self.address = address
        self.timeoutMilliseconds = timeoutMilliseconds
        self.endpoint = endpoint
        self.render = render
        self.observe = observe
    }

    deinit { stop() }

    /// Binds, listens and starts the thread; returns the bound address
    /// (its port is the kernel's choice when the configured one is 0).
    /// Throws ``MetricsServerError`` naming the address and the system's reason.
    @discardableResult
    public func start() throws -> ListenAddress {
        guard thread == nil else { return address }
        let domain = address.family == .ipv6 ? AF_INET6 : AF_INET
        let fd = socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw MetricsServerError(address, "cannot create a socket", errno) }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var failedCall: String?
        if address.withSocketAddress({ bind(fd, $0, $1) }) != 0 { failedCall = "cannot bind" }
        if failedCall == nil && listen(fd, 64) != 0 { failedCall = "cannot listen" }
        if let failedCall {
            let code = errno
            close(fd)
            throw MetricsServerError(address, failedCall, code)
        }
        address = address.with(port: boundPort(fd) ?? address.port)
        listenFD = fd
        stopping.store(false, ordering: .sequentiallyConsistent)
        var handle = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&handle, nil, { raw in
            let server = Unmanaged<MetricsHTTPServer>.fromOpaque(raw!).takeRetainedValue()
            server.run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<MetricsHTTPServer>.fromOpaque(context).release()
            close(fd)
            listenFD = -1
            throw MetricsServerError(address, "cannot start the server thread", status)
        }
        thread = handle
        return address
    }

    /// Stops the thread (waiting for it) and closes the socket. Idempotent.
    public func stop() {
        guard let handle = thread else { return }
        stopping.store(true, ordering: .sequentiallyConsistent)
        _ = shutdown(listenFD, Int32(SHUT_RDWR))  // wakes a poll on the listening socket at once
        pthread_join(handle, nil)
        thread = nil
        close(listenFD)
        listenFD = -1
    }

    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    private func boundPort(_ fd: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        } == 0
        guard ok else { return nil }
        return withUnsafeBytes(of: &storage) { raw -> UInt16 in
            // sin_port and sin6_port are both at offset 2, in network byte order.
            UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        }
    }

    // MARK: The server thread

    private func run() {
        while !isStopping {
            guard wait(listenFD, for: Int16(POLLIN), milliseconds: 100) else { continue }
            if isStopping { break }
            let client = accept(listenFD, nil, nil)
            if client < 0 {
                // EAGAIN (the client left), EINTR, ECONNABORTED; EMFILE: wait for a descriptor.
                if errno == EMFILE || errno == ENFILE { _ = poll(nil, 0, 100) }
                continue
            }
            // Non-blocking (waits go through poll with deadlines) and not inherited by exec.
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            serve(client)
            close(client)
        }
    }

    /// Waits until `fd` is ready for `events` or `milliseconds` pass.
    private func wait(_ fd: Int32, for events: Int16, milliseconds: Int) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        return poll(&entry, 1, Int32(max(0, milliseconds))) > 0
    }

    private func serve(_ client: Int32) {
        let deadline = MonotonicClock.milliseconds() + timeoutMilliseconds
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var response: HTTPResponse?
        while response == nil {
            response = endpoint.respond(to: HTTPRequestParser.parse(received), metrics: render)
            if response != nil { break }
            let remaining = deadline - MonotonicClock.milliseconds()
            if isStopping { return }
            if remaining <= 0 {
                response = .error(.requestTimeout, "the request head did not arrive within \(timeoutMilliseconds) ms")
                break
            }
            guard wait(client, for: Int16(POLLIN), milliseconds: min(remaining, 100)) else { continue }
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count == 0 { observe(.closedByClient); return }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                observe(.closedByClient)
                return
            }
            received += chunk[0..<count]
        }
        guard let response else { return }
        if send(response.encoded(), to: client) {
            observe(.answered(response.status))
            linger(client)
        } else {
            observe(.responseAborted(response.status))
        }
    }

    /// Sends every byte before the timeout; false when the client is gone or too slow.
    private func send(_ bytes: [UInt8], to client: Int32) -> Bool {
        let deadline = MonotonicClock.milliseconds() + timeoutMilliseconds
        var offset = 0
        while offset < bytes.count {
            if isStopping { return false }
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 { offset += sent; continue }
            guard sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return false }
            let remaining = deadline - MonotonicClock.milliseconds()
            if remaining <= 0 { return false }
            _ = wait(client, for: Int16(POLLOUT), milliseconds: min(remaining, 100))
        }
        return true
    }

    /// Ends our side and reads what the client still sends (briefly), so
    /// that closing with unread request bytes does not reset the connection
    /// before the client has read the response.
    private func linger(_ client: Int32) {
        _ = shutdown(client, Int32(SHUT_WR))
        var sink = [UInt8](repeating: 0, count: 4096)
        let deadline = MonotonicClock.milliseconds() + 200
        while !isStopping {
            let remaining = deadline - MonotonicClock.milliseconds()
            guard remaining > 0, wait(client, for: Int16(POLLIN), milliseconds: remaining) else { return }
            let count = sink.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count <= 0 && !(count < 0 && (errno == EAGAIN || errno == EINTR)) { return }
        }
    }
}

/// The monotonic clock in milliseconds.
enum MonotonicClock {
    static func milliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }
}

/// The server could not start: the address and the system's reason.
public struct MetricsServerError: Error, CustomStringConvertible {
    /// The address it tried.
    public let address: ListenAddress
    /// What failed ("cannot bind").
    public let what: String
    /// The errno value.
    public let code: Int32

    /// Creates the error.
    public init(_ address: ListenAddress, _ what: String, _ code: Int32) {
        self.address = address
        self.what = what
        self.code = code
    }

    /// "cannot bind 127.0.0.1:9464: Address already in use".
    public var description: String {
        var text = "\(what) \(address): \(String(cString: strerror(code)))"
        if code == EPERM || code == EACCES {
            text += " (in the sandbox, the node needs allow: [network, threads]; ports below 1024 need privileges)"
        }
        return text
    }
}
