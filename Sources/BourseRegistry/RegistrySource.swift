import BourseCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where a registry's files come from: a local directory or an HTTP(S) base URL.
/// Paths are relative to the registry root (`root.json`, `3/r/rsi`, `archives/…`).
public protocol RegistrySource: Sendable {
    /// The directory or URL, for messages.
    var location: String { get }
    /// The file at `path`, refused when larger than `maxBytes`; a
    /// `registry-file-missing` error when the registry has no such file.
    func fetch(_ path: String, maxBytes: Int) throws -> Data
}

/// Makes the source for a registry location: `http://…`/`https://…` or a directory.
public func makeRegistrySource(location: String) throws -> RegistrySource {
    if location.hasPrefix("http://") || location.hasPrefix("https://") {
        guard let url = URL(string: location), url.host != nil else {
            throw BourseError(.invalidValue, "'\(location)' is not a valid registry URL", input: location)
        }
        return HTTPRegistrySource(baseURL: url)
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: location, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw BourseError(.fileNotFound, "registry directory \(location) does not exist (a registry is a directory or an http(s):// URL)", input: location)
    }
    return DirectoryRegistrySource(directory: absolutePath(location))
}

/// A registry in a local directory.
public struct DirectoryRegistrySource: RegistrySource {
    /// The registry root.
    public let directory: String

    /// A source reading from `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    /// The directory.
    public var location: String { directory }

    /// Reads `directory/path`.
    public func fetch(_ path: String, maxBytes: Int) throws -> Data {
        guard RegistryLayout.isSafeRelativePath(path) else {
            throw BourseError(.registryIndexInvalid, "refusing registry path '\(path)': not a plain relative path", input: path)
        }
        let full = directory + "/" + path
        let attributes = try? FileManager.default.attributesOfItem(atPath: full)
        guard let attributes, attributes[.type] as? FileAttributeType == .typeRegular else {
            throw BourseError(.registryFileMissing, "registry \(directory) has no file \(path)", input: full)
        }
        if let size = attributes[.size] as? Int, size > maxBytes {
            throw BourseError(.registryTampered, "registry file \(full) is \(size) bytes, more than the \(maxBytes) expected", input: full)
        }
        let data = try readFile(full)
        guard data.count <= maxBytes else {
            throw BourseError(.registryTampered, "registry file \(full) is \(data.count) bytes, more than the \(maxBytes) expected", input: full)
        }
        return data
    }
}

/// A registry served over HTTP(S) (`bourse registry serve`, or any static file server).
public struct HTTPRegistrySource: RegistrySource {
    /// The base URL; file paths are appended to it.
    public let baseURL: URL
    /// Seconds before a request is abandoned.
    public var timeout: TimeInterval = 30

    /// A source fetching from `baseURL`.
    public init(baseURL: URL) {
        self.baseURL = baseURL
    }

    /// The base URL.
    public var location: String { baseURL.absoluteString }

    /// GETs `baseURL/path`.
    public func fetch(_ path: String, maxBytes: Int) throws -> Data {
        guard RegistryLayout.isSafeRelativePath(path) else {
            throw BourseError(.registryIndexInvalid, "refusing registry path '\(path)': not a plain relative path", input: path)
        }
        let base = baseURL.absoluteString.hasSuffix("/") ? baseURL.absoluteString : baseURL.absoluteString + "/"
        let escaped = path.split(separator: "/").map {
            String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? String($0)
        }.joined(separator: "/")
        guard let url = URL(string: base + escaped) else {
            throw BourseError(.invalidValue, "cannot make a URL from \(base) and \(path)", input: path)
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalAndRemoteCacheData, timeoutInterval: timeout)
        request.httpMethod = "GET"
        let download = LimitedDownload(maxBytes: maxBytes)
        let session = URLSession(configuration: .ephemeral, delegate: download, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request).resume()
        let (body, response, error, exceeded) = download.wait()
        if exceeded {
            throw BourseError(.registryTampered, "\(url.absoluteString) is larger than the \(maxBytes) bytes expected; download stopped", input: url.absoluteString)
        }
        if let error {
            throw BourseError(.registryUnreachable, "cannot fetch \(url.absoluteString): \(error.localizedDescription)", input: url.absoluteString)
        }
        guard let response else {
            throw BourseError(.registryUnreachable, "no HTTP response from \(url.absoluteString)", input: url.absoluteString)
        }
        if response.statusCode == 404 {
            throw BourseError(.registryFileMissing, "registry \(location) has no file \(path) (HTTP 404)", input: url.absoluteString)
        }
        guard response.statusCode == 200 else {
            throw BourseError(.registryUnreachable, "fetching \(url.absoluteString) returned HTTP \(response.statusCode)", input: url.absoluteString)
        }
        return body
    }
}

/// Collects one response body, cancelling the transfer as soon as it (or its
/// announced Content-Length) exceeds the limit: an endless response costs at most the limit.
private final class LimitedDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let maxBytes: Int
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var body = Data()
    private var response: HTTPURLResponse?
    private var error: Error?
    private var exceeded = false

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let tooLarge = response.expectedContentLength > Int64(maxBytes)
        lock.withLock {
            self.response = response as? HTTPURLResponse
            if tooLarge { exceeded = true }
        }
        completionHandler(tooLarge ? .cancel : .allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let cancel: Bool = lock.withLock {
            if body.count + data.count > maxBytes {
                exceeded = true
                return true
            }
            body.append(data)
            return false
        }
        if cancel { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.withLock { self.error = error }
        done.signal()
    }

    /// Blocks until the transfer ends; returns the body, the response, the error and whether the limit was exceeded.
    func wait() -> (Data, HTTPURLResponse?, Error?, Bool) {
        done.wait()
        return lock.withLock { (body, response, error, exceeded) }
    }
}
