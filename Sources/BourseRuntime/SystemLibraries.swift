import CArchive
import CSeccomp
import CSQLite

/// Versions of the C libraries the host links (SQLite for state, libarchive
/// for packages, libseccomp for sandboxing).
public enum SystemLibraries {
    /// Library name → version string, as the linked library reports it.
    public static var versions: [(name: String, version: String)] {
        let seccomp = seccomp_version()
        let seccompText = seccomp.map { "\($0.pointee.major).\($0.pointee.minor).\($0.pointee.micro)" } ?? "unknown"
        return [
            ("sqlite", String(cString: sqlite3_libversion())),
            ("libarchive", String(cString: archive_version_string())),
            ("libseccomp", seccompText),
        ]
    }
}
