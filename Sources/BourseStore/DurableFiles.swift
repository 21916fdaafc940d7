#if canImport(Glibc)
import Glibc
#endif
import BourseCore
import Foundation

/// File operations that survive power loss: fsync of files and
/// directories, atomic renames, and recursive removal.
enum DurableFiles {
    /// Creates `path` and any missing parents (mode 0755).
    static func makeDirectories(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw BourseError(.io, "cannot create directory: \(error.localizedDescription)", input: path)
        }
    }

    /// fsyncs a file or directory.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BourseError(.io, "cannot open for fsync: \(String(cString: strerror(errno)))", input: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw BourseError(.io, "fsync failed: \(String(cString: strerror(errno)))", input: path) }
    }

    /// Renames atomically (both paths on the same file system).
    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else {
            throw BourseError(.io, "cannot rename \(from) to \(to): \(String(cString: strerror(errno)))", input: from)
        }
    }

    /// Removes a file or a directory tree; missing is fine.
    static func remove(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        do { try FileManager.default.removeItem(atPath: path) } catch {
            throw BourseError(.io, "cannot remove: \(error.localizedDescription)", input: path)
        }
    }

    /// Whether something exists at `path` (symlinks not followed).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Entries of a directory, sorted (empty when missing).
    static func entries(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// Paths of regular files under `root`, relative, sorted. Symlinks and
    /// other special files are reported too (as their path) so drift is seen.
    static func regularFiles(under root: String) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else {
            throw BourseError(.io, "cannot list directory", input: root)
        }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            var info = stat()
            guard lstat(root + "/" + relative, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) != S_IFDIR { files.append(relative) }
        }
        return files.sorted()
    }
}
