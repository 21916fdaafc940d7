// The `listen:` address of the metrics server: a numeric IP address and a port.
#if canImport(Glibc)
import Glibc
#endif

/// A numeric socket address to listen on: `127.0.0.1:9464`, `0.0.0.0:9464`,
/// `[::1]:9464`, `[::]:0` (port 0: the kernel picks a free port).
///
/// Host names are refused: name resolution reads files (/etc/hosts) the
/// sandboxed worker may not read, and a metrics endpoint should say exactly
/// which interface it exposes.
public struct ListenAddress: Equatable, Sendable, CustomStringConvertible {
    /// The address family.
    public enum Family: Equatable, Sendable {
        /// IPv4 (`AF_INET`).
        case ipv4
        /// IPv6 (`AF_INET6`).
        case ipv6
    }

    /// The family of ``host``.
    public let family: Family
    /// The numeric host as written (without brackets for IPv6).
    public let host: String
    /// The port, 0 for any free port.
    public let port: UInt16
    /// The address in network byte order: 4 bytes (IPv4) or 16 (IPv6).
    public let addressBytes: [UInt8]

    /// Parses `HOST:PORT` (IPv6 hosts in brackets); throws
    /// ``ListenAddressError`` naming what is wrong.
    public init(parsing text: String) throws {
        let hostPart: Substring, portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ListenAddressError(text, "an IPv6 address must be closed with ']' as in [::1]:9464")
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let afterBracket = text[text.index(after: close)...]
            guard afterBracket.hasPrefix(":") else {
                throw ListenAddressError(text, "expected ':PORT' after the IPv6 address, as in [::1]:9464")
            }
            portPart = afterBracket.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ListenAddressError(text, "expected HOST:PORT with a numeric IP address, as in 127.0.0.1:9464")
            }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") {
                throw ListenAddressError(text, "put an IPv6 address in brackets, as in [::1]:9464")
            }
        }
        guard !hostPart.isEmpty else {
            throw ListenAddressError(text, "the host is empty; write 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)")
        }
        guard !portPart.isEmpty, portPart.utf8.count <= 5, portPart.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let port = Int(portPart), port <= 65535 else {
            throw ListenAddressError(text, "the port '\(portPart)' must be a number from 0 to 65535 (0: any free port)")
        }
        let host = String(hostPart)
        let ipv6 = text.hasPrefix("[")
        var bytes = [UInt8](repeating: 0, count: ipv6 ? 16 : 4)
        let converted = bytes.withUnsafeMutableBytes { raw in
            inet_pton(ipv6 ? AF_INET6 : AF_INET, host, raw.baseAddress)
        }
        guard converted == 1 else {
            throw ListenAddressError(text, ipv6
                ? "'\(host)' is not a numeric IPv6 address"
                : "'\(host)' is not a numeric IPv4 address (host names are not resolved: write 127.0.0.1, 0.0.0.0 or [::1])")
        }
        family = ipv6 ? .ipv6 : .ipv4
        self.host = host
        self.port = UInt16(port)
        addressBytes = bytes
    }

    /// `HOST:PORT`, with brackets around an IPv6 host.
    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Calls `body` with the address as a `sockaddr_in` (IPv4) or `sockaddr_in6` (IPv6) and its length, for `bind`.
    public func withSocketAddress<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var storage = sockaddr_storage()
        let ipv6 = family == .ipv6
        let length = ipv6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
        let addressOffset = ipv6 ? MemoryLayout<sockaddr_in6>.offset(of: \sockaddr_in6.sin6_addr)!
            : MemoryLayout<sockaddr_in>.offset(of: \sockaddr_in.sin_addr)!
        withUnsafeMutableBytes(of: &storage) { raw in
            // The family comes first and the port (network byte order) next in both layouts.
            raw.storeBytes(of: sa_family_t(ipv6 ? AF_INET6 : AF_INET), toByteOffset: 0, as: sa_family_t.self)
            raw.storeBytes(of: port.bigEndian, toByteOffset: MemoryLayout<sa_family_t>.size, as: UInt16.self)
            UnsafeMutableRawBufferPointer(rebasing: raw[addressOffset..<(addressOffset + addressBytes.count)])
                .copyBytes(from: addressBytes)
        }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(length)) }
        }
    }

    /// The same address with another port (e.g. the one the kernel picked).
    public func with(port: UInt16) -> ListenAddress {
        ListenAddress(family: family, host: host, port: port, addressBytes: addressBytes)
    }

    private init(family: Family, host: String, port: UInt16, addressBytes: [UInt8]) {
        self.family = family
        self.host = host
        self.port = port
        self.addressBytes = addressBytes
    }
}

/// A `listen:` value that is not a numeric `HOST:PORT`.
public struct ListenAddressError: Error, Equatable, CustomStringConvertible {
    /// The text as given.
    public let input: String
    /// What is wrong with it.
    public let reason: String

    /// Creates the error.
    public init(_ input: String, _ reason: String) {
        self.input = input
        self.reason = reason
    }

    /// "invalid listen address "X": reason".
    public var description: String { "invalid listen address \"\(input)\": \(reason)" }
}
